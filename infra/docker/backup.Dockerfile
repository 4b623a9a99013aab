# syntax=docker/dockerfile:1
#
# The image the Kubernetes backup CronJobs run (infra/k8s/base/<svc>/backup-cronjob.yaml):
# the fleet's own backup command (shared/fleet/src/backup, the same code as
# `npm run backup`: pg_dump custom format, the manifest with migration level,
# size and sha256, retention) on Node, plus the PostgreSQL client tools
# (pg_dump/pg_restore) of PG_MAJOR from the PostgreSQL project's Debian
# repository (apt.postgresql.org, set up by Debian's postgresql-common). One
# image for the four services: the service is an argument. Build from the
# repository root:
#
#   docker build -f infra/docker/backup.Dockerfile --build-arg PG_MAJOR=17 -t fedmcp/backup:17 .
#   docker run --rm -e DATABASE_URL=postgres://... -e BACKUP_DIR=/backups -v $PWD/backups:/backups \
#     fedmcp/backup:17 backup order --keep-days 14
#
# Build args:
#   PG_MAJOR      major version of pg_dump: at least the servers' (pg_dump refuses a newer server)
#   NODE_VERSION, TURBO_VERSION
# The service images carry no pg_dump; the Node base is the same as theirs
# (node:22-slim, or the one infra/docker/base-image.sh builds from Debian).
ARG NODE_VERSION=22
ARG TURBO_VERSION=2.11.11
ARG PG_MAJOR=17

FROM node:${NODE_VERSION}-slim AS base
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /repo

# ---- prune: @fedmcp/fleet and the workspaces it uses ------------------------
FROM base AS prune
ARG TURBO_VERSION
RUN npm install -g turbo@${TURBO_VERSION}
COPY . .
RUN turbo prune "@fedmcp/fleet" --docker \
 && mkdir -p out/migrations \
 && for d in services/*/drizzle; do mkdir -p "out/migrations/$(dirname "$d")" && cp -a "$d" "out/migrations/$d"; done

# ---- build ------------------------------------------------------------------
FROM base AS build
COPY --from=prune /repo/out/json/ ./
COPY --from=prune /repo/out/package-lock.json ./package-lock.json
RUN npm ci || (echo "npm ci rejected the pruned lockfile; using npm install" >&2 && npm install)
COPY --from=prune /repo/out/full/ ./
COPY tsconfig.base.json turbo.json ./
RUN npx turbo run build --filter="@fedmcp/fleet" \
 && npm prune --omit=dev \
 && mkdir -p /prod \
 && cp -a package.json node_modules /prod/ \
 && for pkg in shared/* services/*; do \
      if [ -d "$pkg/dist" ]; then mkdir -p /prod/$pkg && cp -a $pkg/package.json $pkg/dist /prod/$pkg/ \
        && if [ -d $pkg/node_modules ]; then cp -a $pkg/node_modules /prod/$pkg/; fi; fi; \
    done
# Every service's migrations: the manifest names the last applied one (services/<svc>/drizzle).
COPY --from=prune /repo/out/migrations/services/ /prod/services/

# ---- runtime ------------------------------------------------------------------
FROM node:${NODE_VERSION}-slim AS runtime
ARG PG_MAJOR
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="fedmcp-backup" \
      org.opencontainers.image.description="pg_dump backups with manifests and retention for the federated MCP services" \
      org.opencontainers.image.version="${VERSION}"
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-common \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/* \
 && "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump" --version
ENV NODE_ENV=production \
    BACKUP_DIR=/backups \
    PG_BIN_DIR=/usr/lib/postgresql/${PG_MAJOR}/bin
WORKDIR /app
COPY --from=build --chown=root:root /prod/ ./
USER node
ENTRYPOINT ["node", "shared/fleet/dist/backup/main.js"]
CMD ["backup", "--all"]
