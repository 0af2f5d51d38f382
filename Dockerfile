FROM node:20-bookworm-slim
WORKDIR /app
# pg_dump and pg_restore for npm run backup / restore (version 15, as the server).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client-15 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY . .
EXPOSE 3000
USER node
CMD ["npm", "start"]
