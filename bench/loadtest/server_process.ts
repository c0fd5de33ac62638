/**
 * The service as a process of its own (`server/cli/serve.ts` on a free loopback port), for load
 * tests and the bench's service SUT: its memory and CPU are then its own, not the clients'.
 *
 * @module
 */

import { REPO_ROOT } from "../../ffi/whisper/build.ts";
import { type Profiling, startProfile } from "./profile.ts";

/** A running server process. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** The CPU profile of its JS thread (with `inspectPort`), running since it started. */
  profiling?: Profiling;
  /** The server's `/v1/status`. */
  status(): Promise<Record<string, unknown>>;
  /** Resident memory now and at its peak, MB (from its status). */
  memory(): Promise<{ rssMb: number; peakRssMb: number }>;
  /** Ends it (SIGINT: every session finalized) and waits for it to exit. */
  stop(): Promise<void>;
  /** Sends `signal` (e.g. SIGTERM: drain) and resolves with how the process exited. */
  kill(signal: Deno.Signal): Promise<Deno.CommandStatus>;
  /** The end of what it wrote to stderr. */
  log(): string;
}

/** Options of {@linkcode startServerProcess}: `deno task start` flags. */
export interface ServerProcessOptions {
  model?: string;
  vadModel?: string;
  maxSessions?: number;
  slots?: number;
  /** More flags for `serve.ts`. */
  args?: string[];
  /** How long to wait for `/readyz`, ms (default 60 000). */
  readyTimeoutMs?: number;
  /** Environment variables set for the server beside this process's own. */
  env?: Record<string, string>;
  /**
   * Profiles the server's JS thread from its start (`profile.ts`): it runs with its V8 inspector
   * on this loopback port, waiting for the profiler to attach (`ServerProcess.profiling`).
   */
  inspectPort?: number;
}

/** A free TCP port on loopback (free when asked: another process may take it before use). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts the service and resolves once `/readyz` says it takes sessions. */
export async function startServerProcess(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  const port = freePort();
  const args = [
    "run",
    "--allow-all",
    ...(opts.inspectPort ? [`--inspect-wait=127.0.0.1:${opts.inspectPort}`] : []),
    `${REPO_ROOT}/server/cli/serve.ts`,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--max-sessions",
    String(opts.maxSessions ?? 64),
    ...(opts.model ? ["--model", opts.model] : []),
    ...(opts.vadModel ? ["--vad-model", opts.vadModel] : []),
    ...(opts.slots ? ["--slots", String(opts.slots)] : []),
    ...(opts.args ?? []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: opts.env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const readLog = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log.push(chunk);
      if (log.length > 200) log.shift();
    }
  })();
  const url = `http://127.0.0.1:${port}`;
  const exited = child.status.then(() => true);
  // The server waits for the profiler (`--inspect-wait`): sampling starts before its code runs.
  let profiling: Profiling | undefined;
  for (let i = 0; opts.inspectPort && !profiling; i++) {
    profiling = await startProfile(opts.inspectPort, { resume: true }).catch((err) => {
      if (i >= 100) throw err;
      return undefined;
    });
    if (!profiling) await new Promise((r) => setTimeout(r, 100));
  }
  const deadline = performance.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), 200))])) {
      await readLog;
      throw new Error(`The server exited before it was ready: ${log.join("").trim().slice(-500)}`);
    }
    try {
      const r = await fetch(`${url}/readyz`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`The server was not ready within ${opts.readyTimeoutMs ?? 60_000} ms`);
    }
  }
  const status = async () => await (await fetch(`${url}/v1/status`)).json();
  return {
    url,
    pid: child.pid,
    profiling,
    status,
    async memory() {
      const p = (await status()).process as { rss_mb: number; peak_rss_mb: number };
      return { rssMb: p.rss_mb, peakRssMb: p.peak_rss_mb };
    },
    async stop() {
      try {
        child.kill("SIGINT");
      } catch {
        // Already gone.
      }
      await child.status;
      await readLog;
    },
    async kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
      const status = await child.status;
      await readLog;
      return status;
    },
    log: () => log.join(""),
  };
}
