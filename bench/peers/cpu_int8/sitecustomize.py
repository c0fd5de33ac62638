"""Put on PYTHONPATH to run ufal/whisper_streaming's unmodified whisper_online.py on a CPU: its
faster-whisper backend asks for device="cuda", float16; this makes every WhisperModel load on the
CPU with int8 weights (the setting the streaming issue measured) and HUM_PEER_THREADS threads."""

import os

import faster_whisper

_init = faster_whisper.WhisperModel.__init__


def _cpu_int8(self, model_size_or_path, *args, **kwargs):
    kwargs["device"] = "cpu"
    kwargs["compute_type"] = "int8"
    kwargs["cpu_threads"] = int(os.environ.get("HUM_PEER_THREADS", "2"))
    kwargs.pop("download_root", None)
    kwargs["local_files_only"] = True
    _init(self, model_size_or_path, *args, **kwargs)


faster_whisper.WhisperModel.__init__ = _cpu_int8
