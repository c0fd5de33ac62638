/**
 * `deno task start [options]`: the hum-helix service. Loads the engine's models (a list of them
 * in the background, smallest first), serves the browser client at `/` (the bundle the start
 * task built, `client/build.ts`; this never builds it), WHIP-style signalling
 * at `/v1/sessions`, status, metrics and probes (see `server/transport/http/app.ts`). SIGTERM
 * drains: new sessions and uploads are refused (and `/readyz` fails) while open sessions finish,
 * for up to `--drain-s`, and uploads already running finish; SIGINT ends every session at once
 * (each still gets its final segment).
 *
 * @module
 */

import { z } from "zod";
import {
  type CommandSpec,
  flagSchema,
  type FlagTable,
  helpText,
  parseFlags,
} from "../../util/flags.ts";
import { runCommand } from "../../util/command.ts";
import { Engine } from "../engine/engine.ts";
import {
  ATTENTION_FLAG,
  flashAttnFor,
  MODEL_FLAG,
  NO_GPU_FLAG,
  VAD_MODEL_FLAG,
} from "./model_flags.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL } from "../models/resolve.ts";
import { ensureModels } from "../models/ensure.ts";
import { tuneAllocator } from "../../ffi/native/libc.ts";
import { loadDefaultIntentClassifier } from "../intent/rules.ts";
import { wireService } from "./wire.ts";
import { clientBundleWarning, clientFiles } from "../../client/files.ts";
import { ApiKeys } from "../transport/http/auth.ts";

const count = (max: number, min = 1) => z.coerce.number().int().min(min).max(max);

