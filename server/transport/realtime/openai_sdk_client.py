"""For tests and figures: a Realtime transcription client written only with the official Python
`openai` package (its `client.realtime.connect()` code path, as a voice app would use it).

Streams raw 24 kHz PCM16 mono (a file the caller prepared) as 100 ms appends, at the speaker's
pace with --realtime, lets server VAD end the turns (or commits once with --manual), and prints
every server event as a JSON line with `receivedMs` (since the first append).

    python openai_sdk_client.py BASE_URL KEY PCM24_FILE [--realtime] [--manual] [--mode M]
"""

import asyncio
import base64
import json
import sys
import time

from openai import AsyncOpenAI


async def main() -> int:
    base_url, key, path = sys.argv[1:4]
    flags = sys.argv[4:]
    realtime = "--realtime" in flags
    manual = "--manual" in flags
    mode = flags[flags.index("--mode") + 1] if "--mode" in flags else "balanced"
    pcm = open(path, "rb").read()
    # One second of silence ends the last turn.
    pcm += bytes(48_000)
    client = AsyncOpenAI(api_key=key, base_url=base_url)
    t0 = None
    last_event = time.monotonic()
    open_items: set = set()
    completions = 0
    out = []

    async with client.realtime.connect(
        extra_query={"intent": "transcription", "mode": mode}
    ) as conn:
        await conn.session.update(
            session={
                "type": "transcription",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                        "turn_detection": None
                        if manual
                        else {"type": "server_vad", "silence_duration_ms": 500},
                    }
                },
            }
        )

        async def send() -> None:
            nonlocal t0
            t0 = time.monotonic()
            step = 4_800  # 100 ms of 24 kHz PCM16
            for n, i in enumerate(range(0, len(pcm), step)):
                chunk = base64.b64encode(pcm[i : i + step]).decode()
                await conn.input_audio_buffer.append(audio=chunk)
                wait = (n + 1) * 0.1 - (time.monotonic() - t0) if realtime else 0.005
                if wait > 0:
                    await asyncio.sleep(wait)
            if manual:
                await conn.input_audio_buffer.commit()

        sender = asyncio.create_task(send())
        sent_at = None
        while True:
            if sender.done() and sent_at is None:
                sender.result()
                sent_at = time.monotonic()
            try:
                event = await asyncio.wait_for(conn.recv(), timeout=0.2)
            except asyncio.TimeoutError:
                event = None
            now = time.monotonic()
            if event is not None:
                last_event = now
                d = event.model_dump(mode="json", exclude_unset=True)
                d["receivedMs"] = 0 if t0 is None else round((now - t0) * 1000)
                out.append(json.dumps(d))
                if event.type == "input_audio_buffer.speech_started":
                    open_items.add(event.item_id)
                if event.type == "conversation.item.input_audio_transcription.completed":
                    open_items.discard(event.item_id)
                    completions += 1
            if sent_at is not None:
                if now - sent_at > 60:
                    break
                if manual and completions > 0:
                    break
                if not manual and not open_items and now - last_event > 3:
                    break
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
