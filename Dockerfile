# A station in a container (untested here: Docker does not run on the machine this was written on).
#   docker build -t grove .
#   docker run -p 7070:7070 -v grove-data:/data grove
# Configure it with GROVE_* variables (`grove serve --help` lists them), e.g. -e GROVE_TOKEN=...

# 1. Build: the addon from source and the TypeScript, then the package as npm would publish it.
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake ninja-build g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm install --no-audit --no-fund && npm pack --pack-destination /tmp

# 2. Run: the packed package installed as a user installs it (its prebuilt binary, no compiler).
FROM node:20-bookworm-slim
COPY --from=build /tmp/grove-*.tgz /tmp/
RUN npm install --global --no-audit --no-fund /tmp/grove-*.tgz \
 && rm /tmp/grove-*.tgz \
 && mkdir /data \
 && chown node:node /data
USER node
ENV NODE_ENV=production \
    GROVE_HOST=0.0.0.0 \
    GROVE_PORT=7070 \
    GROVE_DATA=/data
VOLUME ["/data"]
EXPOSE 7070
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + process.env.GROVE_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["grove", "serve"]
