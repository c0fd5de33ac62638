import { DRIVER_LIBRARIES, unresolvedLibraries } from "./prebuilt.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("ldd output: the sonames not found, each once, resolved ones ignored", () => {
  const ldd = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibggml.so.0 => /app/.cache/whisper/k/build/bin/libggml.so.0 (0x00007f)",
    "\tlibcudart.so.12 => not found",
    "\tlibcuda.so.1 => not found",
    "\tlibcudart.so.12 => not found",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f)",
  ].join("\n");
  assertEquals(unresolvedLibraries(ldd), ["libcudart.so.12", "libcuda.so.1"]);
  assertEquals(unresolvedLibraries("\tnot a dynamic executable"), []);
  // Only the driver's own library may be missing while an image is built.
  assertEquals(unresolvedLibraries(ldd).filter((l) => !DRIVER_LIBRARIES.includes(l)), [
    "libcudart.so.12",
  ]);
});
