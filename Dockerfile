# The pgwarden worker image used by docker-compose.yml: Node 20 plus the PostgreSQL 15
# client tools (pg_dump, pg_dumpall, pg_restore, psql) and zstd and lz4, which the activities run.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 zstd lz4 ca-certificates \
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
