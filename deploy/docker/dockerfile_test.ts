import {
  baseImageOf,
  execForm,
  parseDockerfile,
  parseInstructions,
  stageEnv,
  substitute,
} from "./dockerfile.ts";
import { assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

const SAMPLE = `# syntax=docker/dockerfile:1
ARG FLAVOUR=a
ARG VERSION="1.2"
FROM img:\${VERSION}-x AS base-a
FROM other:3 AS base-b
FROM base-\${FLAVOUR} AS build
ENV A=1 \\
    B="two words" \\
# a comment inside a continued instruction is dropped
    C=\${FLAVOUR}
ENV OLD style value
RUN echo one \\
 && echo two
FROM build AS final
ENTRYPOINT ["./run", "x"]
`;

Deno.test("instructions: continuations joined, comments dropped, start lines kept", () => {
  const ins = parseInstructions(SAMPLE);
  assertEquals(ins.map((i) => i.keyword), [
    "ARG",
    "ARG",
    "FROM",
    "FROM",
    "FROM",
    "ENV",
    "ENV",
    "RUN",
    "FROM",
    "ENTRYPOINT",
  ]);
  const run = ins.find((i) => i.keyword === "RUN")!;
  assertEquals(run.args, "echo one && echo two");
  assertEquals(run.line, 12);
  assertThrows(() => parseInstructions("RUN a \\\n"), Error, "runs off the end");
});

Deno.test("stages, global ARG defaults and the stage ENV forms", () => {
  const file = parseDockerfile(SAMPLE);
  assertEquals([...file.globalArgs], [["FLAVOUR", "a"], ["VERSION", "1.2"]]);
  assertEquals(file.stages.map((s) => [s.from, s.name]), [
    ["img:${VERSION}-x", "base-a"],
    ["other:3", "base-b"],
    ["base-${FLAVOUR}", "build"],
    ["build", "final"],
  ]);
  assertEquals([...stageEnv(file.stages[2])], [
    ["A", "1"],
    ["B", "two words"],
    ["C", "${FLAVOUR}"],
    ["OLD", "style value"],
  ]);
  assertThrows(() => parseDockerfile("RUN x\nFROM a"), Error, "before the first FROM");
});

Deno.test("a build argument picks the base image through FROM <stage> chains", () => {
  const file = parseDockerfile(SAMPLE);
  assertEquals(baseImageOf(file, "final"), "img:1.2-x");
  assertEquals(baseImageOf(file, "final", { FLAVOUR: "b" }), "other:3");
  assertEquals(baseImageOf(file, "build", { VERSION: "9" }), "img:9-x");
  assertEquals(substitute("$A-${B}-${C}", new Map([["A", "1"], ["B", "2"]])), "1-2-");
  const loop = parseDockerfile("FROM b AS a\nFROM a AS b\n");
  assertThrows(() => baseImageOf(loop, "a"), Error, "loops");
});

Deno.test("exec-form arguments are read as JSON arrays of strings", () => {
  const [entry] = parseInstructions(`ENTRYPOINT ["./hum"]`);
  assertEquals(execForm(entry), ["./hum"]);
  const [shell] = parseInstructions(`CMD ./hum start`);
  assertThrows(() => execForm(shell), Error);
  const [numbers] = parseInstructions(`CMD [1, 2]`);
  assertThrows(() => execForm(numbers), Error, "exec-form");
});
