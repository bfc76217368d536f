# syntax=docker/dockerfile:1
# Rollgate's GitHub App. Build: docker build -t rollgate-app .
# Run:   docker run --env-file .env -p 3000:3000 rollgate-app
#
# The App runs its TypeScript sources directly (Node.js 24 strips the types), so there is no
# build stage: the first stage installs the production dependencies from the lockfile, the
# second copies them beside the sources and runs what `npm start` runs, as the unprivileged
# `node` user of the official image.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script; --ignore-scripts keeps it that way.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM node:24-bookworm-slim AS app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY app ./app
COPY src ./src
# The official image's unprivileged user `node`, by number (uid:gid 1000:1000) so that Kubernetes'
# runAsNonRoot can verify it; the files stay root's, read-only to it.
USER 1000:1000
EXPOSE 3000
# For `docker run` and Compose; Kubernetes ignores HEALTHCHECK and uses the probes in deploy/.
# The slim image has no curl: Node's fetch asks /ping.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exactly `npm start` (package.json), without npm in between, so SIGTERM reaches the App itself.
CMD ["node", "--import", "./app/require-node.mjs", "--max-semi-space-size=4", "--max-old-space-size=128", "app/main.ts"]
