import { loadApiKeys, loadTls, parseArgs } from "./serve.ts";
import { assert, assertEquals, assertRejects } from "../../ffi/testing/assert.ts";

function parse(args: string[], env: Record<string, string> = {}) {
  const o = parseArgs(args, env);
  if (o === "help") throw new Error("help");
  return o;
}

function fails(args: string[], match: RegExp, env: Record<string, string> = {}): void {
  try {
    parseArgs(args, env);
  } catch (err) {
    assert(match.test((err as Error).message), (err as Error).message);
    return;
  }
  throw new Error(`accepted ${args.join(" ")}`);
}

Deno.test("serve: limits, keys and origins from flags and the environment, with defaults", () => {
  const d = parse([]);
  assertEquals(
    [d.maxSessionS, d.idleTimeoutS, d.maxMessageBytes, d.maxUploadMb, d.maxUploadS, d.maxUploads],
    [14_400, 30, 65_536, 200, 10_800, 4],
  );
  assertEquals([d.keyMaxSessions, d.keyMaxUploads, d.allowedOrigins], [8, 2, []]);
  assertEquals([d.connectTimeoutS, d.maxPending, d.maxPendingPerClient], [10, 16, 4]);
  const c = parse(["--connect-timeout-s", "3", "--max-pending", "8"], {
    HUM_MAX_PENDING_PER_CLIENT: "2",
  });
  assertEquals([c.connectTimeoutS, c.maxPending, c.maxPendingPerClient], [3, 8, 2]);
  fails(["--connect-timeout-s", "0"], /--connect-timeout-s: /);
  const o = parse([
    "--max-session-s",
    "60",
    "--idle-timeout-s",
    "5",
    "--allowed-origin",
    "https://a.example",
    "--allowed-origin",
    "http://localhost:3000",
    "--max-upload-mb",
    "0.5",
    "--api-keys-file",
    "keys.yaml",
  ]);
  assertEquals(o.maxSessionS, 60);
  assertEquals(o.idleTimeoutS, 5);
  assertEquals(o.allowedOrigins, ["https://a.example", "http://localhost:3000"]);
  assertEquals(o.maxUploadMb, 0.5);
  assertEquals(o.apiKeysFile, "keys.yaml");
  const e = parse([], {
    HUM_API_KEYS: "a:0123456789abcdef0",
    HUM_ALLOWED_ORIGINS: "https://x.example,https://y.example",
    HUM_MAX_UPLOADS: "0",
    HUM_IDLE_TIMEOUT_S: "12",
  });
  assertEquals(e.apiKeys, "a:0123456789abcdef0");
  assertEquals(e.allowedOrigins, ["https://x.example", "https://y.example"]);
  assertEquals([e.maxUploads, e.idleTimeoutS], [0, 12]);
  fails(["--allowed-origin", "ftp://x"], /allowedOrigins|http/);
  // Errors name the flag as typed, or the environment variable the bad value came from.
  fails(["--max-message-bytes", "10"], /--max-message-bytes: /);
  fails(["--max-session-s", "0"], /--max-session-s: /);
  fails([], /^Cannot parse arguments: HUM_MAX_SESSIONS: /, { HUM_MAX_SESSIONS: "many" });
  fails(["--max-sessions", "0"], /^Cannot parse arguments: --max-sessions: /, {
    HUM_MAX_SESSIONS: "3",
  });
});

Deno.test("serve: API keys from a list or a file; bad files say what is wrong", async () => {
  const base = parse([]);
  assertEquals(await loadApiKeys(base), null);
  const list = await loadApiKeys({ ...base, apiKeys: "alice:0123456789abcdef,0123456789abcdeg" });
  assertEquals(list?.size, 2);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/keys.yaml`,
      "keys:\n  - { name: ci, sha256: " + "a".repeat(64) + ", max_sessions: 1 }\n",
    );
    assertEquals((await loadApiKeys({ ...base, apiKeysFile: `${dir}/keys.yaml` }))?.size, 1);
    for (
      const [text, match] of [
        ["keys: []\n", /keys/],
        ["keys:\n  - { name: x, key: short }\n", /key/],
        ["keys:\n  - { name: x }\n", /exactly one of key and sha256/],
        [
          "keys:\n  - { name: x, key: 0123456789abcdef }\n  - { name: y, key: 0123456789abcdef }\n",
          /listed twice/,
        ],
        ["keys: [\n", /Cannot read the API key file/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/bad.yaml`, text);
      try {
        await loadApiKeys({ ...base, apiKeysFile: `${dir}/bad.yaml` });
        throw new Error(`accepted ${text}`);
      } catch (err) {
        assert(match.test((err as Error).message), (err as Error).message);
      }
    }
    try {
      await loadApiKeys({ ...base, apiKeysFile: `${dir}/missing.yaml` });
      throw new Error("accepted a missing file");
    } catch (err) {
      assert(/Cannot read the API key file/.test((err as Error).message), (err as Error).message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --tls-cert / --tls-key: both or neither, and files that cannot be read say which", async () => {
  assertEquals(await loadTls({}), null);
  await assertRejects(() => loadTls({ tlsCert: "/x.pem" }), Error, "go together (only --tls-cert");
  await assertRejects(() => loadTls({ tlsKey: "/k.pem" }), Error, "only --tls-key");
  await assertRejects(
    () => loadTls({ tlsCert: "/no/such/cert.pem", tlsKey: "/no/such/key.pem" }),
    Error,
    "cannot read the certificate /no/such/cert.pem",
  );
});
