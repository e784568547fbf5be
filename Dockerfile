# The on-site-roles server. Build: docker build -t osr .   (see docker-compose.yml)
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY examples ./examples
# With the dev tools, `npm ci` compiles src/ into dist/ (its prepare script); then drop them.
RUN npm ci --include=dev --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund
# Without DATABASE_URL the server uses the embedded database in /app/data: a directory the
# image's user may write (mount a volume there to keep it).
RUN mkdir data && chown node:node data
ENV OSR_DATA_DIR=/app/data
VOLUME /app/data
USER node
EXPOSE 8080
ENV HOST=0.0.0.0 PORT=8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/osr.js", "serve"]
