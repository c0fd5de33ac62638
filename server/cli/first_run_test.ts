/**
 * A first run with no model present: `serve` fetches what it is about to open (from a local HTTP
 * server standing in for Hugging Face; nothing here reaches the network), and offline it names
 * every missing file and where to put it.
 */
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { REPO_ROOT } from "../models/resolve.ts";
import { findModel } from "../models/catalog.ts";
import { join } from "node:path";

const VAD_FILE = "models/ggml-silero-v5.1.2.bin";
const MODEL_FILE = "models/ggml-tiny.en.bin";

/** Serves the files of `dir` by name, as the model host would (whole files, no ranges). */
function serveDir(dir: string) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const name = new URL(req.url).pathname.slice(1);
    seen.push(name);
    if (!/^[\w.-]+$/.test(name)) return new Response("not found", { status: 404 });
    try {
      return new Response(await Deno.readFile(join(dir, name)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const addr = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${addr.port}`, seen, close: () => server.shutdown() };
}

function serveCommand(args: string[], env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(REPO_ROOT, "server/cli/serve.ts"), ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return await Promise.resolve(port);
}

Deno.test({
  name: "first run: serve downloads the VAD model it lacks (checksum verified), then serves",
  ignore: !hasShared(VAD_FILE, MODEL_FILE),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const models = await Deno.makeTempDir({ prefix: "hum-first-run-" });
    const host = serveDir(sharedPath("models"));
    const port = await freePort();
    const child = serveCommand(
      ["--host", "127.0.0.1", "--port", String(port), "--model", sharedPath(MODEL_FILE)],
      {
        HUM_MODELS_DIR: models,
        HUM_SHARED_DIR: join(models, "no-shared-data"),
        HUM_MODEL_BASE_URL: host.url,
      },
    );
    const log: string[] = [];
    const reading = (async () => {
      for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) log.push(t);
    })();
    try {
      let ready = false;
      for (let i = 0; i < 300 && !ready; i++) {
        await new Promise((r) => setTimeout(r, 200));
        try {
          const r = await fetch(`http://127.0.0.1:${port}/readyz`);
          await r.body?.cancel();
          ready = r.ok;
        } catch {
          // not listening yet
        }
      }
      assert(ready, `the server did not become ready: ${log.join("")}`);
      assertEquals(host.seen, ["ggml-silero-v5.1.2.bin"]);
      const vad = findModel("silero-v5.1.2")!;
      assertEquals((await Deno.stat(join(models, vad.file))).size, vad.size);
      assert(log.join("").includes("silero-v5.1.2 is not here yet: downloading it into"));
    } finally {
      child.kill("SIGINT");
      await child.status;
      await reading;
      await host.close();
      await Deno.remove(models, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "first run offline (HUM_OFFLINE=1): serve exits 1 naming each missing file, its source and folder",
  fn: async () => {
    const models = await Deno.makeTempDir({ prefix: "hum-offline-" });
    try {
      const child = serveCommand(["--port", String(await freePort())], {
        HUM_MODELS_DIR: models,
        HUM_SHARED_DIR: join(models, "no-shared-data"),
        HUM_OFFLINE: "1",
        HUM_MODEL: "",
      });
      const [status, err] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
      ]);
      assertEquals(status.code, 1, err);
      assert(err.startsWith("Cannot start offline (HUM_OFFLINE=1): 2 model file(s) missing"), err);
      for (const name of ["tiny.en", "silero-v5.1.2"]) {
        const e = findModel(name)!;
        assert(err.includes(e.url) && err.includes(`${models}/${e.file}`), `${name}: ${err}`);
      }
      assertEquals([...Deno.readDirSync(models)].map((d) => d.name), []);
    } finally {
      await Deno.remove(models, { recursive: true });
    }
  },
});
