/**
 * `deno task start [options]`: the hum-helix service. Loads the engine's models (a list of them
 * in the background, smallest first), serves the browser client at `/`, WHIP-style signalling
 * at `/v1/sessions`, status, metrics and probes (see `server/transport/http/app.ts`). SIGTERM
 * drains: new sessions are refused (and `/readyz` fails) while open ones finish, for up to
 * `--drain-s`; SIGINT ends every session at once (each still gets its final segment).
 *
 * @module
 */

import { z } from "zod";
import { parseCommandLine, runCommand } from "./args.ts";
import { Engine } from "../engine/engine.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL } from "../models/resolve.ts";
import { loadDefaultIntentClassifier } from "../intent/rules.ts";
import { wireService } from "./wire.ts";
import { clientFiles } from "../../client/files.ts";
import { ApiKeys } from "../transport/http/auth.ts";

const HELP = `Usage: deno task start [options]

Runs the speech-to-text service: the browser client at /, sessions at POST /v1/sessions.

Options (environment variable in brackets):
  --port N               HTTP port [PORT]; default 8000
  --host ADDR            bind address [HOST]; default 0.0.0.0
  --model NAME|PATH      default model [HUM_MODEL]; default ${DEFAULT_MODEL}
  --models A,B,…         models to load in the background, smallest first [HUM_MODELS];
                         sessions that name none get the largest ready one their mode allows
  --vad-model NAME|PATH  Silero VAD model; default ${DEFAULT_VAD_MODEL}
  --max-sessions N       sessions at once [HUM_MAX_SESSIONS]; default 32
  --slots N              decodes at once, all sessions together [HUM_INFERENCE_SLOTS];
                         default CPU cores ÷ 2 (each decode runs 2 threads); set it on a GPU
  --ice-server URL       an ICE server (repeatable) [HUM_ICE_SERVERS, comma-separated];
                         default none: host candidates only, nothing contacted outside
  --udp-ports A-B        UDP port range for ICE [HUM_UDP_PORTS]; default any
  --no-refuse-when-overloaded
                         admit sessions while inference is overloaded (up to --max-sessions)
  --drain-s N            on SIGTERM, how long open sessions may go on [HUM_DRAIN_S]; default 30
  --public-url URL       this server's own URL, for session locations [HUM_PUBLIC_URL]
  --api-keys-file FILE   API keys (YAML: keys: [{name, key | sha256, max_sessions, max_uploads}])
                         [HUM_API_KEYS_FILE]; or HUM_API_KEYS=name:key,… — with keys, sessions and
                         uploads need Authorization: Bearer <key>
  --key-max-sessions N   sessions one key may hold open, unless its entry says [HUM_KEY_MAX_SESSIONS];
                         default 8
  --key-max-uploads N    uploads one key may run at once, unless its entry says; default 2
  --allowed-origin URL   a browser origin allowed to call the service (repeatable)
                         [HUM_ALLOWED_ORIGINS, comma-separated]; default any
  --max-session-s N      longest a session may last, s [HUM_MAX_SESSION_S]; default 14400 (4 h)
  --idle-timeout-s N     a session that receives nothing this long is ended (a client that
                         vanished) [HUM_IDLE_TIMEOUT_S]; default 30
  --max-message-bytes N  largest data-channel message taken [HUM_MAX_MESSAGE_BYTES]; default 65536
  --max-upload-mb N      largest upload, MB [HUM_MAX_UPLOAD_MB]; default 200
  --max-upload-s N       longest audio in an upload, s [HUM_MAX_UPLOAD_S]; default 10800 (3 h)
  --max-uploads N        uploads transcribing at once [HUM_MAX_UPLOADS]; default 4
  --upload-share F       share of inference time uploads may take while live sessions decode
                         [HUM_UPLOAD_SHARE]; default 0.25 (they run freely when none does)
  --no-gpu               stay on the CPU
  --help                 this text
`;

