/**
 * Who may use the service: API keys and allowed origins.
 *
 * - **API keys.** When keys are configured, creating a session, using one and uploading a file
 *   need `Authorization: Bearer <key>`; a missing or unknown key is a `401` with
 *   `WWW-Authenticate: Bearer`. Keys are held only as SHA-256 digests (a key file may list digests
 *   instead of keys). Each key has its own limits on sessions open at once and uploads running at
 *   once (`429` past them). Without keys the service is open, as a local tool.
 * - **Origins.** When origins are configured, a request whose `Origin` is neither listed nor the
 *   server's own host is a `403`, and CORS answers name the caller's origin instead of `*`.
 *
 * Health, readiness, status, metrics and the page itself stay open: probes and scrapers carry no
 * keys, and the page asks its user for one.
 *
 * @module
 */

import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { HttpError } from "./errors.ts";
import { describeIssue } from "../../../protocol/events.ts";

/** A caller identified by its key. */
export interface Principal {
  /** The key's name (logs, errors, metrics); `anonymous` without keys. */
  name: string;
  /** Sessions this key may hold open at once. */
  maxSessions: number;
  /** Uploads this key may run at once. */
  maxUploads: number;
}

const KeyEntrySchema = z.object({
  name: z.string().min(1).max(100),
  /** The key itself (at least 16 characters). */
  key: z.string().min(16).max(512).optional(),
  /** Or its SHA-256, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits").optional(),
  max_sessions: z.number().int().min(0).max(100_000).optional(),
  max_uploads: z.number().int().min(0).max(10_000).optional(),
}).strict().refine((e) => (e.key === undefined) !== (e.sha256 === undefined), {
  message: "give exactly one of key and sha256",
});

/** An API key file (YAML or JSON). */
export const ApiKeyFileSchema = z.object({
  keys: z.array(KeyEntrySchema).min(1),
}).strict();
/** A parsed key file. */
export type ApiKeyFile = z.infer<typeof ApiKeyFileSchema>;

/** Per-key limits for keys that set none. */
export interface KeyDefaults {
  maxSessions: number;
  maxUploads: number;
}

/** SHA-256 of a string, hex. */
export async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The configured API keys; see the module doc. */
export class ApiKeys {
  readonly #byDigest: Map<string, Principal>;

  private constructor(byDigest: Map<string, Principal>) {
    this.#byDigest = byDigest;
  }

  /** How many keys there are. */
  get size(): number {
    return this.#byDigest.size;
  }

  /** Keys from a parsed key file. Throws on two entries with one key or one name. */
  static async fromFile(file: ApiKeyFile, defaults: KeyDefaults): Promise<ApiKeys> {
    const map = new Map<string, Principal>();
    const names = new Set<string>();
    for (const e of file.keys) {
      const digest = e.sha256 ?? await sha256Hex(e.key!);
      if (map.has(digest)) {
        throw new Error(`Cannot use the API keys: key "${e.name}" is listed twice`);
      }
      if (names.has(e.name)) {
        throw new Error(`Cannot use the API keys: two keys are named "${e.name}"`);
      }
      names.add(e.name);
      map.set(digest, {
        name: e.name,
        maxSessions: e.max_sessions ?? defaults.maxSessions,
        maxUploads: e.max_uploads ?? defaults.maxUploads,
      });
    }
    return new ApiKeys(map);
  }

  /** Keys from `HUM_API_KEYS`-style text: comma-separated keys, each optionally `name:key`. */
  static fromList(text: string, defaults: KeyDefaults): Promise<ApiKeys> {
    const keys = text.split(",").map((k) => k.trim()).filter(Boolean).map((item, i) => {
      const colon = item.indexOf(":");
      return colon > 0
        ? { name: item.slice(0, colon), key: item.slice(colon + 1) }
        : { name: `key-${i + 1}`, key: item };
    });
    return ApiKeys.fromFile(parseKeyFile({ keys }, "HUM_API_KEYS"), defaults);
  }

  /** Keys from a YAML or JSON file on disk. */
  static async load(path: string, defaults: KeyDefaults): Promise<ApiKeys> {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      throw new Error(`Cannot read the API key file ${path}: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = parseYaml(text);
    } catch (err) {
      throw new Error(`Cannot read the API key file ${path}: ${(err as Error).message}`);
    }
    return ApiKeys.fromFile(parseKeyFile(raw, path), defaults);
  }

  /** The caller of `req`, or a 401 {@linkcode HttpError}. */
  async authenticate(req: Request): Promise<Principal> {
    const header = req.headers.get("authorization");
    const challenge = { "www-authenticate": 'Bearer realm="hum-helix"' };
    if (!header) {
      throw new HttpError(401, "An API key is needed: send Authorization: Bearer <key>", {
        headers: challenge,
        reason: "no_key",
      });
    }
    const m = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i.exec(header.trim());
    if (!m) {
      throw new HttpError(401, "The Authorization header must read: Bearer <key>", {
        headers: { "www-authenticate": 'Bearer realm="hum-helix", error="invalid_request"' },
        reason: "bad_key",
      });
    }
    const who = this.#byDigest.get(await sha256Hex(m[1]));
    if (!who) {
      throw new HttpError(401, "The API key is not valid", {
        headers: { "www-authenticate": 'Bearer realm="hum-helix", error="invalid_token"' },
        reason: "bad_key",
      });
    }
    return who;
  }
}

/** Checks a key file's contents; throws an Error naming the field at fault. */
export function parseKeyFile(raw: unknown, source: string): ApiKeyFile {
  const r = ApiKeyFileSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`Cannot use the API keys from ${source}: ${describeIssue(r.error, "file")}`);
  }
  return r.data;
}

/** Allowed origins for cross-origin callers; see the module doc. */
export class OriginPolicy {
  readonly #allowed: Set<string> | null;

  /** `origins`: e.g. `https://app.example.com`; empty: any origin (CORS `*`). */
  constructor(origins: readonly string[] = []) {
    this.#allowed = origins.length ? new Set(origins.map(normaliseOrigin)) : null;
  }

  /** Whether a list is configured. */
  get restricted(): boolean {
    return this.#allowed !== null;
  }

  /**
   * The `Access-Control-Allow-Origin` value for `req`; throws a 403 {@linkcode HttpError} when
   * its `Origin` is not allowed. Requests without an `Origin` (curl, servers) pass.
   */
  check(req: Request): string {
    if (!this.#allowed) return "*";
    const origin = req.headers.get("origin");
    if (!origin) return "null";
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw new HttpError(403, `Origin "${origin.slice(0, 100)}" is not a valid origin`, {
        reason: "origin",
      });
    }
    if (this.#allowed.has(normaliseOrigin(origin)) || host === req.headers.get("host")) {
      return origin;
    }
    throw new HttpError(403, `Origin ${origin.slice(0, 100)} is not allowed to use this service`, {
      reason: "origin",
    });
  }
}

/** `https://Example.com:443/` → `https://example.com`. */
export function normaliseOrigin(origin: string): string {
  const u = new URL(origin);
  return u.origin;
}
