/**
 * `deno task start [options]`: the hum-helix service. Loads the engine's models, serves the
 * browser client at `/` and WHIP-style signalling at `/v1/sessions` (see
 * `server/transport/http/app.ts`), and ends every session cleanly on SIGINT/SIGTERM.
 *
 * @module
 */

import { z } from "zod";
import { parseCommandLine, runCommand } from "./args.ts";
import { Engine } from "../engine/engine.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL } from "../models/resolve.ts";
import { loadDefaultIntentClassifier } from "../intent/rules.ts";
import { SessionRegistry } from "../session/registry.ts";
import { App } from "../transport/http/app.ts";
import { clientFiles } from "../../client/files.ts";

const HELP = `Usage: deno task start [options]

Runs the speech-to-text service: the browser client at /, sessions at POST /v1/sessions.

Options (environment variable in brackets):
  --port N               HTTP port [PORT]; default 8000
  --host ADDR            bind address [HOST]; default 0.0.0.0
  --model NAME|PATH      default model [HUM_MODEL]; default ${DEFAULT_MODEL}
  --vad-model NAME|PATH  Silero VAD model; default ${DEFAULT_VAD_MODEL}
  --max-sessions N       sessions at once [HUM_MAX_SESSIONS]; default 32
  --ice-server URL       an ICE server (repeatable) [HUM_ICE_SERVERS, comma-separated];
                         default none: host candidates only, nothing contacted outside
  --udp-ports A-B        UDP port range for ICE [HUM_UDP_PORTS]; default any
  --no-gpu               stay on the CPU
  --help                 this text
`;

const Options = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8000),
  host: z.string().min(1).default("0.0.0.0"),
  model: z.string().min(1).optional(),
  vadModel: z.string().min(1).optional(),
  maxSessions: z.coerce.number().int().min(1).max(10_000).default(32),
  iceServers: z.array(
    z.string().regex(/^(stun|turn|turns):/, "must be a stun:, turn: or turns: URL"),
  )
    .default([]),
  udpPorts: z.string().regex(/^\d+-\d+$/, "must be A-B").optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const [a, b] = s.split("-").map(Number);
      if (!(a >= 1024 && b <= 65535 && a <= b)) {
        ctx.addIssue({ code: "custom", message: `range ${s} must lie in 1024-65535, low to high` });
        return z.NEVER;
      }
      return [a, b] as [number, number];
    }),
  gpu: z.boolean().default(true),
});
type Options = z.infer<typeof Options>;

/** Parses arguments, with the environment as defaults; throws an Error with a one-line reason. */
export function parseArgs(args: string[], env = Deno.env.toObject()): Options | "help" {
  const fromEnv: Record<string, unknown> = {};
  if (env.PORT) fromEnv.port = env.PORT;
  if (env.HOST) fromEnv.host = env.HOST;
  if (env.HUM_MODEL) fromEnv.model = env.HUM_MODEL;
  if (env.HUM_MAX_SESSIONS) fromEnv.maxSessions = env.HUM_MAX_SESSIONS;
  if (env.HUM_ICE_SERVERS) fromEnv.iceServers = env.HUM_ICE_SERVERS.split(",").filter(Boolean);
  if (env.HUM_UDP_PORTS) fromEnv.udpPorts = env.HUM_UDP_PORTS;
  const schema = z.preprocess(
    (raw) => ({ ...fromEnv, ...(raw as Record<string, unknown>) }),
    Options,
  );
  return parseCommandLine(args, {
    file: "none",
    value: {
      "--port": "port",
      "--host": "host",
      "--model": "model",
      "--vad-model": "vadModel",
      "--max-sessions": "maxSessions",
      "--udp-ports": "udpPorts",
    },
    bool: { "--no-gpu": ["gpu", false] },
    collect: {
      "--ice-server": (url, raw) => {
        raw.iceServers = [...(raw.iceServers as string[] | undefined ?? []), url];
      },
    },
  }, schema as z.ZodType<Options>);
}

async function serve(opts: Options): Promise<number> {
  const engine = new Engine({
    model: opts.model,
    vadModel: opts.vadModel,
    useGpu: opts.gpu,
    intents: await loadDefaultIntentClassifier(),
  });
  // Load the default model now: the first session should not wait for it.
  await engine.model();
  let app: App | null = null;
  const registry = new SessionRegistry(engine, {
    maxSessions: opts.maxSessions,
    onClosed: (s) => app?.sessionClosed(s),
  });
  app = new App({
    registry,
    staticFiles: await clientFiles(),
    peer: {
      iceServers: opts.iceServers.map((urls) => ({ urls })),
      portRange: opts.udpPorts,
    },
  });
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.host,
    onListen: ({ hostname, port }) =>
      console.error(`hum-helix listening on http://${hostname}:${port}/`),
  }, app.handle);
  const stop = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, () => stop.resolve());
  await stop.promise;
  console.error("hum-helix: ending sessions…");
  await app.close();
  await server.shutdown();
  await engine.close();
  return 0;
}

if (import.meta.main) Deno.exit(await runCommand(Deno.args, HELP, parseArgs, serve));
