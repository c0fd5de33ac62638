/**
 * Static checks of the container image (Dockerfile, .dockerignore) and compose.yaml: no Docker
 * engine is needed. What they hold to is what the image relies on: libwhisper built only by the
 * project's own task, the same cache key in both stages, nothing installed or built at start, the
 * paths and ports the server and the Kubernetes manifests use. hadolint (a Dockerfile linter) and
 * compose-go's validator (the loader Docker Compose uses) run too when `deploy/k8s/tools.sh`
 * installed them.
 */

import { parse } from "yaml";
import { join, posix, relative } from "node:path";
import { cmakeFlagsFor, REPO_ROOT } from "../../ffi/whisper/build.ts";
import { DEFAULT_VAD_MODEL, MODELS_DIR } from "../../server/models/resolve.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import {
  baseImageOf,
  type Dockerfile,
  execForm,
  type Instruction,
  parseDockerfile,
  type Stage,
  stageEnv,
  substitute,
} from "./dockerfile.ts";

const read = (path: string) => Deno.readTextFileSync(join(REPO_ROOT, path));
const dockerfile: Dockerfile = parseDockerfile(read("Dockerfile"));
const tasks: Record<string, string> = JSON.parse(read("deno.json")).tasks;

function stage(name: string): Stage {
  const s = dockerfile.stages.find((st) => st.name === name);
  assert(s, `Dockerfile has no stage "${name}"`);
  return s;
}
const build = stage("build");
const runtime = stage("runtime");

const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
function one(s: Stage, keyword: string): Instruction {
  const found = all(s, keyword);
  assertEquals(found.length, 1, `${keyword} instructions in stage ${s.name}`);
  return found[0];
}
const workdir = (s: Stage) => one(s, "WORKDIR").args;

/** The packages an `apt-get install` in a RUN names. */
function aptPackages(run: string): string[] {
  const m = run.match(/apt-get install ([^&;|]*)/);
  return m ? m[1].split(/\s+/).filter((w) => w && !w.startsWith("-")) : [];
}

/** The settings that key build.ts's cache, besides the sources path. */
const CACHE_SETTINGS = [
  "HUM_BACKEND",
  "HUM_WHISPER_PORTABLE",
  "HUM_CUDA_ARCHITECTURES",
  "HUM_WHISPER_CMAKE_FLAGS",
  "HUM_WHISPER_SRC",
  "HUM_CACHE_DIR",
];

Deno.test("the BACKEND build argument picks CUDA devel/runtime or Debian bases; cuda by default", () => {
  assertEquals(dockerfile.globalArgs.get("BACKEND"), "cuda");
  assertEquals(
    dockerfile.stages.at(-1),
    runtime,
    "the runtime is the last stage (the default target)",
  );
  const cuda = { build: baseImageOf(dockerfile, "build"), run: baseImageOf(dockerfile, "runtime") };
  const version = dockerfile.globalArgs.get("CUDA_VERSION")!;
  assert(/^12\.\d+\.\d+$/.test(version), `CUDA ${version}: CUDA 13 would need driver 580+`);
  assertEquals(cuda.build, `nvidia/cuda:${version}-devel-ubuntu24.04`);
  assertEquals(cuda.run, `nvidia/cuda:${version}-runtime-ubuntu24.04`);
  for (const target of ["build", "runtime"]) {
    assertEquals(baseImageOf(dockerfile, target, { BACKEND: "cpu" }), "debian:bookworm-slim");
  }
});

