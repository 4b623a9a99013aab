# syntax=docker/dockerfile:1
#
# The image of every domain MCP server (customer, order, product, payment)
# and of the development authorization server (auth, port 3005, no database):
# one template, parameterised by the service. Build from the repository root
# (the shared packages are part of the build):
#
#   docker build -f infra/docker/service.Dockerfile \
#     --build-arg SERVICE=customer --build-arg SERVICE_PORT=3001 \
#     --build-arg VERSION=$(node -p "require('./services/customer/package.json').version") \
#     -t fedmcp/customer:$(node -p "require('./services/customer/package.json').version") .
#
# Build args:
#   SERVICE       required: the folder under services/ (workspace @fedmcp/$SERVICE;
#                 also auth, the development authorization server, port 3005)
#   SERVICE_PORT  required: the service's default port (shared/fleet/src/services.ts)
#   VERSION       image version label (CI: the service's package.json version)
#   NODE_VERSION, TURBO_VERSION
# Everything else is derived: the turbo prune target @fedmcp/$SERVICE, the
# paths, the labels, OTEL_SERVICE_NAME=$SERVICE-service, EXPOSE/PORT and the
# HEALTHCHECK port. docker-compose.yml and .github/workflows/_service.yml
# pass SERVICE and SERVICE_PORT per service.
#
# Stages: prune (turbo keeps only @fedmcp/$SERVICE and the workspaces it uses)
# -> build (install, compile, drop dev dependencies) -> runtime (node slim,
# non-root, only package.json + dist + migrations + production node_modules
# of the service and the workspaces in its "dependencies";
# the links npm left to dev-only workspaces, e.g. @fedmcp/testing, are dropped).
ARG NODE_VERSION=22
ARG TURBO_VERSION=2.11.11

FROM node:${NODE_VERSION}-slim AS base
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /repo

# ---- prune: this service and its workspace dependencies only -------------
FROM base AS prune
ARG SERVICE
ARG SERVICE_PORT
ARG TURBO_VERSION
# Fail first, with a clear message, when the build args are missing.
RUN if [ -z "${SERVICE}" ]; then \
      echo "ERROR: build arg SERVICE is required (customer | order | product | payment), e.g. --build-arg SERVICE=customer --build-arg SERVICE_PORT=3001" >&2; exit 1; \
    fi \
 && case "${SERVICE}" in *[!a-z0-9-]*) echo "ERROR: build arg SERVICE='${SERVICE}' is not a service folder name" >&2; exit 1;; esac \
 && case "${SERVICE_PORT}" in ''|*[!0-9]*) echo "ERROR: build arg SERVICE_PORT is required and must be the port of ${SERVICE} (e.g. --build-arg SERVICE_PORT=3001), got '${SERVICE_PORT}'" >&2; exit 1;; esac
RUN npm install -g turbo@${TURBO_VERSION}
COPY . .
RUN if [ ! -f "services/${SERVICE}/package.json" ]; then \
      echo "ERROR: build arg SERVICE='${SERVICE}': services/${SERVICE}/package.json not found (have: $(ls services | tr '\n' ' '))" >&2; exit 1; \
    fi \
 && turbo prune "@fedmcp/${SERVICE}" --docker

# ---- build ------------------------------------------------------------------
FROM base AS build
ARG SERVICE
# Dependencies first (cached while only sources change).
COPY --from=prune /repo/out/json/ ./
COPY --from=prune /repo/out/package-lock.json ./package-lock.json
# npm ci against the pruned lockfile; fall back to npm install if npm rejects
# the pruned lockfile (turbo's npm lockfile pruning is not always exact).
RUN npm ci || (echo "npm ci rejected the pruned lockfile; using npm install" >&2 && npm install)
COPY --from=prune /repo/out/full/ ./
COPY tsconfig.base.json turbo.json ./
# The runtime workspaces: @fedmcp/$SERVICE and the @fedmcp packages its
# "dependencies" reach (devDependencies such as @fedmcp/testing stay out).
RUN node -e ' \
  const fs = require("fs"), path = require("path"); const dirs = {}; \
  for (const root of ["shared", "services"]) for (const d of fs.readdirSync(root)) { \
    const f = path.join(root, d, "package.json"); \
    if (fs.existsSync(f)) dirs[JSON.parse(fs.readFileSync(f, "utf8")).name] = path.join(root, d); } \
  const seen = new Set(); \
  const walk = (n) => { if (seen.has(n) || !dirs[n]) return; seen.add(n); \
    Object.keys(JSON.parse(fs.readFileSync(path.join(dirs[n], "package.json"), "utf8")).dependencies || {}).forEach(walk); }; \
  walk("@fedmcp/" + process.argv[1]); \
  fs.writeFileSync("/tmp/runtime-workspaces", [...seen].map((n) => dirs[n]).join("\n") + "\n");' "${SERVICE}" \
 && echo "runtime workspaces: $(tr '\n' ' ' < /tmp/runtime-workspaces)"
RUN npx turbo run build --filter="@fedmcp/${SERVICE}" \
 && npm prune --omit=dev \
 && mkdir -p /prod \
 && cp -a package.json node_modules /prod/ \
 && for pkg in $(cat /tmp/runtime-workspaces); do \
      mkdir -p /prod/$pkg && cp -a $pkg/package.json $pkg/dist /prod/$pkg/ \
      && if [ -d $pkg/node_modules ]; then cp -a $pkg/node_modules /prod/$pkg/; fi; \
    done \
 && if [ -d "services/${SERVICE}/drizzle" ]; then cp -a "services/${SERVICE}/drizzle" "/prod/services/${SERVICE}/drizzle"; fi \
 && find /prod/node_modules/@fedmcp -maxdepth 1 -xtype l -print -delete

# ---- runtime ------------------------------------------------------------------
FROM node:${NODE_VERSION}-slim AS runtime
ARG SERVICE
ARG SERVICE_PORT
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="fedmcp-${SERVICE}" \
      org.opencontainers.image.description="${SERVICE} domain MCP server (federated MCP commerce)" \
      org.opencontainers.image.version="${VERSION}"
# NODE_OPTIONS: the heap budget every launcher gives a service (SERVICE_HEAP_MB in
# shared/instrumentation/src/launch.ts); a deployment may override it.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=160 \
    HOST=0.0.0.0 \
    PORT=${SERVICE_PORT} \
    DATA_DIR=/app/.data \
    OTEL_SERVICE_NAME=${SERVICE}-service
WORKDIR /app
COPY --from=build --chown=root:root /prod/ ./
RUN mkdir -p /app/.data && chown node:node /app/.data
# The service package is the working directory: migrations (drizzle/) are read
# relative to it.
WORKDIR /app/services/${SERVICE}
USER node
EXPOSE ${SERVICE_PORT}
# PORT defaults to SERVICE_PORT (ENV above) and follows a runtime override of
# PORT, as the compose healthcheck does (exec form takes no build args).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and receives SIGTERM itself (the service shuts down
# gracefully within SHUTDOWN_TIMEOUT_MS). Telemetry is loaded before the app.
CMD ["node", "--require", "@fedmcp/instrumentation/register", "dist/main.js"]