const Options = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8000),
  host: z.string().min(1).default("0.0.0.0"),
  model: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).default([]),
  drainS: z.coerce.number().min(0).max(3600).default(30),
  publicUrl: z.string().url().optional(),
  vadModel: z.string().min(1).optional(),
  maxSessions: z.coerce.number().int().min(1).max(10_000).default(32),
  slots: z.coerce.number().int().min(1).max(1024).optional(),
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
  refuseWhenOverloaded: z.boolean().default(true),
  apiKeysFile: z.string().min(1).optional(),
  apiKeys: z.string().min(1).optional(),
  keyMaxSessions: z.coerce.number().int().min(1).max(100_000).default(8),
  keyMaxUploads: z.coerce.number().int().min(1).max(10_000).default(2),
  allowedOrigins: z.array(z.url().refine((u) => /^https?:\/\//.test(u), "must be http(s)"))
    .default([]),
  maxSessionS: z.coerce.number().min(1).max(7 * 86_400).default(4 * 3600),
  idleTimeoutS: z.coerce.number().min(1).max(3600).default(30),
  maxMessageBytes: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(65_536),
  maxUploadMb: z.coerce.number().min(0.001).max(100_000).default(200),
  maxUploadS: z.coerce.number().min(1).max(7 * 86_400).default(3 * 3600),
  maxUploads: z.coerce.number().int().min(0).max(1_000).default(4),
  uploadShare: z.coerce.number().min(0.01).max(1).default(0.25),
});
type Options = z.infer<typeof Options>;

/** Parses arguments, with the environment as defaults; throws an Error with a one-line reason. */
export function parseArgs(args: string[], env = Deno.env.toObject()): Options | "help" {
  const fromEnv: Record<string, unknown> = {};
  if (env.PORT) fromEnv.port = env.PORT;
  if (env.HOST) fromEnv.host = env.HOST;
  if (env.HUM_MODEL) fromEnv.model = env.HUM_MODEL;
  if (env.HUM_MAX_SESSIONS) fromEnv.maxSessions = env.HUM_MAX_SESSIONS;
  if (env.HUM_INFERENCE_SLOTS) fromEnv.slots = env.HUM_INFERENCE_SLOTS;
  if (env.HUM_MODELS) fromEnv.models = env.HUM_MODELS.split(",").filter(Boolean);
  if (env.HUM_DRAIN_S) fromEnv.drainS = env.HUM_DRAIN_S;
  if (env.HUM_PUBLIC_URL) fromEnv.publicUrl = env.HUM_PUBLIC_URL;
  if (env.HUM_ICE_SERVERS) fromEnv.iceServers = env.HUM_ICE_SERVERS.split(",").filter(Boolean);
  if (env.HUM_UDP_PORTS) fromEnv.udpPorts = env.HUM_UDP_PORTS;
  if (env.HUM_API_KEYS_FILE) fromEnv.apiKeysFile = env.HUM_API_KEYS_FILE;
  if (env.HUM_API_KEYS) fromEnv.apiKeys = env.HUM_API_KEYS;
  if (env.HUM_KEY_MAX_SESSIONS) fromEnv.keyMaxSessions = env.HUM_KEY_MAX_SESSIONS;
  if (env.HUM_ALLOWED_ORIGINS) {
    fromEnv.allowedOrigins = env.HUM_ALLOWED_ORIGINS.split(",").filter(Boolean);
  }
  if (env.HUM_MAX_SESSION_S) fromEnv.maxSessionS = env.HUM_MAX_SESSION_S;
  if (env.HUM_IDLE_TIMEOUT_S) fromEnv.idleTimeoutS = env.HUM_IDLE_TIMEOUT_S;
  if (env.HUM_MAX_MESSAGE_BYTES) fromEnv.maxMessageBytes = env.HUM_MAX_MESSAGE_BYTES;
  if (env.HUM_MAX_UPLOAD_MB) fromEnv.maxUploadMb = env.HUM_MAX_UPLOAD_MB;
  if (env.HUM_MAX_UPLOAD_S) fromEnv.maxUploadS = env.HUM_MAX_UPLOAD_S;
  if (env.HUM_MAX_UPLOADS) fromEnv.maxUploads = env.HUM_MAX_UPLOADS;
  if (env.HUM_UPLOAD_SHARE) fromEnv.uploadShare = env.HUM_UPLOAD_SHARE;
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
      "--slots": "slots",
      "--drain-s": "drainS",
      "--public-url": "publicUrl",
      "--udp-ports": "udpPorts",
      "--api-keys-file": "apiKeysFile",
      "--key-max-sessions": "keyMaxSessions",
      "--key-max-uploads": "keyMaxUploads",
      "--max-session-s": "maxSessionS",
      "--idle-timeout-s": "idleTimeoutS",
      "--max-message-bytes": "maxMessageBytes",
      "--max-upload-mb": "maxUploadMb",
      "--max-upload-s": "maxUploadS",
      "--max-uploads": "maxUploads",
      "--upload-share": "uploadShare",
    },
    bool: {
      "--no-gpu": ["gpu", false],
      "--no-refuse-when-overloaded": ["refuseWhenOverloaded", false],
    },
    collect: {
      "--models": (list, raw) => {
        raw.models = list.split(",").filter(Boolean);
      },
      "--ice-server": (url, raw) => {
        raw.iceServers = [...(raw.iceServers as string[] | undefined ?? []), url];
      },
      "--allowed-origin": (url, raw) => {
        raw.allowedOrigins = [...(raw.allowedOrigins as string[] | undefined ?? []), url];
      },
    },
  }, schema as z.ZodType<Options>);
}

