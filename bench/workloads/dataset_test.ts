import { loadDataset } from "./dataset.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert } from "../../ffi/testing/assert.ts";

Deno.test("loadDataset reads LibriSpeech, side-by-side and manifest layouts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hum-ds-" });
  try {
    await Deno.mkdir(`${dir}/ls/1/2`, { recursive: true });
    await Deno.writeFile(`${dir}/ls/1/2/1-2-0000.flac`, new Uint8Array(4));
    await Deno.writeFile(`${dir}/ls/1/2/1-2-0001.flac`, new Uint8Array(4));
    await Deno.writeTextFile(
      `${dir}/ls/1/2/1-2.trans.txt`,
      "1-2-0000 HELLO WORLD\n1-2-0001 BYE NOW\n1-2-0009 NO AUDIO\n",
    );
    const ls = loadDataset(`${dir}/ls`);
    assert(
      ls.length === 2 && ls[0].reference === "HELLO WORLD" && ls[1].id === "1-2-0001",
      JSON.stringify(ls),
    );

    await Deno.mkdir(`${dir}/side`);
    await Deno.writeFile(`${dir}/side/a.wav`, new Uint8Array(4));
    await Deno.writeTextFile(`${dir}/side/a.txt`, "  some words \n");
    await Deno.writeTextFile(`${dir}/side/a.align.json`, "{}");
    await Deno.writeFile(`${dir}/side/b.wav`, new Uint8Array(4)); // no transcript: skipped
    const side = loadDataset(`${dir}/side`);
    assert(
      side.length === 1 && side[0].reference === "some words" && side[0].alignPath,
      JSON.stringify(side),
    );

    await Deno.writeTextFile(
      `${dir}/m.tsv`,
      "path\tset\tduration_s\treference\nside/a.wav\tx\t1.5\tSOME WORDS\n",
    );
    const m = loadDataset(`${dir}/m.tsv`);
    assert(
      m.length === 1 && m[0].durationS === 1.5 && m[0].audioPath === `${dir}/side/a.wav`,
      JSON.stringify(m),
    );

    assert(loadDataset(`${dir}/ls`, { limit: 1 }).length === 1, "limit");
    assert(loadDataset(`${dir}/ls`, { match: /0001/ })[0].id === "1-2-0001", "match");
    let msg = "";
    try {
      loadDataset(`${dir}/nope`);
    } catch (err) {
      msg = (err as Error).message;
    }
    assert(/does not exist/.test(msg), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the shared test-other set has 101 utterances, longform 10 with alignments",
  ignore: !hasShared("speech/manifest.tsv"),
  fn: () => {
    assert(
      loadDataset(sharedPath("speech/librispeech/test-other")).length === 101,
      "101 utterances",
    );
    const lf = loadDataset(sharedPath("speech/longform"));
    assert(lf.length === 10 && lf.every((i) => i.alignPath), "10 aligned recordings");
  },
});
