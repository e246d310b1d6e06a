# The gateway image used by fly.toml (any container platform works the same way).
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY tsconfig.json ./
COPY migrations ./migrations
COPY src ./src
COPY connectors ./connectors
EXPOSE 8080
CMD ["node", "--import", "tsx", "src/main.ts", "all"]
