# The lazyload image: the hook server (`lazyload serve`, the default command) and the global sidecar
# (`lazyload forwarder`, the args the rendered Deployment gives), running the compiled code in dist/.
# Not built in CI: these machines have no container engine; test/production-tree.test.ts installs and
# starts the same tree without one.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# re2 compiles from source when its prebuilt binary cannot be fetched: python3, make and a C++ compiler.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY hooks ./hooks
RUN npm run build
# What `npm ci --omit=dev` would install, without building re2 a second time; re2's object files are
# only needed to rebuild it.
RUN npm prune --omit=dev --no-audit --no-fund && rm -rf node_modules/re2/build/Release/obj.target

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
COPY bin ./bin
COPY templates ./templates
# The `node` user (uid 1000) of the base image. Nothing is written to disk at run time, so the
# Deployments run with a read-only root and no writable volume.
USER 1000:1000
# 8080: the hook server; the forwarder listens on the wormhole ports and its probe port, 18181.
EXPOSE 8080 18181
ENTRYPOINT ["node", "bin/lazyload.js"]
CMD ["serve"]
