/**
 * The load generator's clients, in this process or spread over worker processes: one JS thread
 * runs every werift connection, Opus encoder and real-time pacer of its clients, so past a few
 * dozen clients one process measures itself rather than the server (issue 19: 32 clients in one
 * process ran its thread at 100 %). Each worker process runs its share of the clients, streams
 * each finished session back as one JSON line, and reports how busy its main thread was; a level
 * whose generator thread passed {@linkcode GENERATOR_BUSY_PCT} of a core is marked so, and no
 * capacity figure is taken from it.
 *
 * `deno run -A bench/loadtest/generator.ts` is the worker: a {@linkcode WorkerJob} on stdin.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { runClient } from "../../client/cli.ts";

/** A generator thread busier than this share of a core (%) may be what limits a level. */
export const GENERATOR_BUSY_PCT = 70;

/** The clients' settings. */
export interface ClientSpec {
  url: string;
  file: string;
  transport: "media" | "audio" | "mel" | "ws";
  mode: "latency" | "balanced" | "accuracy";
}

/** What one worker process runs. */
export interface WorkerJob extends ClientSpec {
  /** The clients' numbers (each waits `k × spreadMs / sessions` before its first session). */
  clients: number[];
  /** Clients in the whole level. */
  sessions: number;
  spreadMs: number;
  /** Each client starts sessions until this wall-clock time (`Date.now()`), at least one. */
  endAtMs: number;
}

/** One finished session of one client. */
export interface ClientRun {
  client: number;
  error: string | null;
  messages: Record<string, unknown>[];
}

/** How busy one generator process was while its clients ran. */
export interface GeneratorLoad {
  clients: number;
  /** CPU time of its main (JS) thread over the wall time, % of one core. */
  threadCpuPct: number;
  /** CPU time of the whole process (its helper threads too), % of one core. */
  processCpuPct: number;
}

/** CPU time so far, ms: the main thread's (Linux `/proc`) and the process's. */
export function cpuNow(): { threadMs: number | null; processMs: number } {
  const u = process.cpuUsage();
  let threadMs: number | null = null;
  try {
    // Fields 14 and 15 (utime, stime) after the command name, in clock ticks (100 a second).
    // Read synchronously, on the JS thread itself: /proc/thread-self is that thread.
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    threadMs = (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    // Not Linux: the process's figure stands in.
  }
  return { threadMs, processMs: (u.user + u.system) / 1000 };
}

/**
 * Runs `job`'s clients here, handing each finished session to `onRun`; resolves with how busy this
 * process was.
 */
export async function runClients(
  job: WorkerJob,
  onRun: (r: ClientRun) => void,
): Promise<GeneratorLoad> {
  const t0 = performance.now();
  const c0 = cpuNow();
  const client = async (k: number) => {
    await new Promise((r) => setTimeout(r, (k * job.spreadMs) / job.sessions));
    do {
      const r = await runClient({
        url: job.url,
        file: job.file,
        transport: job.transport,
        mode: job.mode,
        realtime: true,
        clock: "client",
        timeout: 600,
      });
      onRun({ client: k, error: r.error, messages: r.messages });
    } while (Date.now() < job.endAtMs);
  };
  await Promise.all(job.clients.map(client));
  const wall = performance.now() - t0;
  const c1 = cpuNow();
  const pct = (ms: number) => Math.round((ms / Math.max(wall, 1)) * 1000) / 10;
  const processPct = pct(c1.processMs - c0.processMs);
  return {
    clients: job.clients.length,
    threadCpuPct: c0.threadMs === null || c1.threadMs === null
      ? processPct
      : pct(c1.threadMs - c0.threadMs),
    processCpuPct: processPct,
  };
}

/** A worker's stdout lines: sessions as they finish, then its load. */
export type WorkerLine = { run: ClientRun } | { done: GeneratorLoad } | { failed: string };

/**
 * Runs `job`'s clients in a worker process of their own; each finished session goes to `onRun`
 * as it arrives.
 */
export async function runWorker(
  job: WorkerJob,
  onRun: (r: ClientRun) => void,
): Promise<GeneratorLoad> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", fileURLToPath(import.meta.url)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(job)));
  await w.close();
  let load: GeneratorLoad | null = null;
  let failed = "";
  let rest = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (!line.trim()) continue;
      const m = JSON.parse(line) as WorkerLine;
      if ("run" in m) onRun(m.run);
      else if ("done" in m) load = m.done;
      else failed = m.failed;
    }
  }
  const status = await child.status;
  if (!load) {
    throw new Error(
      `load generator worker (clients ${job.clients.join(",")}) ended without its report: ` +
        (failed || `exit code ${status.code}`),
    );
  }
  return load;
}

if (import.meta.main) {
  const out = (m: WorkerLine) => {
    const bytes = new TextEncoder().encode(JSON.stringify(m) + "\n");
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
  };
  try {
    const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as WorkerJob;
    out({ done: await runClients(job, (run) => out({ run })) });
    // The clients' connections may leave timers and sockets behind: the work is done.
    Deno.exit(0);
  } catch (err) {
    out({ failed: (err as Error).stack ?? String(err) });
    Deno.exit(1);
  }
}
