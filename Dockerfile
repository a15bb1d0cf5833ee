# Lifeline: one container, in a different region from what it watches.
#   docker build -t lifeline .
#   docker run -d --name lifeline -p 9095:9095 -v lifeline-data:/var/lib/lifeline lifeline
# Mount your own config and point LIFELINE_CONFIG at it (the HEALTHCHECK reads the port from the
# same file); secrets as files under /run/secrets (Docker secrets) or as environment variables.
# compose.yaml runs it with config/example-znc.yaml; README.md "Deploying in another region" has
# the steps and a docker run example. Without store.path the database goes to LIFELINE_DATA_DIR.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native addon; prebuilt binaries may be unreachable, so it can build from source.
# tini: a real init for PID 1 (signals forwarded, zombies reaped), copied into the runtime stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ tini \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Production dependencies only; of better-sqlite3's compile, only the addon itself is needed at run
# time (its SQLite sources and object files are about 25 MB).
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build/Release/obj build/Release/obj.target build/Release/.deps build/Release/test_extension.node

FROM node:20-bookworm-slim
# The source revision, shown by `lifeline --version`, in the start log and /api/v1/status:
#   docker build --build-arg LIFELINE_REVISION=$(git rev-parse HEAD) -t lifeline .
ARG LIFELINE_REVISION=unknown
ENV LIFELINE_REVISION=$LIFELINE_REVISION \
    NODE_ENV=production \
    LIFELINE_CONFIG=/app/config/lifeline.yaml \
    LIFELINE_DATA_DIR=/var/lib/lifeline \
    LIFELINE_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /usr/bin/tini-static /usr/bin/tini
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY config ./config
RUN mkdir -p /var/lib/lifeline && chown node:node /var/lib/lifeline
USER node
VOLUME ["/var/lib/lifeline"]
EXPOSE 9095
# Asks /healthz on the http.host/http.port of $LIFELINE_CONFIG (about 0.4 s of CPU per check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "dist/src/main.js", "healthcheck"]
# tini passes SIGTERM to Lifeline, which stops accepting, finishes deliveries in flight, QUITs IRC
# and closes the store, well inside the 10 s before docker/podman stop sends SIGKILL.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/main.js"]
CMD ["run"]
