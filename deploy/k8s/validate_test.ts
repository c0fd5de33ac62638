/**
 * The Kubernetes manifests render (kustomize) and every object validates strictly against the
 * Kubernetes API schemas (kubernetes-validate), for each variant. The tools come from
 * `deploy/k8s/tools.sh` (run by `./hum test`); without them the test is ignored.
 */

import { DEFAULT_VAD_MODEL } from "../../server/models/resolve.ts";
import { parseAllDocuments } from "yaml";
import { join } from "node:path";
import { REPO_ROOT } from "../../ffi/whisper/build.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const TOOLS = join(Deno.env.get("HUM_CACHE_DIR") ?? join(REPO_ROOT, ".cache"), "tools");
const KUSTOMIZE = join(TOOLS, "bin", "kustomize");
const VALIDATE = join(TOOLS, "venv", "bin", "kubernetes-validate");
/** The Kubernetes version the manifests are checked against. */
const K8S_VERSION = "1.33.0";

const haveTools = [KUSTOMIZE, VALIDATE].every((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

async function run(cmd: string, args: string[], stdin?: string) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

for (const variant of ["cpu", "gpu"]) {
  Deno.test({
    name:
      `the ${variant} manifests render and validate against the Kubernetes ${K8S_VERSION} schemas`,
    ignore: !haveTools,
    async fn() {
      const dir = join(REPO_ROOT, "deploy", "k8s", "overlays", variant);
      const built = await run(KUSTOMIZE, ["build", dir]);
      assert(built.ok, `kustomize build ${variant}: ${built.stderr}`);
      const docs = parseAllDocuments(built.stdout).map((d) => d.toJS());
      const kinds = docs.map((d) => d.kind).sort();
      assertEquals(kinds, [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
      ]);
      const file = await Deno.makeTempFile({ suffix: ".yaml" });
      try {
        await Deno.writeTextFile(file, built.stdout);
        const v = await run(VALIDATE, ["--strict", "--kubernetes-version", K8S_VERSION, file]);
        assert(v.ok, `kubernetes-validate ${variant}:\n${v.stdout}${v.stderr}`);
      } finally {
        await Deno.remove(file);
      }
      // What the design relies on, beyond the schemas.
      const dep = docs.find((d) => d.kind === "Deployment");
      const pod = dep.spec.template.spec;
      const server = pod.containers[0];
      assertEquals(server.readinessProbe.httpGet.path, "/readyz");
      assertEquals(pod.hostNetwork, true);
      const env = Object.fromEntries(
        server.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
      );
      assert(env.HUM_PUBLIC_URL?.includes("$(POD_IP)"), "session URLs name the pod");
      assert(Number(env.HUM_DRAIN_S) < pod.terminationGracePeriodSeconds, "drain fits the grace");
      const models = env.HUM_MODELS.split(",");
      // The init container fetches them, and the Silero VAD every session opens.
      assertEquals(pod.initContainers[0].args.slice(1), [...models, DEFAULT_VAD_MODEL]);
      const hpa = docs.find((d) => d.kind === "HorizontalPodAutoscaler");
      assertEquals(hpa.spec.metrics[0].pods.metric.name, "hum_sessions");
      assert(
        Number(hpa.spec.metrics[0].pods.target.averageValue) <= Number(env.HUM_MAX_SESSIONS),
        "the HPA scales out before pods are full",
      );
      if (variant === "gpu") assertEquals(server.resources.limits["nvidia.com/gpu"], "1");
    },
  });
}
