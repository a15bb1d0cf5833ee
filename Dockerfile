# Lifeline: one container, in a different region from what it watches.
#   docker build -t lifeline .
#   docker run -d --name lifeline -p 9095:9095 -v lifeline-data:/var/lib/lifeline lifeline
# Mount your own config at /app/config/lifeline.yaml (or pass --config), secrets as files under
# /run/secrets (Docker secrets) or as environment variables.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native addon; prebuilt binaries may be unreachable, so it can build from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    LIFELINE_DATA_DIR=/var/lib/lifeline \
    LIFELINE_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY config ./config
RUN mkdir -p /var/lib/lifeline && chown node:node /var/lib/lifeline
USER node
VOLUME ["/var/lib/lifeline"]
EXPOSE 9095
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9095/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Lifeline handles SIGTERM itself (stop accepting, flush the outbox, QUIT IRC, close the store),
# also as PID 1; run with --init if you want zombie reaping as well.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["run", "--config", "config/lifeline.yaml"]
