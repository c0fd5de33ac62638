#!/usr/bin/env bash
# Installs a CUDA 13 compiler toolkit from PyPI into .cache/cuda (once), for the CUDA compile check
# (`deno task build:cuda-check`) on machines without an NVIDIA driver or a system CUDA: nvcc, the
# CUDA runtime, cuBLAS and CCCL (Thrust/CUB headers), all under site-packages/nvidia/cu13. The
# wheels ship only versioned libraries (libcudart.so.13, …); CMake's FindCUDAToolkit and the linker
# want the unversioned names too, so this adds those links. Prints the toolkit root on stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dir="${HUM_CACHE_DIR:-.cache}/cuda"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pkgs=(nvidia-cuda-nvcc==13.5.37 nvidia-cuda-runtime==13.5.37 nvidia-cublas==13.10.0.20
  nvidia-cuda-cccl==13.3.5.0.6)
stamp="$dir/installed.txt"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${pkgs[*]}" ]; then
  echo "hum: installing ${pkgs[*]} into $dir/venv" >&2
  [ -x "$dir/venv/bin/pip" ] || python3 -m venv "$dir/venv" >&2
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "${pkgs[@]}" >&2
  printf '%s' "${pkgs[*]}" >"$stamp"
fi
root="$(echo "$dir"/venv/lib/python3*/site-packages/nvidia/cu13)"
[ -x "$root/bin/nvcc" ] || { echo "hum: no nvcc in $root/bin after the install" >&2; exit 1; }
for lib in cudart cublas cublasLt; do
  so="$(cd "$root/lib" && ls "lib$lib.so."* 2>/dev/null | sort -V | head -n 1)"
  [ -n "$so" ] || { echo "hum: no lib$lib.so.* in $root/lib" >&2; exit 1; }
  ln -sf "$so" "$root/lib/lib$lib.so"
done
echo "$root"