Deno.test("libwhisper is built only through the project's build:whisper task, in the build stage", () => {
  assert(tasks["build:whisper"].includes("ffi/whisper/build.ts"), tasks["build:whisper"]);
  const builds = dockerfile.stages.flatMap((s) =>
    all(s, "RUN")
      .filter((r) => /\bcmake\b|\bnvcc\b|whisper\/build\.ts|build:whisper|\bmake\b/.test(r.args))
      .map((r) => ({ stage: s.name, args: r.args }))
  );
  assertEquals(builds.length, 1, JSON.stringify(builds));
  assertEquals(builds[0].stage, "build");
  assert(
    /\.\/hum build:whisper --backend "\$HUM_BACKEND"/.test(builds[0].args),
    `the build RUN calls ./hum build:whisper with the image's backend: ${builds[0].args}`,
  );
  assert(!/\bcmake\b|\bnvcc\b/.test(builds[0].args), "no second build recipe beside the task");
  // Every task the image runs through ./hum exists.
  for (const s of dockerfile.stages) {
    for (const r of all(s, "RUN")) {
      for (const m of r.args.matchAll(/\.\/hum ([a-z:-]+)/g)) {
        assert(tasks[m[1]], `RUN ./hum ${m[1]} (line ${r.line}): no such deno task`);
      }
    }
  }
});

Deno.test("the runtime stage finds the build stage's cache: same path, same settings", () => {
  assertEquals(workdir(build), "/app");
  assertEquals(workdir(runtime), workdir(build));
  const copies = all(runtime, "COPY").filter((c) => c.args.startsWith("--from=build "));
  assertEquals(copies.map((c) => c.args), [`--from=build ${workdir(build)} ${workdir(runtime)}`]);
  const [benv, renv] = [stageEnv(build), stageEnv(runtime)];
  for (const key of CACHE_SETTINGS) {
    assertEquals(renv.get(key), benv.get(key), `${key} in both stages`);
  }
  // A global ARG is empty inside a stage that does not declare it again.
  for (const s of [build, runtime]) {
    const declared = new Set(all(s, "ARG").map((a) => a.args.split("=")[0]));
    for (const value of stageEnv(s).values()) {
      for (const m of value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
        assert(declared.has(m[1]), `stage ${s.name} uses \${${m[1]}} without ARG ${m[1]}`);
      }
    }
  }
  // What build.ts makes of each stage's settings, per variant: the same flags (the cache key),
  // and a CPU build not tuned to the build host's CPU.
  for (const backend of ["cpu", "cuda"] as const) {
    const vars = new Map(dockerfile.globalArgs).set("BACKEND", backend);
    const envOf = (e: Map<string, string>) => (k: string) => {
      const v = e.get(k);
      return v === undefined ? undefined : substitute(v, vars);
    };
    assertEquals(envOf(renv)("HUM_BACKEND"), backend);
    const flags = cmakeFlagsFor(backend, envOf(renv));
    assertEquals(flags, cmakeFlagsFor(backend, envOf(benv)));
    assert(flags.includes("-DGGML_NATIVE=OFF"), `${backend}: ${flags.join(" ")}`);
    assert(!flags.includes("-DGGML_NATIVE=ON"), `${backend}: ${flags.join(" ")}`);
    // An image build has no GPU: libggml-cuda must not need the driver's libcuda.so.1, or
    // linking whisper-cli against it fails (and a GPU-less container could not fall back).
    if (backend === "cuda") assert(flags.includes("-DGGML_CUDA_NO_VMM=ON"), flags.join(" "));
  }
});