/** The API keys the options name (a file, or a list), or null for none. */
export async function loadApiKeys(opts: Options): Promise<ApiKeys | null> {
  const defaults = { maxSessions: opts.keyMaxSessions, maxUploads: opts.keyMaxUploads };
  if (opts.apiKeysFile) return await ApiKeys.load(opts.apiKeysFile, defaults);
  if (opts.apiKeys) return await ApiKeys.fromList(opts.apiKeys, defaults);
  return null;
}

async function serve(opts: Options): Promise<number> {
  const apiKeys = await loadApiKeys(opts);
  const engine = new Engine({
    model: opts.model,
    models: opts.models,
    vadModel: opts.vadModel,
    useGpu: opts.gpu,
    intents: await loadDefaultIntentClassifier(),
    scheduler: { slots: opts.slots, threadsPerJob: 2, batchShare: opts.uploadShare },
  });
  // Without a background list, load the default model now: the first session should not wait.
  if (!opts.models.length) await engine.model();
  const { app, registry } = wireService(engine, {
    maxSessions: opts.maxSessions,
    refuseWhenOverloaded: opts.refuseWhenOverloaded,
    publicUrl: opts.publicUrl,
    staticFiles: await clientFiles(),
    apiKeys,
    allowedOrigins: opts.allowedOrigins,
    maxSessionMs: opts.maxSessionS * 1000,
    maxMessageBytes: opts.maxMessageBytes,
    maxUploads: opts.maxUploads,
    uploads: {
      maxBytes: Math.round(opts.maxUploadMb * 1024 * 1024),
      maxDurationS: opts.maxUploadS,
    },
    peer: {
      iceServers: opts.iceServers.map((urls) => ({ urls })),
      portRange: opts.udpPorts,
      idleTimeoutMs: opts.idleTimeoutS * 1000,
    },
  });
  if (apiKeys) console.error(`hum-helix: ${apiKeys.size} API keys; sessions and uploads need one`);
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.host,
    onListen: ({ hostname, port }) =>
      console.error(`hum-helix listening on http://${hostname}:${port}/`),
  }, app.handle);
  const stop = Promise.withResolvers<Deno.Signal>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, () => stop.resolve(s));
  if (await stop.promise === "SIGTERM" && registry.size) {
    console.error(`hum-helix: draining ${registry.size} sessions (at most ${opts.drainS} s)…`);
    await registry.drain(opts.drainS * 1000);
  }
  console.error("hum-helix: ending sessions…");
  await app.close();
  await server.shutdown();
  await engine.close();
  return 0;
}

if (import.meta.main) Deno.exit(await runCommand(Deno.args, HELP, parseArgs, serve));
