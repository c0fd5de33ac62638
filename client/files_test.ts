import { clientBundleState, clientBundleWarning, clientFiles } from "./files.ts";
import { App } from "../server/transport/http/app.ts";
import { SessionRegistry } from "../server/session/registry.ts";
import type { Engine } from "../server/engine/engine.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";

/** An engine that is ready but opens no stream: only static files are asked for here. */
const engine = {
  ready: true,
  scheduler: undefined,
  models: { status: [] },
  open: () => Promise.reject(new Error("no streams in this test")),
} as unknown as Engine;

Deno.test("every file of the page is served from the bundle folder", () => {
  const files = clientFiles("/b");
  assertEquals(files, {
    "/": "/b/index.html",
    "/index.html": "/b/index.html",
    "/style.css": "/b/style.css",
    "/app.js": "/b/app.js",
    "/mel_worklet.js": "/b/mel_worklet.js",
  });
});

Deno.test("without a bundle the page answers 503 saying how to build it, and the server says so once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hum-no-client-" });
  try {
    assertEquals(await clientBundleState(dir), "missing");
    const warning = await clientBundleWarning(dir);
    assert(warning?.includes("deno task build:client"), `${warning}`);
    const app = new App({
      registry: new SessionRegistry(engine, { maxSessions: 1 }),
      staticFiles: clientFiles(dir),
    });
    try {
      for (const path of ["/", "/app.js"]) {
        const res = await app.handle(new Request(`http://127.0.0.1${path}`));
        const body = await res.text();
        assertEquals(res.status, 503, path);
        assert(body.includes("deno task build:client"), body);
      }
    } finally {
      await app.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bundle older than its sources is stale", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hum-old-client-" });
  try {
    for (const name of ["index.html", "style.css", "app.js", "mel_worklet.js"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "");
      await Deno.utime(`${dir}/${name}`, 0, 0);
    }
    assertEquals(await clientBundleState(dir), "stale");
    assert((await clientBundleWarning(dir))?.includes("older than its sources"), "stale warning");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
