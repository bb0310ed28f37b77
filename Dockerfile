# The pgwarden worker image used by docker-compose.yml: Node 20 plus PostgreSQL 15's client
# tools (pg_dump, pg_restore, psql, pg_basebackup, pg_receivewal) and its server programs
# (pg_ctl, postgres, pg_waldump: point-in-time restores, table recovery and base backup
# verification run a recovered copy in the worker's container), and zstd and lz4.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# The server package without the cluster Debian would make on install: pgwarden makes its own.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common \
 && sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 zstd lz4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY bin bin
ENV NODE_ENV=production AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
USER node
ENTRYPOINT ["node", "bin/pgwarden"]
CMD ["worker"]
