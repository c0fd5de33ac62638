/**
 * A CPU profile of the server's JS thread during a load level, through its V8 inspector (the
 * server runs with `--inspect=127.0.0.1:PORT`): the Chrome DevTools Protocol's `Profiler` domain
 * over the inspector's WebSocket, sampling every millisecond. The samples are summed by where
 * their function lives — werift's ICE, DTLS, SRTP, SCTP and RTP code, this repository's stages
 * by folder, V8's garbage collector, native code called from JS, idle — so the load test can say
 * what the server's event loop spends its time on at N sessions, beside the stage timers of
 * `/metrics` (`util/stage_cost.ts`).
 *
 * @module
 */

/** A node of a V8 CPU profile (the parts used here). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber?: number };
  children?: number[];
}

/** A V8 CPU profile (`Profiler.stop`'s result). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** How the samples divide, by category: ms and % of the profile's time. */
export interface ProfileSummary {
  /** The profile's length, ms. */
  totalMs: number;
  /** Categories, largest first. */
  categories: { category: string; ms: number; pct: number }[];
}

/**
 * werift's parts, by the source path its files came from (`rtp/src/srtp/…`, `dtls/src/…`): each a
 * transport stage of its own. Its ES module is one bundle (`lib/index.mjs`) whose sections start
 * with a comment naming their source file; the CommonJS build keeps the folders.
 */
const WERIFT_PARTS: readonly [RegExp, string][] = [
  [/(^|\/)rtp\/src\/srtp\//, "werift srtp"],
  [/(^|\/)dtls\//, "werift dtls"],
  [/(^|\/)sctp\//, "werift sctp"],
  [/(^|\/)ice(-server)?\//, "werift ice"],
  [/(^|\/)rtp\//, "werift rtp"],
  [/(^|\/)common\//, "werift common"],
  [/^src\/|(^|\/)webrtc\//, "werift webrtc"],
];

/** A werift source path's part, or null. */
function weriftPart(path: string): string | null {
  for (const [re, name] of WERIFT_PARTS) if (re.test(path)) return name;
  return null;
}

/** Per bundled file: where each section starts (0-based line) and its source path, in order. */
const bundleSections = new Map<string, { line: number; source: string }[]>();

/** The source path of the bundle section holding `line` (0-based) of `url`; "" if none. */
function bundleSource(url: string, line: number): string {
  let sections = bundleSections.get(url);
  if (!sections) {
    sections = [];
    try {
      const lines = Deno.readTextFileSync(new URL(url)).split("\n");
      lines.forEach((l, i) => {
        const m = l.match(/^\/\/ (?:\.\.\/)?(\S+\.ts)$/);
        if (m) sections!.push({ line: i, source: m[1] });
      });
    } catch {
      // Not a readable file: no sections.
    }
    bundleSections.set(url, sections);
  }
  let found = "";
  for (const s of sections) {
    if (s.line > line) break;
    found = s.source;
  }
  return found;
}

/** The category of a profile node: see the module doc. */
export function categoryOf(
  frame: { functionName: string; url: string; lineNumber?: number },
): string {
  const { functionName: fn, url } = frame;
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "gc";
  if (fn === "(program)" || fn === "(root)") return "v8 / native";
  if (url.includes("/node_modules/werift")) {
    const inBundle = /\.mjs$/.test(url) && frame.lineNumber !== undefined
      ? weriftPart(bundleSource(url, frame.lineNumber))
      : null;
    return inBundle ?? weriftPart(url.replace(/^.*\/node_modules\/werift\/lib\//, "")) ??
      "werift other";
  }
  if (url.includes("/node_modules/") || url.startsWith("npm:")) {
    const m = url.match(/node_modules\/(\.deno\/)?((@[^/]+\/)?[^/@]+)/);
    return `npm ${m ? m[2] : "other"}`;
  }
  if (url === "") return "v8 builtins";
  if (url.startsWith("ext:") || url.startsWith("node:")) return "deno runtime";
  const m = url.match(/\/(server\/[^/]+|decode|protocol|util|ffi\/[^/]+|client)\//);
  return m ? m[1] : "other";
}

/**
 * Sums a profile's samples from `fromMs` after its start on by {@linkcode categoryOf}. A sample in a V8 builtin (no script URL:
 * `JSON.stringify`, `Math.sqrt`, typed-array copies) counts for the nearest caller that has one,
 * so work is filed under the code that asked for it.
 */
export function summarize(profile: CpuProfile, fromMs = 0): ProfileSummary {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byId = new Map<number, string>();
  for (const n of profile.nodes) {
    let at: ProfileNode | undefined = n;
    const special = n.callFrame.functionName.startsWith("(");
    while (!special && at && at.callFrame.url === "" && parent.has(at.id)) {
      at = nodes.get(parent.get(at.id)!);
    }
    byId.set(
      n.id,
      categoryOf((at && at.callFrame.url !== "") || special ? at!.callFrame : n.callFrame),
    );
  }
  const ms = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const from = profile.startTime + fromMs * 1000;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    // Sample i was taken at the sum of the deltas up to it, and lasts until the next one.
    at += deltas[i] ?? 0;
    if (at < from) continue;
    const dt = (deltas[i + 1] ?? 0) / 1000;
    const c = byId.get(samples[i]) ?? "other";
    ms.set(c, (ms.get(c) ?? 0) + dt);
  }
  const totalMs = Math.max(0, profile.endTime - Math.max(from, profile.startTime)) / 1000;
  return {
    totalMs,
    categories: [...ms].map(([category, t]) => ({
      category,
      ms: Math.round(t),
      pct: totalMs > 0 ? Math.round((t / totalMs) * 1000) / 10 : 0,
    })).sort((a, b) => b.ms - a.ms),
  };
}

/** A started profile: `stop` ends it and returns it. */
export interface Profiling {
  stop(): Promise<CpuProfile>;
  /** ms since sampling started, on this process's clock (to summarize from a point on). */
  elapsedMs(): number;
}

/**
 * Starts sampling the JS thread of the process whose inspector listens on `port` (loopback);
 * `resume`: the process waits for a debugger (`--inspect-wait`) and runs once sampling is on.
 * Functions compiled before sampling began are filed under their callers (V8 kept no source
 * positions for them; nor does a profile restarted later), so a profile is best begun with the
 * process (`resume`) and summarized from where the part of interest began
 * (`summarize(profile, elapsedMs)`). Throws when no inspector answers there.
 */
export async function startProfile(
  port: number,
  opts: { intervalUs?: number; resume?: boolean } = {},
): Promise<Profiling> {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
    webSocketDebuggerUrl: string;
  }[];
  if (!targets.length) throw new Error(`Cannot profile: no inspector target on port ${port}`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(new Error(`Cannot profile: ${(e as ErrorEvent).message}`));
  });
  let next = 1;
  const pending = new Map<number, (r: { result?: unknown; error?: { message: string } }) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data));
    if (typeof msg.id === "number") pending.get(msg.id)?.(msg);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, (r) => {
        pending.delete(id);
        if (r.error) reject(new Error(`${method}: ${r.error.message}`));
        else resolve(r.result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: opts.intervalUs ?? 1000 });
  await call("Profiler.start");
  const startedAt = performance.now();
  if (opts.resume) await call("Runtime.runIfWaitingForDebugger");
  return {
    elapsedMs: () => performance.now() - startedAt,
    async stop() {
      try {
        const r = await call("Profiler.stop") as { profile: CpuProfile };
        return r.profile;
      } finally {
        ws.close();
      }
    },
  };
}
