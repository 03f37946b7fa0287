# hotpath render service: `docker build -t hotpath . && docker run --rm -p 8080:8080 hotpath`

# ---- build: compile TypeScript with the dev dependencies ----------------------------------------
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; we build explicitly below.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- production dependencies: pure JavaScript and WASM. On Node 24 the store runs on node:sqlite, so
# the optional better-sqlite3 (Node 20's SQLite driver, a native addon) is left out, and with it any
# compiler; --ignore-scripts skips our own `prepare` (tsc is a dev dependency).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force

# ---- runtime: production dependencies and the compiled server only -----------------------------
FROM node:24-slim
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/build/src ./build/src
COPY templates ./templates
# Liberation fonts for PNG rendering (src/render/png.ts reads them from here).
COPY fonts ./fonts
COPY bin ./bin
# The CLI too: `docker run --rm -v "$PWD:/work" -w /work hotpath hotpath -svg -output cpu.svg cpu.pb.gz`.
RUN ln -s /app/bin/hotpath.cjs /usr/local/bin/hotpath
# The profile store behind shareable links: an SQLite file in /data, writable by the app's user.
# Mount a volume there to keep links across containers, or set DATABASE_URL to share PostgreSQL.
RUN mkdir /data && chown node:node /data
ENV HOTPATH_DATA=/data
VOLUME /data
# The image's unprivileged user (uid 1000); the app files stay root-owned and read-only to it.
USER node
EXPOSE 8080
# node:24-slim has no curl: ask Node itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node runs as PID 1 and gets SIGTERM itself; main.ts handles it (drain, exit 0).
CMD ["node", "build/src/server/main.js"]