/** The flags of `deno task start`, each with the environment variable that sets it too. */
export const SERVE_FLAGS = {
  port: {
    flag: "--port",
    arg: "N",
    env: "PORT",
    schema: z.coerce.number().int().min(0).max(65535).default(8000),
    help: "HTTP port",
  },
  host: {
    flag: "--host",
    arg: "ADDR",
    env: "HOST",
    schema: z.string().min(1).default("0.0.0.0"),
    help: "bind address",
  },
  tlsCert: {
    flag: "--tls-cert",
    arg: "PATH",
    env: "HUM_TLS_CERT",
    schema: z.string().min(1).optional(),
    help: "serve HTTPS (and wss:) with this PEM certificate chain; needs --tls-key",
  },
  tlsKey: {
    flag: "--tls-key",
    arg: "PATH",
    env: "HUM_TLS_KEY",
    schema: z.string().min(1).optional(),
    help: "the PEM private key of --tls-cert",
  },
  model: { ...MODEL_FLAG, env: "HUM_MODEL", defaultHelp: DEFAULT_MODEL, help: "default model" },
  models: {
    flag: "--models",
    arg: "A,B,…",
    env: "HUM_MODELS",
    repeat: "split",
    schema: z.array(z.string().min(1)).default([]),
    help: "models to load in the background, smallest first; sessions that name none get the " +
      "largest ready one their mode allows",
  },
  vadModel: VAD_MODEL_FLAG,
  maxSessions: {
    flag: "--max-sessions",
    arg: "N",
    env: "HUM_MAX_SESSIONS",
    schema: count(10_000).default(32),
    help: "sessions at once",
  },
  slots: {
    flag: "--slots",
    arg: "N",
    env: "HUM_INFERENCE_SLOTS",
    schema: count(1024).optional(),
    defaultHelp: "CPU cores ÷ 2 (each decode runs 2 threads); set it on a GPU",
    help: "decodes at once, all sessions together",
  },
  iceServers: {
    flag: "--ice-server",
    arg: "URL",
    env: "HUM_ICE_SERVERS",
    repeat: "append",
    schema: z.array(
      z.string().regex(/^(stun|turn|turns):/, "must be a stun:, turn: or turns: URL"),
    ).default([]),
    defaultHelp: "none: host candidates only, nothing contacted outside",
    help: "an ICE server",
  },
  udpPorts: {
    flag: "--udp-ports",
    arg: "A-B",
    env: "HUM_UDP_PORTS",
    schema: z.string().regex(/^\d+-\d+$/, "must be A-B").optional()
      .transform((s, ctx) => {
        if (!s) return undefined;
        const [a, b] = s.split("-").map(Number);
        if (!(a >= 1024 && b <= 65535 && a <= b)) {
          ctx.addIssue({
            code: "custom",
            message: `range ${s} must lie in 1024-65535, low to high`,
          });
          return z.NEVER;
        }
        return [a, b] as [number, number];
      }),
    defaultHelp: "any",
    help: "UDP port range for ICE",
  },
  refuseWhenOverloaded: {
    flag: "--no-refuse-when-overloaded",
    sets: false,
    schema: z.boolean().default(true),
    help: "admit sessions while inference is overloaded (up to --max-sessions)",
  },
  drainS: {
    flag: "--drain-s",
    arg: "N",
    env: "HUM_DRAIN_S",
    schema: z.coerce.number().min(0).max(3600).default(30),
    unit: "s",
    help: "on SIGTERM, how long open sessions may go on",
  },
  publicUrl: {
    flag: "--public-url",
    arg: "URL",
    env: "HUM_PUBLIC_URL",
    schema: z.string().url().optional(),
    help: "this server's own URL, for session locations",
  },
  apiKeysFile: {
    flag: "--api-keys-file",
    arg: "FILE",
    env: "HUM_API_KEYS_FILE",
    schema: z.string().min(1).optional(),
    help: "API keys (YAML: keys: [{name, key | sha256, max_sessions, max_uploads}]); with keys, " +
      "sessions and uploads need Authorization: Bearer <key>",
  },
  apiKeys: {
    env: "HUM_API_KEYS",
    schema: z.string().min(1).optional(),
    help: "API keys as name:key,… (instead of --api-keys-file)",
  },
  keyMaxSessions: {
    flag: "--key-max-sessions",
    arg: "N",
    env: "HUM_KEY_MAX_SESSIONS",
    schema: count(100_000).default(8),
    help: "sessions one key may hold open, unless its entry says",
  },
  keyMaxUploads: {
    flag: "--key-max-uploads",
    arg: "N",
    schema: count(10_000).default(2),
    help: "uploads one key may run at once, unless its entry says",
  },
  allowedOrigins: {
    flag: "--allowed-origin",
    arg: "URL",
    env: "HUM_ALLOWED_ORIGINS",
    repeat: "append",
    schema: z.array(z.url().refine((u) => /^https?:\/\//.test(u), "must be http(s)")).default([]),
    defaultHelp: "any",
    help: "a browser origin allowed to call the service",
  },
  maxSessionS: {
    flag: "--max-session-s",
    arg: "N",
    env: "HUM_MAX_SESSION_S",
    schema: z.coerce.number().min(1).max(7 * 86_400).default(4 * 3600),
    unit: "s (4 h)",
    help: "longest a session may last",
  },
  idleTimeoutS: {
    flag: "--idle-timeout-s",
    arg: "N",
    env: "HUM_IDLE_TIMEOUT_S",
    schema: z.coerce.number().min(1).max(3600).default(30),
    unit: "s",
    help: "a session that receives nothing this long is ended (a client that vanished)",
  },
  idleStateReleaseS: {
    flag: "--idle-state-release-s",
    arg: "N",
    env: "HUM_IDLE_STATE_RELEASE_S",
    schema: z.coerce.number().min(0).max(86_400).default(60),
    unit: "s",
    help: "a pooled decoding state unused this long is freed and its memory returned (0: kept)",
  },
  heapTrimIntervalS: {
    flag: "--heap-trim-interval-s",
    arg: "N",
    env: "HUM_HEAP_TRIM_INTERVAL_S",
    schema: z.coerce.number().min(0).max(86_400).default(30),
    unit: "s",
    help: "free heap memory is handed back to the system this often (0: only as sessions end)",
  },
  connectTimeoutS: {
    flag: "--connect-timeout-s",
    arg: "N",
    env: "HUM_CONNECT_TIMEOUT_S",
    schema: z.coerce.number().min(1).max(600).default(10),
    unit: "s",
    help: "a session whose client has not connected (ICE and DTLS) this long after the answer is " +
      "ended (connect_timeout)",
  },
  maxPending: {
    flag: "--max-pending",
    arg: "N",
    env: "HUM_MAX_PENDING",
    schema: count(10_000).default(16),
    help: "sessions not yet connected at once, all clients together; more are a 503",
  },
  maxPendingPerClient: {
    flag: "--max-pending-per-client",
    arg: "N",
    env: "HUM_MAX_PENDING_PER_CLIENT",
    schema: count(10_000).default(4),
    help: "sessions not yet connected at once from one client address (behind a proxy, the " +
      "proxy's); more are a 429",
  },
  maxMessageBytes: {
    flag: "--max-message-bytes",
    arg: "N",
    env: "HUM_MAX_MESSAGE_BYTES",
    schema: count(16 * 1024 * 1024, 1024).default(65_536),
    help: "largest data-channel message taken",
  },
  maxUploadMb: {
    flag: "--max-upload-mb",
    arg: "N",
    env: "HUM_MAX_UPLOAD_MB",
    schema: z.coerce.number().min(0.001).max(100_000).default(200),
    unit: "MB",
    help: "largest upload",
  },
  maxUploadS: {
    flag: "--max-upload-s",
    arg: "N",
    env: "HUM_MAX_UPLOAD_S",
    schema: z.coerce.number().min(1).max(7 * 86_400).default(3 * 3600),
    unit: "s (3 h)",
    help: "longest audio in an upload",
  },
  uploadMinBytesPerS: {
    flag: "--upload-min-bytes-per-s",
    arg: "N",
    env: "HUM_UPLOAD_MIN_BYTES_PER_S",
    schema: z.coerce.number().int().min(0).max(1e9).default(2_048),
    unit: "bytes/s",
    help: "slowest an upload's body may arrive, over each 10 s (0: no minimum); slower is a 408",
  },
  uploadDeadlineS: {
    flag: "--upload-deadline-s",
    arg: "N",
    env: "HUM_UPLOAD_DEADLINE_S",
    schema: z.coerce.number().min(1).max(7 * 86_400).default(1_800),
    unit: "s",
    help: "longest an upload's body may take to arrive; longer is a 408",
  },
  maxUploads: {
    flag: "--max-uploads",
    arg: "N",
    env: "HUM_MAX_UPLOADS",
    schema: count(1_000, 0).default(4),
    help: "uploads transcribing at once",
  },
  maxUploadsPerClient: {
    flag: "--max-uploads-per-client",
    arg: "N",
    env: "HUM_MAX_UPLOADS_PER_CLIENT",
    schema: count(1_000, 1).default(2),
    help: "uploads one client address (IPv6: its /64) may have in flight at once; more are a 429",
  },
  uploadShare: {
    flag: "--upload-share",
    arg: "F",
    env: "HUM_UPLOAD_SHARE",
    schema: z.coerce.number().min(0.01).max(1).default(0.25),
    help: "share of inference time uploads may take while live sessions decode (they run freely " +
      "when none does)",
  },
  gpu: NO_GPU_FLAG,
  attention: ATTENTION_FLAG,
} as const satisfies FlagTable;

/** `deno task start`: its usage and flags. */
export const SERVE_COMMAND: CommandSpec<typeof SERVE_FLAGS> = {
  usage: "deno task start [options]",
  about: "Runs the speech-to-text service: the browser client at /, sessions at POST /v1/sessions.",
  flags: SERVE_FLAGS,
};

const Options = flagSchema(SERVE_FLAGS);
type Options = z.infer<typeof Options>;

/** Parses arguments, with the environment as defaults; throws an Error with a one-line reason. */
export function parseArgs(args: string[], env = Deno.env.toObject()): Options | "help" {
  return parseFlags(SERVE_COMMAND, Options, args, env);
}

/** The API keys the options name (a file, or a list), or null for none. */
export async function loadApiKeys(opts: Options): Promise<ApiKeys | null> {
  const defaults = { maxSessions: opts.keyMaxSessions, maxUploads: opts.keyMaxUploads };
  if (opts.apiKeysFile) return await ApiKeys.load(opts.apiKeysFile, defaults);
  if (opts.apiKeys) return await ApiKeys.fromList(opts.apiKeys, defaults);
  return null;
}

/**
 * The certificate and key `--tls-cert` / `--tls-key` name, read; null without them. One without
 * the other, or a file that cannot be read, is an Error that says which.
 */
export async function loadTls(
  opts: Pick<Options, "tlsCert" | "tlsKey">,
): Promise<{ cert: string; key: string } | null> {
  if (!opts.tlsCert && !opts.tlsKey) return null;
  if (!opts.tlsCert || !opts.tlsKey) {
    throw new Error(
      `Cannot serve HTTPS: --tls-cert and --tls-key go together (only ${
        opts.tlsCert ? "--tls-cert" : "--tls-key"
      } was given)`,
    );
  }
  const read = async (path: string, what: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (err) {
      throw new Error(
        `Cannot serve HTTPS: cannot read the ${what} ${path}: ${(err as Error).message}`,
      );
    }
  };
  return { cert: await read(opts.tlsCert, "certificate"), key: await read(opts.tlsKey, "key") };
}

async function serve(opts: Options): Promise<number> {
  // Before any worker thread allocates: few arenas, large buffers mapped whole (decision 003).
  tuneAllocator();
  const tls = await loadTls(opts);
  const apiKeys = await loadApiKeys(opts);
  // A first run fetches the models it is about to open (HUM_OFFLINE=1: says which, and where).
  await ensureModels([opts.model, ...opts.models, opts.vadModel ?? DEFAULT_VAD_MODEL]);
  const engine = new Engine({
    model: opts.model,
    models: opts.models,
    vadModel: opts.vadModel,
    useGpu: opts.gpu,
    flashAttn: flashAttnFor(opts.attention),
    idleStateReleaseMs: opts.idleStateReleaseS * 1000,
    heapTrimIntervalMs: opts.heapTrimIntervalS * 1000,
    intents: await loadDefaultIntentClassifier(),
    scheduler: { slots: opts.slots, threadsPerJob: 2, batchShare: opts.uploadShare },
  });
  // Without a background list, load the default model now: the first session should not wait.
  if (!opts.models.length) await engine.model();
  const { app, registry } = wireService(engine, {
    maxSessions: opts.maxSessions,
    refuseWhenOverloaded: opts.refuseWhenOverloaded,
    publicUrl: opts.publicUrl,
    staticFiles: clientFiles(),
    apiKeys,
    allowedOrigins: opts.allowedOrigins,
    maxSessionMs: opts.maxSessionS * 1000,
    maxMessageBytes: opts.maxMessageBytes,
    maxPending: opts.maxPending,
    maxPendingPerClient: opts.maxPendingPerClient,
    maxUploads: opts.maxUploads,
    maxUploadsPerClient: opts.maxUploadsPerClient,
    uploads: {
      maxBytes: Math.round(opts.maxUploadMb * 1024 * 1024),
      maxDurationS: opts.maxUploadS,
      minBytesPerS: opts.uploadMinBytesPerS,
      deadlineMs: opts.uploadDeadlineS * 1000,
    },
    peer: {
      iceServers: opts.iceServers.map((urls) => ({ urls })),
      portRange: opts.udpPorts,
      idleTimeoutMs: opts.idleTimeoutS * 1000,
      connectTimeoutMs: opts.connectTimeoutS * 1000,
    },
  });
  if (apiKeys) console.error(`hum-helix: ${apiKeys.size} API keys; sessions and uploads need one`);
  const bundle = await clientBundleWarning();
  if (bundle) console.error(`hum-helix: ${bundle}`);
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.host,
    ...(tls ?? {}),
    onListen: ({ hostname, port }) =>
      console.error(`hum-helix listening on http${tls ? "s" : ""}://${hostname}:${port}/`),
  }, app.handle);
  const stop = Promise.withResolvers<Deno.Signal>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, () => stop.resolve(s));
  if (await stop.promise === "SIGTERM") {
    // New sessions and uploads are refused from here on; uploads running finish (the server's
    // shutdown below waits for the requests in flight).
    if (registry.size || app.uploads) {
      console.error(
        `hum-helix: draining ${registry.size} sessions and ${app.uploads} uploads ` +
          `(sessions at most ${opts.drainS} s)…`,
      );
    }
    await registry.drain(opts.drainS * 1000);
  }
  console.error("hum-helix: ending sessions…");
  await app.close();
  await server.shutdown();
  await engine.close();
  return 0;
}

if (import.meta.main) {
  Deno.exit(await runCommand(Deno.args, helpText(SERVE_COMMAND), parseArgs, serve));
}
