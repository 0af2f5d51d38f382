# Build stage: install everything, compile TypeScript to dist/, then drop dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY seed ./seed
COPY scripts/ensure-build.mjs scripts/build-browser.mjs ./scripts/
COPY public ./public
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: compiled JavaScript, production dependencies, templates, assets, migrations.
FROM node:20-bookworm-slim
WORKDIR /app
# pg_dump and pg_restore for npm run backup / restore (version 15, as the server).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client-15 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY prisma ./prisma
COPY views ./views
COPY --from=build /app/public ./public
RUN mkdir /export && chown node:node /export
USER node
EXPOSE 3000
CMD ["node", "dist/src/server.js"]
