# syntax=docker/dockerfile:1
# One image for every part of mcp-auth; docker-compose.yml picks the part with `command`
# (node dist/registration.js, dist/authz.js, dist/mcp.js, dist/migrate.js, deploy/keys/create-keys.mjs).
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, the generated Prisma client, and the esbuild bundles in dist/ -----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only source files change.
COPY package.json package-lock.json prisma.config.ts ./
COPY packages/core/package.json packages/core/
COPY packages/resource-server/package.json packages/resource-server/
COPY services/registration/package.json services/registration/
COPY services/authz/package.json services/authz/
COPY services/mcp/package.json services/mcp/
COPY services/embedded/package.json services/embedded/
COPY client/package.json client/
# `npm ci` runs the postinstall (scripts/prisma-generate.mjs), which needs the schema.
COPY scripts/prisma-generate.mjs scripts/
COPY prisma/schema.prisma prisma/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- runtime: production dependencies, the bundles and the migrations; no compiler, no dev deps --
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/packages/core/package.json packages/core/
COPY --from=build /app/packages/resource-server/package.json packages/resource-server/
COPY --from=build /app/services/registration/package.json services/registration/
COPY --from=build /app/services/authz/package.json services/authz/
COPY --from=build /app/services/mcp/package.json services/mcp/
COPY --from=build /app/services/embedded/package.json services/embedded/
COPY --from=build /app/client/package.json client/
# --ignore-scripts: the postinstall would regenerate the Prisma client, which is already bundled.
# --omit=optional --omit=peer: otherwise npm keeps the Prisma CLI and TypeScript (optional peers of
# @prisma/client) and the embedded mode's PostgreSQL binaries: 430 MB instead of 120 MB, none of it
# used by the services.
RUN npm ci --omit=dev --omit=optional --omit=peer --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# The migration runner finds prisma/migrations by walking up from dist/.
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/deploy/keys ./deploy/keys
# Mount points of the key volumes, owned by the app user: Docker copies this ownership into a new
# named volume, so the one-shot `keys` job can write there without running as root.
RUN install -d -o node -g node -m 0700 /var/lib/mcp-auth/keys \
 && install -d -o node -g node -m 0755 /var/lib/mcp-auth/public
USER node
# Slim images have no curl: ask the service's own /healthz with Node's fetch. PORT is set per service.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "-e", "console.error('mcp-auth image: give the part to run, e.g. node dist/authz.js (see docker-compose.yml)');process.exit(2)"]
