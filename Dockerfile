# The pgwarden worker image used by docker-compose.yml: Node 20 plus PostgreSQL's client tools
# (pg_dump, pg_restore, psql, pg_basebackup, pg_receivewal) and server programs (pg_ctl,
# postgres, pg_waldump: point-in-time restores, table recovery and base backup verification
# run a recovered copy in the worker's container) of each major in PG_MAJORS, and zstd and lz4.
# The worker picks the tools that fit each server from /usr/lib/postgresql/<major>/bin.
# PG_MAJORS: the majors of the servers it backs up; 15 is Debian bookworm's own, any other
# comes from the PostgreSQL project's apt repository (apt.postgresql.org, its key shipped in
# postgresql-common): docker compose build --build-arg PG_MAJORS="15 17"
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG PG_MAJORS="15"
# The server packages without the cluster Debian would make on install: pgwarden makes its own.
# With the project's repository, its postgresql-common comes first, so the setting is made in
# the configuration that stays (not one an upgrade would ask about).
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common ca-certificates \
 && if [ -n "$(echo $PG_MAJORS | tr ' ' '\n' | grep -vx 15)" ]; then \
      /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
      && apt-get install -y --no-install-recommends postgresql-common; fi \
 && sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends zstd lz4 \
    $(for major in $PG_MAJORS; do echo "postgresql-$major postgresql-client-$major"; done) \
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
