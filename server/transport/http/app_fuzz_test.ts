import fc from "fast-check";
import { App } from "./app.ts";
import { SessionRegistry } from "../../session/registry.ts";
import type { Engine } from "../../engine/engine.ts";
import { assert } from "../../../ffi/testing/assert.ts";
import { bytes, fuzz } from "../../../ffi/testing/fuzz.ts";

/** An engine that is ready but opens no stream: requests are answered without any decoding. */
const engine = {
  ready: true,
  scheduler: undefined,
  models: { status: [] },
  open: () => Promise.reject(new Error("no streams in this test")),
} as unknown as Engine;

const ID = "0123abcd-4567-89ab-cdef-0123456789ab";
const path = fc.oneof(
  fc.constantFrom(
    "/",
    "/index.html",
    "/app.js",
    "/v1/sessions",
    `/v1/sessions/${ID}`,
    "/v1/sessions/",
    "/v1/status",
    "/metrics",
    "/healthz",
    "/readyz",
    "/constructor",
    "/__proto__",
    "/toString",
    "/hasOwnProperty",
    "/%2e%2e/etc/passwd",
    "/..%2f..%2f",
    "//x",
  ),
  fc.webPath(),
  fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`),
  fc.uuid().map((u) => `/v1/sessions/${u}`),
);
const method = fc.constantFrom("GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS", "PATCH");

Deno.test("App.handle: any method, path and body gets a deliberate answer, never an internal error", async () => {
  const registry = new SessionRegistry(engine, { maxSessions: 2 });
  // One static file that exists and one that does not (an unbuilt client).
  const dir = await Deno.makeTempDir({ prefix: "hum-fuzz-app-" });
  await Deno.writeTextFile(`${dir}/index.html`, "<p>hi</p>");
  const app = new App({
    registry,
    staticFiles: {
      "/": `${dir}/index.html`,
      "/index.html": `${dir}/index.html`,
      "/app.js": `${dir}/missing.js`,
    },
  });
  const errors: unknown[] = [];
  const logError = console.error;
  console.error = (...a: unknown[]) => errors.push(a); // the app logs internal errors
  try {
    await fuzz(
      "http.App.handle",
      fc.asyncProperty(
        method,
        path,
        fc.constantFrom("application/sdp", "application/json", "text/plain", ""),
        fc.option(bytes(300), { nil: undefined }),
        async (m, p, type, body) => {
          const hasBody = body !== undefined && m !== "GET" && m !== "HEAD";
          const req = new Request(`http://127.0.0.1${p}`, {
            method: m,
            headers: type ? { "content-type": type } : {},
            body: hasBody ? body as Uint8Array<ArrayBuffer> : undefined,
          });
          const res = await app.handle(req);
          const text = await res.text();
          assert(
            [200, 204, 400, 404, 405, 413, 415, 503].includes(res.status),
            `${m} ${p}: ${res.status} ${text}`,
          );
          if (res.status === 405) {
            const allow = res.headers.get("allow") ?? "";
            assert(
              allow.includes("OPTIONS") && !allow.split(", ").includes(m),
              `${m} ${p}: Allow ${allow}`,
            );
          }
          if (res.status >= 400) {
            const j = JSON.parse(text);
            assert(
              typeof j.error === "string" && j.error.length > 0,
              "a refusal without its reason",
            );
          }
          assert(errors.length === 0, `${m} ${p} logged an internal error: ${errors[0]}`);
        },
      ),
      { runs: 400 },
    );
  } finally {
    console.error = logError;
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("App.handle: a wrong method on a known path is a 405 naming the methods, in Allow too", async () => {
  const registry = new SessionRegistry(engine, { maxSessions: 2 });
  const app = new App({ registry });
  try {
    const cases: [string, string, string][] = [
      ["POST", "/healthz", "GET, HEAD, OPTIONS"],
      ["PUT", "/readyz", "GET, HEAD, OPTIONS"],
      ["DELETE", "/healthz", "GET, HEAD, OPTIONS"],
      ["POST", "/v1/status", "GET, HEAD, OPTIONS"],
      ["DELETE", "/v1/status", "GET, HEAD, OPTIONS"],
      ["GET", "/v1/sessions", "POST, OPTIONS"],
      ["PUT", "/v1/sessions", "POST, OPTIONS"],
    ];
    for (const [m, p, allow] of cases) {
      const res = await app.handle(new Request(`http://127.0.0.1${p}`, { method: m }));
      const body = await res.json();
      assert(res.status === 405, `${m} ${p}: ${res.status} ${JSON.stringify(body)}`);
      assert(res.headers.get("allow") === allow, `${m} ${p}: Allow ${res.headers.get("allow")}`);
      assert(body.error.startsWith(`Method ${m} not allowed on ${p} (use `), body.error);
    }
    // The read-only routes still answer GET and HEAD.
    for (const m of ["GET", "HEAD"]) {
      const res = await app.handle(new Request("http://127.0.0.1/healthz", { method: m }));
      await res.body?.cancel();
      assert(res.status === 200, `${m} /healthz: ${res.status}`);
    }
  } finally {
    await app.close();
  }
});
