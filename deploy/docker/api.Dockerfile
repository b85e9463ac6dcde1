# syntax=docker/dockerfile:1
#
# todo-sso API. Build context: the repository root.
#   docker build -f deploy/docker/api.Dockerfile -t todo-sso/api .
#
# Stages: `build` compiles @todo-sso/auth and @todo-sso/api with `tsc -b`; `deps` installs the
# production dependencies of those two workspaces only; the final image holds node_modules,
# package.json files and dist/ output, runs as the unprivileged `node` user and checks /healthz.

ARG NODE_IMAGE=node:20-bookworm-slim

# No compiler is needed: the SQLite driver (libsql) ships prebuilt binaries as npm packages
# for glibc and musl on x64 and arm64, and no dependency has an install script.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
# Every workspace manifest, so `npm ci` sees the same tree as package-lock.json.
COPY package.json package-lock.json .npmrc ./
COPY packages/auth/package.json packages/auth/
COPY packages/idp/package.json packages/idp/
COPY packages/api/package.json packages/api/
COPY packages/web/package.json packages/web/
COPY packages/cli/package.json packages/cli/
COPY bench/package.json bench/

FROM manifests AS build
# --ignore-scripts: the root `prepare` script would build the whole repository before any
# source is copied.
RUN npm ci --ignore-scripts --include-workspace-root \
      --workspace @todo-sso/auth --workspace @todo-sso/api
COPY tsconfig.base.json tsconfig.json ./
COPY packages/auth packages/auth
COPY packages/api packages/api
RUN npx tsc -b packages/api

FROM manifests AS deps
RUN npm ci --ignore-scripts --omit=dev \
      --workspace @todo-sso/auth --workspace @todo-sso/api \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/packages/auth/package.json packages/auth/
COPY --from=build /app/packages/auth/dist packages/auth/dist
COPY --from=build /app/packages/api/package.json packages/api/
COPY --from=build /app/packages/api/dist packages/api/dist
# The embedded SQLite default (no DATABASE_URL) writes here; production uses PostgreSQL.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The node flags of `npm start` in packages/api (docs/architecture.md, "Memory and the collector").
CMD ["node", "--max-semi-space-size=64", "packages/api/dist/server.js"]
