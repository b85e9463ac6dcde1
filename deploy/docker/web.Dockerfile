# syntax=docker/dockerfile:1
#
# todo-sso web app. Build context: the repository root.
#   docker build -f deploy/docker/web.Dockerfile -t todo-sso/web .
#   docker run -p 3000:8080 -e OIDC_ISSUER=https://sso.example.com/realms/todo-app \
#     -e OIDC_CLIENT_ID=todo-ui -e API_URL=https://api.todo.example.com todo-sso/web
#
# One image for every environment: the issuer, client id and API URL are not baked into the
# bundle but written to /config.json when the container starts (docker/web-config.sh), and
# the app reads that file before signing in. nginx runs unprivileged on port 8080 and needs
# only /tmp to be writable, so the root filesystem can be read-only.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.28-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/auth/package.json packages/auth/
COPY packages/idp/package.json packages/idp/
COPY packages/api/package.json packages/api/
COPY packages/web/package.json packages/web/
COPY packages/cli/package.json packages/cli/
COPY bench/package.json bench/
# Only the web workspace's dependencies; no install scripts (nothing native is needed).
RUN npm ci --ignore-scripts --include-workspace-root --workspace @todo-sso/web
COPY tsconfig.base.json ./
COPY packages/web packages/web
RUN npm run build --workspace @todo-sso/web

FROM ${NGINX_IMAGE} AS runtime
COPY deploy/docker/web-nginx.conf /etc/nginx/conf.d/default.conf
COPY --chmod=0755 deploy/docker/web-config.sh /docker-entrypoint.d/40-todo-sso-config.sh
COPY --from=build /app/packages/web/dist /usr/share/nginx/html
# No defaults for OIDC_ISSUER, OIDC_CLIENT_ID and API_URL: every deployment sets its own, and a
# container started without one stops (web-config.sh) instead of signing people in elsewhere.
# uid 101 `nginx` of the unprivileged image.
USER 101
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