Deno.test("./hum start in the image installs nothing and builds nothing", () => {
  const renv = stageEnv(runtime);
  assertEquals(renv.get("HUM_PREBUILT"), "1");
  assertEquals(execForm(one(runtime, "ENTRYPOINT")), ["./hum"]);
  assertEquals(execForm(one(runtime, "CMD")), ["start"]);
  assert((Deno.statSync(join(REPO_ROOT, "hum")).mode ?? 0) & 0o100, "./hum is executable");
  // ./hum's own list of what the prebuilt tree needs is what the runtime stage installs.
  const hum = read("hum");
  const m = hum.match(/if \[ "\$prebuilt" = 1 \]; then\n(?:\s*#.*\n)*\s*debs=\(([^)]*)\)/);
  assert(m, "./hum has a HUM_PREBUILT package list");
  const installed = all(runtime, "RUN").flatMap((r) => aptPackages(r.args));
  for (const p of m[1].trim().split(/\s+/)) assert(installed.includes(p), `runtime lacks ${p}`);
  assert(installed.includes("nodejs"), "./hum runs node to find Deno");
  const tools = installed.filter((p) =>
    /^(cmake|make|g\+\+|gcc|npm|build-essential)$|-dev$/.test(p)
  );
  assertEquals(tools, [], "no compiler or npm in the runtime");
  // The image build proves it, as the runtime user, after the tree is in place.
  const order = runtime.instructions.map((i) => `${i.keyword} ${i.args}`);
  const check = order.findIndex((l) => l === "RUN ./hum check:prebuilt");
  assert(check > order.findIndex((l) => l.startsWith("USER ")), "check:prebuilt runs as the user");
  assert(check > order.findIndex((l) => l.startsWith("COPY --from=build")), order.join("\n"));
  assert(tasks["check:prebuilt"]?.includes("deploy/docker/prebuilt.ts"), "check:prebuilt task");
  // The build stage has everything prebuilt.ts checks: the client bundle among them.
  assert(all(build, "RUN").some((r) => r.args === "./hum build:client"), "client bundle built");
});

Deno.test("the runtime: non-root user, models volume, ports and health check as the server uses them", () => {
  const user = one(runtime, "USER").args;
  assert(!/^(root|0)(:|$)/.test(user), `USER ${user}`);
  assert(/^\d+(:\d+)?$/.test(user), "a numeric user, for runAsNonRoot");
  const models = posix.join(workdir(runtime), relative(REPO_ROOT, MODELS_DIR));
  assertEquals(execForm(one(runtime, "VOLUME")), [models]);
  const renv = stageEnv(runtime);
  const expose = one(runtime, "EXPOSE").args.split(/\s+/);
  assertEquals(expose, [`${renv.get("PORT")}/tcp`, `${renv.get("HUM_UDP_PORTS")}/udp`]);
  const health = one(runtime, "HEALTHCHECK").args;
  assert(health.includes("/healthz") && health.includes("process.env.PORT"), health);
  // The Kubernetes manifests run these images with the same port and models folder.
  const dep = parse(read("deploy/k8s/base/deployment.yaml"));
  const server = dep.spec.template.spec.containers[0];
  assertEquals(server.ports[0].containerPort, Number(renv.get("PORT")));
  assertEquals(server.volumeMounts[0].mountPath, models);
  assertEquals(server.args, execForm(one(runtime, "CMD")));
});

/** Whether `path` (relative, `/`-separated) is left out of the build context by `.dockerignore`. */
function ignored(path: string, patterns: string[]): boolean {
  let out = false;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = negate ? raw.slice(1) : raw;
    const re = new RegExp(
      "^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\/|\*|\?/g, (t) =>
        t === "**/" ? "(?:.*/)?" : t === "*" ? "[^/]*" : "[^/]") +
        "(?:/.*)?$",
    );
    if (re.test(path)) {
      out = !negate;
    }
  }
  return out;
}

Deno.test("every path the Dockerfile copies exists and is in the build context", () => {
  const patterns = read(".dockerignore").split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  assert(ignored("node_modules", patterns) && ignored(".cache/whisper", patterns), "ignored");
  assert(ignored("server/a_test.ts", patterns) && ignored("models/x.bin", patterns), "ignored");
  let copied = 0;
  for (const s of dockerfile.stages) {
    for (const c of all(s, "COPY").filter((c) => !c.args.includes("--from="))) {
      const words = c.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      for (const src of words.slice(0, -1)) {
        copied++;
        Deno.statSync(join(REPO_ROOT, src)); // throws when missing
        assert(!ignored(src, patterns), `COPY ${src} (line ${c.line}): .dockerignore drops it`);
      }
    }
  }
  assert(copied >= 8, `${copied} paths copied`);
});

// deno-lint-ignore no-explicit-any
const compose: any = parse(read("compose.yaml"), { merge: true });

