# syntax=docker/dockerfile:1
# hum-helix container image: `docker build -t hum-helix:cuda .` (NVIDIA GPU, the default) or
# `docker build --build-arg BACKEND=cpu -t hum-helix:cpu .`. See deploy/docker/README.md.
#
# The build stage runs the project's own bootstrap, `./hum build:whisper`, exactly as a developer
# does: it installs the Debian and npm packages and builds libwhisper with build.ts. The runtime
# stage copies the prepared tree to the same path with the same build settings, so build.ts finds
# its cache there, and `./hum` (HUM_PREBUILT=1) only checks: nothing is installed or built when a
# container starts. The last RUN proves that while the image is built.

# cuda or cpu: picks the base images below and the libwhisper backend.
ARG BACKEND=cuda
# CUDA 12.8 runs on drivers from 525 on (CUDA minor-version compatibility); CUDA 13 needs 580+.
ARG CUDA_VERSION=12.8.1
# GPU architectures compiled in (Turing, Ampere, Ada, Hopper). Fewer build faster: `=90` for
# H100/H200 only. Empty means ggml's own list, part of it as PTX compiled on first start.
ARG CUDA_ARCHITECTURES="75;80;86;89;90"
# Extra CMake flags for build.ts. GGML_CUDA_NO_VMM keeps libggml-cuda off the driver library
# (libcuda.so.1): an image build has no GPU, and linking whisper-cli against a library that needs
# libcuda.so.1 fails there; without it, a container without a GPU also falls back to the CPU.
ARG WHISPER_CMAKE_FLAGS="-DGGML_CUDA_NO_VMM=ON"

FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu24.04 AS build-cuda
FROM debian:bookworm-slim AS build-cpu
FROM nvidia/cuda:${CUDA_VERSION}-runtime-ubuntu24.04 AS runtime-cuda
FROM debian:bookworm-slim AS runtime-cpu

# ---------------------------------------------------------------------------------------------
# (DL3006: these name the stages above, whose images are tagged.)
# hadolint ignore=DL3006
FROM build-${BACKEND} AS build
ARG BACKEND
ARG CUDA_ARCHITECTURES
ARG WHISPER_CMAKE_FLAGS
# Behind a TLS-inspecting proxy, npm needs the proxy's CA: mount it into the build and name it,
# e.g. `podman build -v /etc/proxy-ca.pem:/etc/proxy-ca.pem:ro --build-arg
# NODE_EXTRA_CA_CERTS=/etc/proxy-ca.pem …` (deploy/docker/build_test.sh does so when the host sets
# NODE_EXTRA_CA_CERTS). Empty by default; never part of the runtime image.
ARG NODE_EXTRA_CA_CERTS=
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The settings that key build.ts's cache: the runtime stage sets the same ones.
ENV HUM_BACKEND=${BACKEND} \
    HUM_WHISPER_PORTABLE=1 \
    HUM_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES}" \
    HUM_WHISPER_CMAKE_FLAGS="${WHISPER_CMAKE_FLAGS}" \
    DEBIAN_FRONTEND=noninteractive
WORKDIR /app
# Only what `./hum build:whisper` reads, so that the long build is redone only when these change.
COPY hum package.json package-lock.json .npmrc deno.json ./
COPY ffi/whisper/build.ts ffi/whisper/patches.ts ffi/whisper/
COPY ffi/whisper/native/log_shim.c ffi/whisper/native/log_shim.c
# ./hum installs its own Debian packages and the npm packages (Deno among them), then builds
# libwhisper (from a patched copy of the sources) and the log filter; only the build's bin/ and
# stamp are kept. (DL3008: the packages
# are the distribution's current ones; the base image tag pins the distribution release.)
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs npm \
 && ./hum build:whisper --backend "$HUM_BACKEND" \
 && find .cache/whisper/*/build -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} + \
 && rm -rf .cache/whisper/*/src \
 && rm -rf /var/lib/apt/lists/* /root/.npm
COPY ffi ffi
COPY protocol protocol
COPY decode decode
COPY server server
COPY client client
COPY util util
COPY deploy/docker/prebuilt.ts deploy/docker/prebuilt.ts
# The browser client's bundle (.cache/client), newer than its sources.
RUN ./hum build:client

# ---------------------------------------------------------------------------------------------
# hadolint ignore=DL3006
FROM runtime-${BACKEND} AS runtime
ARG BACKEND
ARG CUDA_ARCHITECTURES
ARG WHISPER_CMAKE_FLAGS
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV HUM_BACKEND=${BACKEND} \
    HUM_WHISPER_PORTABLE=1 \
    HUM_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES}" \
    HUM_WHISPER_CMAKE_FLAGS="${WHISPER_CMAKE_FLAGS}" \
    HUM_PREBUILT=1 \
    PORT=8000 \
    HUM_UDP_PORTS=40000-40999
# The libraries the server opens (./hum checks these three), Node.js for ./hum, no compiler.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates nodejs libsndfile1 libsoxr0 libopus0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin hum
WORKDIR /app
COPY --from=build /app /app
# Models live in a volume (`./hum model NAME` downloads into it): the server's user owns it.
RUN install -d -o hum -g hum /app/models
USER 10001:10001
# Proof, at image build time and as the runtime user: ./hum finds its packages, and libwhisper,
# the log filter and the client bundle are current (build.ts would need cmake, absent here).
RUN ./hum check:prebuilt
VOLUME ["/app/models"]
# HTTP (page, signalling, /healthz, /readyz, /metrics) and WebRTC media (UDP, HUM_UDP_PORTS).
EXPOSE 8000/tcp 40000-40999/udp
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD ["node", "--no-warnings", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["./hum"]
CMD ["start"]
