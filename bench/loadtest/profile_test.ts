import { categoryOf, type CpuProfile, startProfile, summarize } from "./profile.ts";
import { freePort } from "./server_process.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("profile samples are filed by where their function lives", () => {
  const f = (url: string, functionName = "f") => categoryOf({ url, functionName });
  const nm = "file:///app/node_modules/.deno/werift@0.25.2/node_modules/werift";
  assertEquals(f(`${nm}/lib/rtp/src/srtp/cipher/gcm.js`), "werift srtp");
  assertEquals(f(`${nm}/lib/dtls/src/record/receive.js`), "werift dtls");
  assertEquals(f(`${nm}/lib/sctp/src/sctp.js`), "werift sctp");
  assertEquals(f(`${nm}/lib/ice/src/ice.js`), "werift ice");
  assertEquals(f(`${nm}/lib/webrtc/src/peerConnection.js`), "werift webrtc");
  assertEquals(
    f("file:///app/node_modules/.deno/zod@4.6.7/node_modules/zod/v4/core.js"),
    "npm zod",
  );
  assertEquals(f("file:///app/server/transport/webrtc/jitter.ts"), "server/transport");
  assertEquals(f("file:///app/decode/opus_stream.ts"), "decode");
  assertEquals(f("ext:deno_web/06_streams.js"), "deno runtime");
  assertEquals(f("", "(garbage collector)"), "gc");
  assertEquals(f("", "(idle)"), "idle");
  assertEquals(f("", "(program)"), "v8 / native");
  assertEquals(f("", "stringify"), "v8 builtins");
});

Deno.test("werift's one-file ES module bundle is split by the source file each section came from", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/node_modules/werift/lib/index.mjs`;
    Deno.mkdirSync(`${dir}/node_modules/werift/lib`, { recursive: true });
    Deno.writeTextFileSync(
      file,
      [
        "var x;",
        "// ../common/src/binary.ts",
        "function a() {}",
        "// ../rtp/src/srtp/cipher/gcm.ts",
        "function b() {}",
        "// ../sctp/src/sctp.ts",
        "function c() {}",
        "// src/peerConnection.ts",
        "function d() {}",
      ].join("\n"),
    );
    const url = `file://${file}`;
    const at = (lineNumber: number) => categoryOf({ functionName: "f", url, lineNumber });
    assertEquals([at(2), at(4), at(6), at(8)], [
      "werift common",
      "werift srtp",
      "werift sctp",
      "werift webrtc",
    ]);
    assertEquals(at(0), "werift other", "before the first section");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a profile's time is summed by category, largest first, in ms and %", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(idle)", url: "" } },
      {
        id: 2,
        callFrame: { functionName: "decode", url: "file:///a/decode/opus_stream.ts" },
        children: [3],
      },
      // A builtin the decoder called: its time is the decoder's.
      { id: 3, callFrame: { functionName: "set", url: "" } },
    ],
    startTime: 0,
    endTime: 10_000,
    samples: [2, 3, 1, 1, 1],
    timeDeltas: [0, 2_000, 2_000, 2_000, 2_000],
  };
  const s = summarize(profile);
  assertEquals(s.totalMs, 10);
  assertEquals(s.categories, [
    { category: "decode", ms: 4, pct: 40 },
    { category: "idle", ms: 4, pct: 40 },
  ]);
  // From 5 ms on: the samples taken at 6 and 8 ms (idle), over the last 5 ms.
  const late = summarize(profile, 5);
  assertEquals(late.totalMs, 5);
  assertEquals(late.categories, [{ category: "idle", ms: 2, pct: 40 }]);
});

Deno.test({
  name: "a process's JS thread is profiled through its inspector from its start: a busy function " +
    "shows as its own code",
  sanitizeResources: false,
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const script = `${dir}/busy/spin.ts`;
    Deno.mkdirSync(`${dir}/busy`);
    Deno.writeTextFileSync(
      script,
      // Work in turns of the event loop, as a server does.
      "let x = 0;\nfunction spin() {\n  const t0 = Date.now();\n  while (Date.now() - t0 < 20) " +
        "x += Math.sqrt(x + 1);\n  if (x >= 0) setTimeout(spin, 0);\n}\nspin();\n",
    );
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", `--inspect-wait=127.0.0.1:${port}`, script],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let profiling = null;
      for (let i = 0; i < 50 && !profiling; i++) {
        profiling = await startProfile(port, { resume: true }).catch(() => null);
        if (!profiling) await new Promise((r) => setTimeout(r, 100));
      }
      assert(profiling, "the inspector answered");
      await new Promise((r) => setTimeout(r, 300));
      // The part of interest: what came before is left out.
      const from = profiling.elapsedMs();
      await new Promise((r) => setTimeout(r, 700));
      const s = summarize(await profiling.stop(), from);
      assert(s.totalMs > 300, `${s.totalMs} ms profiled`);
      const own = s.categories.find((c) => c.category === "other");
      assert(own && own.pct > 50, JSON.stringify(s.categories));
    } finally {
      child.kill("SIGKILL");
      await child.status;
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