Deno.test("compose.yaml: a GPU and a CPU service, each in its own profile, on the project's images", () => {
  const { gpu, cpu, model } = compose.services;
  assertEquals(gpu.profiles, ["gpu"]);
  assertEquals(cpu.profiles, ["cpu"]);
  for (const [name, svc] of Object.entries(compose.services)) {
    assert((svc as { profiles?: string[] }).profiles?.length, `${name} has a profile`);
  }
  const devices = gpu.deploy.resources.reservations.devices;
  assertEquals(devices.length, 1);
  assertEquals(devices[0].driver, "nvidia");
  assert(devices[0].capabilities.includes("gpu"), JSON.stringify(devices));
  assertEquals(cpu.deploy, undefined);
  // The same tags the Kubernetes overlays deploy, built with the matching BACKEND.
  for (const [svc, overlay, backend] of [[gpu, "gpu", "cuda"], [cpu, "cpu", "cpu"]]) {
    const k = parse(read(`deploy/k8s/overlays/${overlay}/kustomization.yaml`));
    assertEquals(svc.image, `hum-helix:${k.images[0].newTag}`);
    assertEquals(svc.build.args.BACKEND, backend);
    assertEquals(svc.build.context, ".");
  }
  assertEquals(model.image, "hum-helix:cpu");
});

Deno.test("compose.yaml: the models volume, published ports and drain time fit the image", () => {
  const models = execForm(one(runtime, "VOLUME"))[0];
  assert("models" in compose.volumes, "a named models volume");
  const { gpu, cpu, model } = compose.services;
  for (const svc of [gpu, cpu, model]) assert(svc.volumes.includes(`models:${models}`));
  const exposed = one(runtime, "EXPOSE").args.match(/(\d+)-(\d+)\/udp/)!;
  for (const svc of [gpu, cpu]) {
    assertEquals(svc.command, ["start"]);
    assert(svc.ports.includes("8000:8000/tcp"), JSON.stringify(svc.ports));
    const range = svc.environment.HUM_UDP_PORTS as string;
    assert(svc.ports.includes(`${range}:${range}/udp`), `UDP ${range} published as is`);
    const [lo, hi] = range.split("-").map(Number);
    assert(lo >= Number(exposed[1]) && hi <= Number(exposed[2]) && lo <= hi, "inside EXPOSE");
    const grace = Number(String(svc.stop_grace_period).replace(/s$/, ""));
    assert(Number(svc.environment.HUM_DRAIN_S) < grace, "the drain fits the stop grace period");
  }
  // The one-shot download fetches what `start` loads: the server's model and the Silero VAD.
  assertEquals(model.entrypoint, ["./hum", "model"]);
  assert(model.command.includes(gpu.environment.HUM_MODEL), JSON.stringify(model.command));
  assert(model.command.includes(DEFAULT_VAD_MODEL), JSON.stringify(model.command));
});

const TOOLS = join(Deno.env.get("HUM_CACHE_DIR") ?? join(REPO_ROOT, ".cache"), "tools");
const HADOLINT = join(TOOLS, "venv", "bin", "hadolint");
const COMPOSE_SPEC = join(TOOLS, "bin", "compose-spec");
const isFile = (p: string) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
};

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { ok: out.success, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test({
  name: "hadolint finds nothing in the Dockerfile",
  ignore: !isFile(HADOLINT),
  async fn() {
    const r = await run(HADOLINT, ["--no-color", "Dockerfile"]);
    assert(r.ok, `hadolint:\n${r.text}`);
  },
});

Deno.test({
  name: "compose-go (Docker Compose's loader) accepts compose.yaml",
  ignore: !isFile(COMPOSE_SPEC),
  async fn() {
    const r = await run(COMPOSE_SPEC, ["--format", "json", "compose.yaml"]);
    assert(r.ok, `compose-spec:\n${r.text}`);
    const model = JSON.parse(r.text.slice(r.text.indexOf("{")));
    const gpu = model.services.gpu;
    assertEquals(gpu.deploy.resources.reservations.devices[0].capabilities, ["gpu"]);
  },
});
