#!/usr/bin/env bash
# Builds the CPU container image for real and tries it from outside (issue 18, part 4): a
# debian:bookworm-slim base made with debootstrap (no registry is reachable here), the Dockerfile
# built by podman (daemonless; the vfs storage driver needs no kernel overlay support; chroot
# isolation for its RUN steps, which needs no OCI runtime, and the docker format, which keeps the
# Dockerfile's SHELL), the image run with the shared models mounted as its models volume, then jfk
# transcribed through the upload endpoint and through one live WebRTC session by the command-line
# client, both from the host. The image runs under `podman run`; where the OCI runtime cannot start
# a container (a sandbox that refuses crun's setrlimit or cgroups), it runs under
# `buildah run --isolation chroot` instead, as the image's user, with its environment and
# entrypoint — the script says which.
# Not part of `./hum test` (it downloads Debian and npm packages and takes many minutes):
#   bash deploy/docker/build_test.sh            (needs podman and debootstrap: apt-get install podman debootstrap)
# Environment: HUM_DEBIAN_MIRROR (default http://deb.debian.org/debian), HUM_IMAGE_PORT (18123),
# HUM_MODELS_DIR (the folder mounted as /app/models; default ../shared/models).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$(pwd)"
work="${HUM_CACHE_DIR:-.cache}/image"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
podman=(podman --storage-driver vfs)
mirror="${HUM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
port="${HUM_IMAGE_PORT:-18123}"
models="${HUM_MODELS_DIR:-$root/../shared/models}"
jfk="$root/../shared/speech/jfk/jfk.wav"
name=hum-image-test
say() { echo "build_test: $*" >&2; }
seconds() { echo $(($(date +%s) - $1)); }

for tool in podman debootstrap curl; do
  command -v "$tool" >/dev/null || { say "needs $tool (apt-get install podman debootstrap curl)"; exit 1; }
done

# 1. The base image the Dockerfile names, made from Debian's packages.
if ! "${podman[@]}" image exists docker.io/library/debian:bookworm-slim; then
  t=$(date +%s)
  rm -rf "$work/rootfs"
  say "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # As the slim image: no documentation, no apt lists.
  rm -rf "$work/rootfs"/usr/share/{doc,man,info}/* "$work/rootfs"/var/lib/apt/lists/* \
    "$work/rootfs"/var/cache/apt/*.bin
  tar -C "$work/rootfs" -c . | "${podman[@]}" import --change 'CMD ["bash"]' - \
    docker.io/library/debian:bookworm-slim >/dev/null
  rm -rf "$work/rootfs"
  say "base image debian:bookworm-slim imported in $(seconds "$t") s"
fi

# 2. The image, as a user would build it.
t=$(date +%s)
say "podman build --build-arg BACKEND=cpu -t hum-helix:cpu ."
# A TLS-inspecting proxy's CA (the host's NODE_EXTRA_CA_CERTS) goes into the build for npm.
proxy_ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  proxy_ca=(-v "$NODE_EXTRA_CA_CERTS:/etc/hum-build-ca.pem:ro"
    --build-arg NODE_EXTRA_CA_CERTS=/etc/hum-build-ca.pem)
  say "passing the host's NODE_EXTRA_CA_CERTS to the build (npm behind a TLS-inspecting proxy)"
fi
"${podman[@]}" build --network host --pull=never --isolation chroot --format docker \
  "${proxy_ca[@]}" --build-arg BACKEND=cpu -t hum-helix:cpu . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; exit 1; }
build_s=$(seconds "$t")
size=$("${podman[@]}" image inspect hum-helix:cpu --format '{{.Size}}')
say "built in ${build_s} s; image size $((size / 1024 / 1024)) MiB"

# 3. Run it: the shared models as its models volume (read-only: nothing is downloaded).
"${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
t=$(date +%s)
runner=podman
if ! "${podman[@]}" run -d --name "$name" --network host -e PORT="$port" -e HUM_OFFLINE=1 \
  -v "$models:/app/models:ro" hum-helix:cpu >"$work/run.log" 2>&1; then
  say "podman run failed: $(tail -1 "$work/run.log")"
  say "running the image with buildah run --isolation chroot instead"
  runner=buildah
  "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
  buildah --storage-driver vfs rm "$name" >/dev/null 2>&1 || true
  buildah --storage-driver vfs from --name "$name" --pull=never hum-helix:cpu >/dev/null
  buildah --storage-driver vfs run --isolation chroot --network host --user 10001:10001 \
    --workingdir /app -e PORT="$port" -e HUM_OFFLINE=1 -v "$models:/app/models:ro" \
    "$name" -- ./hum start >"$work/container.log" 2>&1 &
  server_pid=$!
fi
cleanup() {
  if [ "$runner" = podman ]; then
    "${podman[@]}" logs "$name" >"$work/container.log" 2>&1 || true
    "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
  else
    # The server is the listener on the port (buildah's chroot child): stop it, then buildah.
    pid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -1)
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    kill "$server_pid" 2>/dev/null || true
    sleep 2
    buildah --storage-driver vfs rm "$name" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null ||
  { tail -30 "$work/container.log" >&2; say "not ready after 120 s"; exit 1; }
say "ready $(seconds "$t") s after $runner run"
if [ "$runner" = podman ]; then
  health=$("${podman[@]}" inspect "$name" --format '{{.State.Health.Status}}' 2>/dev/null || echo "?")
  user=$("${podman[@]}" exec "$name" id -u)
else
  health="not run (buildah)"
  user=$(buildah --storage-driver vfs run --isolation chroot --user 10001:10001 "$name" -- id -u)
fi

# 4. From outside: an upload, and one live session.
upload=$(curl -fsS -F file=@"$jfk" -F model=whisper-1 -F response_format=text \
  "http://127.0.0.1:$port/v1/audio/transcriptions")
say "upload: $upload"
deno="$(node -e 'process.stdout.write(require("./node_modules/deno/install_api.cjs").runInstall())')"
live=$("$deno" run -A client/cli.ts --url "http://127.0.0.1:$port" --file "$jfk" \
  --transport media --mode accuracy --realtime |
  "$deno" eval 'const t = await new Response(Deno.stdin.readable).text();
    console.log(t.trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.type === "final")
      .map((m) => m.text).join(" "));')
say "live session: $live"
echo "{\"runner\": \"$runner\", \"build_s\": $build_s, \"size_mb\": $((size / 1024 / 1024)), \"user\": $user," \
  "\"health\": \"$health\", \"upload\": $(printf '%s' "$upload" | "$deno" eval 'console.log(JSON.stringify(await new Response(Deno.stdin.readable).text()))')," \
  "\"live\": $(printf '%s' "$live" | "$deno" eval 'console.log(JSON.stringify(await new Response(Deno.stdin.readable).text()))')}"
for phrase in "ask not what your country can do for you"; do
  lower() { tr '[:upper:]' '[:lower:]' | tr -d '.,!?;:'; }
  printf '%s' "$upload" | lower | grep -q "$phrase" || { say "the upload lost \"$phrase\""; exit 1; }
  printf '%s' "$live" | lower | grep -q "what your country can do for you" ||
    { say "the live session lost its sentence"; exit 1; }
done
say "ok"
