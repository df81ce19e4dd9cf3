# The lazyload image: the hook server (`lazyload serve`, the default command) and the global sidecar
# (`lazyload forwarder`, the args the rendered Deployment gives). Not built in CI: these machines have
# no container engine.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# re2 compiles from source: it needs python3, make and a C++ compiler.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf node_modules/re2/build/Release/obj.target

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY hooks ./hooks
COPY templates ./templates
# The `node` user (uid 1000) of the base image; the Deployment runs with a read-only root and /tmp as
# an emptyDir (tsx caches compiled sources there).
USER 1000:1000
# 8080: the hook server; the forwarder listens on the wormhole ports and its probe port, 18181.
EXPOSE 8080 18181
ENTRYPOINT ["node", "bin/lazyload.js"]
CMD ["serve"]
