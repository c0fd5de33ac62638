import { cpuTimes, GpuMemoryPeak, parseGpuMemoryUsed } from "./usage.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("GPU memory in use is summed over GPUs from nvidia-smi's CSV", () => {
  assertEquals(parseGpuMemoryUsed("1234\n"), 1234);
  assertEquals(parseGpuMemoryUsed("100\n 250 \n"), 350);
  assertEquals(parseGpuMemoryUsed(""), null);
  assertEquals(parseGpuMemoryUsed("[N/A]\n"), null, "a field nvidia-smi cannot read is no figure");
});

Deno.test("without nvidia-smi there is no GPU sampler; with it, the peak starts at zero", async () => {
  const gpu = await GpuMemoryPeak.start(60_000);
  const hasSmi = await new Deno.Command("sh", { args: ["-c", "command -v nvidia-smi"] }).output()
    .then((o) => o.success);
  if (!hasSmi) assertEquals(gpu, null);
  else {
    assert(gpu !== null);
    assert((await gpu.sample()) >= 0);
    gpu.stop();
  }
});

Deno.test("CPU times grow with work done", () => {
  const before = cpuTimes().selfS;
  let x = 0;
  const end = performance.now() + 300;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  assert(x > 0);
  if (Deno.build.os === "linux") assert(cpuTimes().selfS > before, "300 ms of work shows up");
});
