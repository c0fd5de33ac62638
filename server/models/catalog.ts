/**
 * The ggml models hum-helix knows by name: every Whisper model whisper.cpp's
 * `models/download-ggml-model.{sh,cmd}` offers and both Silero VAD models of
 * `models/download-vad-model.sh`, each with its file name, download URL, size and checksums.
 *
 * Where the URLs point, and why not at `main`: the scripts download from
 * `https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-<name>.bin`, but `main` moves.
 * Around December 2025 at least `ggml-tiny.en.bin`, `ggml-base.en.bin` and `ggml-small.en.bin`
 * were replaced there by new uploads 17 bytes shorter (tiny.en: 77 704 715 → 77 704 698 bytes),
 * so every published checksum of those files stopped matching `main`. These URLs therefore name
 * the immutable revision of each Hugging Face repository that the checksums below were listed
 * at. Moving to a newer revision is deliberate: change {@linkcode WHISPER_CPP_REVISION} and every
 * checksum together. (`HUM_MODEL_BASE_URL` / `--base-url` still fetch `<base>/<file>` from a mirror.)
 *
 * Checksum provenance (nothing here was computed from a download on this machine, except where
 * the same bytes were already present locally):
 * - `sha256`, `size` of the ggerganov/whisper.cpp files: the Hugging Face LFS object ids and
 *   sizes at revision {@linkcode WHISPER_CPP_REVISION}, as listed from the Hugging Face API in
 *   several independent public catalogues that pin the same revision (all agree entry for entry).
 * - `sha1` of the ggerganov/whisper.cpp files: the "SHA" column of the model card of
 *   huggingface.co/ggerganov/whisper.cpp (16 of them also in whisper.cpp's own
 *   `models/README.md`, see node_modules/nodejs-whisper/cpp/whisper.cpp/models/README.md).
 * - `small.en-tdrz` (a different repository, akashmjn/tinydiarize-whisper.cpp): only the SHA-1 of
 *   whisper.cpp's `models/README.md`; no published SHA-256 or exact size was found.
 * - Silero VAD: the LFS SHA-256 and size at revision {@linkcode WHISPER_VAD_REVISION} of
 *   ggml-org/whisper-vad, which also equal the local copies in `../shared/models`
 *   (its `SHA256SUMS`); no SHA-1 is published.
 *
 * Verification: SHA-256 decides whenever an entry has one; a differing SHA-1 then only warns
 * (the model card's SHA-1s could not be checked against the pinned bytes here). SHA-1 decides
 * only for `small.en-tdrz`.
 *
 * @module
 */

import { z } from "zod";

/** Hugging Face revision of ggerganov/whisper.cpp the Whisper URLs and checksums are pinned to. */
export const WHISPER_CPP_REVISION = "5359861c739e955e79d9a303bcbc70fb988958b1";
/** Hugging Face revision of ggml-org/whisper-vad the VAD URLs and checksums are pinned to. */
export const WHISPER_VAD_REVISION = "9ffd54a1e1ee413ddf265af9913beaf518d1639b";

const WHISPER_CPP_BASE =
  `https://huggingface.co/ggerganov/whisper.cpp/resolve/${WHISPER_CPP_REVISION}`;
const WHISPER_VAD_BASE =
  `https://huggingface.co/ggml-org/whisper-vad/resolve/${WHISPER_VAD_REVISION}`;
const TINYDIARIZE_BASE = "https://huggingface.co/akashmjn/tinydiarize-whisper.cpp/resolve/main";

const SRC_HF_LFS = `Hugging Face LFS oid and size at ggerganov/whisper.cpp@${
  WHISPER_CPP_REVISION.slice(0, 8)
}`;
const SRC_HF_CARD = "SHA column of the huggingface.co/ggerganov/whisper.cpp model card";
const SRC_WCPP_README = "whisper.cpp models/README.md";
const SRC_VAD = `Hugging Face LFS oid and size at ggml-org/whisper-vad@${
  WHISPER_VAD_REVISION.slice(0, 8)
} (= ../shared/models/SHA256SUMS)`;

/** What a catalogue entry is used for. */
export type ModelKind = "whisper" | "vad";

/** One downloadable model file. */
export interface ModelEntry {
  /** The usual name: `tiny.en`, `base-q5_1`, `silero-v5.1.2`. */
  readonly name: string;
  /** Whisper speech-to-text model or Silero voice-activity model. */
  readonly kind: ModelKind;
  /** File name on disk and on the server: `ggml-<name>.bin`. */
  readonly file: string;
  /** HTTPS URL of the file. */
  readonly url: string;
  /** Exact size in bytes, when published. */
  readonly size?: number;
  /** Lower-case hex SHA-256, when published. */
  readonly sha256?: string;
  /** Lower-case hex SHA-1, when published. */
  readonly sha1?: string;
  /** Where the checksums and size come from. */
  readonly source?: string;
}

const hex = (len: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`), `${len} lower-case hex digits`);

/** Schema of one {@linkcode ModelEntry}; also used to validate entries built by callers. */
export const ModelEntrySchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "a bare model name"),
  kind: z.enum(["whisper", "vad"]),
  file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.bin$/, "a bare .bin file name"),
  url: z.url(),
  size: z.number().int().positive().optional(),
  sha256: hex(64).optional(),
  sha1: hex(40).optional(),
  source: z.string().optional(),
});

function whisper(name: string, size: number, sha256: string, sha1: string, readme = false) {
  return {
    name,
    kind: "whisper",
    file: `ggml-${name}.bin`,
    url: `${WHISPER_CPP_BASE}/ggml-${name}.bin`,
    size,
    sha256,
    sha1,
    source: `sha256/size: ${SRC_HF_LFS}; sha1: ${SRC_HF_CARD}${
      readme ? ` and ${SRC_WCPP_README}` : ""
    }`,
  } as const satisfies ModelEntry;
}

function vad(name: string, size: number, sha256: string) {
  return {
    name,
    kind: "vad",
    file: `ggml-${name}.bin`,
    url: `${WHISPER_VAD_BASE}/ggml-${name}.bin`,
    size,
    sha256,
    source: `sha256/size: ${SRC_VAD}`,
  } as const satisfies ModelEntry;
}

// deno-fmt-ignore
const ENTRIES: readonly ModelEntry[] = [
  whisper("tiny", 77_691_713, "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21", "bd577a113a864445d4c299885e0cb97d4ba92b5f", true),
  whisper("tiny.en", 77_704_715, "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f", "c78c86eb1a8faa21b369bcd33207cc90d64ae9df", true),
  whisper("tiny-q5_1", 32_152_673, "818710568da3ca15689e31a743197b520007872ff9576237bda97bd1b469c3d7", "2827a03e495b1ed3048ef28a6a4620537db4ee51"),
  whisper("tiny.en-q5_1", 32_166_155, "c77c5766f1cef09b6b7d47f21b546cbddd4157886b3b5d6d4f709e91e66c7c2b", "3fb92ec865cbbc769f08137f22470d6b66e071b6"),
  whisper("tiny-q8_0", 43_537_433, "c2085835d3f50733e2ff6e4b41ae8a2b8d8110461e18821b09a15c40c42d1cca", "19e8118f6652a650569f5a949d962154e01571d9"),
  whisper("tiny.en-q8_0", 43_550_795, "5bc2b3860aa151a4c6e7bb095e1fcce7cf12c7b020ca08dcec0c6d018bb7dd94", "802d6668e7d411123e672abe4cb6c18f12306abb"),
  whisper("base", 147_951_465, "60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe", "465707469ff3a37a2b9b8d8f89f2f99de7299dac", true),
  whisper("base.en", 147_964_211, "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002", "137c40403d78fd54d454da0f9bd998f78703390c", true),
  whisper("base-q5_1", 59_707_625, "422f1ae452ade6f30a004d7e5c6a43195e4433bc370bf23fac9cc591f01a8898", "a3733eda680ef76256db5fc5dd9de8629e62c5e7"),
  whisper("base.en-q5_1", 59_721_011, "4baf70dd0d7c4247ba2b81fafd9c01005ac77c2f9ef064e00dcf195d0e2fdd2f", "d26d7ce5a1b6e57bea5d0431b9c20ae49423c94a"),
  whisper("base-q8_0", 81_768_585, "c577b9a86e7e048a0b7eada054f4dd79a56bbfa911fbdacf900ac5b567cbb7d9", "7bb89bb49ed6955013b166f1b6a6c04584a20fbe"),
  whisper("base.en-q8_0", 81_781_811, "a4d4a0768075e13cfd7e19df3ae2dbc4a68d37d36a7dad45e8410c9a34f8c87e", "bb1574182e9b924452bf0cd1510ac034d323e948"),
  whisper("small", 487_601_967, "1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b", "55356645c2b361a969dfd0ef2c5a50d530afd8d5", true),
  whisper("small.en", 487_614_201, "c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d", "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022", true),
  {
    name: "small.en-tdrz",
    kind: "whisper",
    file: "ggml-small.en-tdrz.bin",
    url: `${TINYDIARIZE_BASE}/ggml-small.en-tdrz.bin`,
    sha1: "b6c6e7e89af1a35c08e6de56b66ca6a02a2fdfa1",
    source: `sha1: ${SRC_WCPP_README} (no SHA-256 or exact size published)`,
  },
  whisper("small-q5_1", 190_085_487, "ae85e4a935d7a567bd102fe55afc16bb595bdb618e11b2fc7591bc08120411bb", "6fe57ddcfdd1c6b07cdcc73aaf620810ce5fc771"),
  whisper("small.en-q5_1", 190_098_681, "bfdff4894dcb76bbf647d56263ea2a96645423f1669176f4844a1bf8e478ad30", "20f54878d608f94e4a8ee3ae56016571d47cba34"),
  whisper("small-q8_0", 264_464_607, "49c8fb02b65e6049d5fa6c04f81f53b867b5ec9540406812c643f177317f779f", "bcad8a2083f4e53d648d586b7dbc0cd673d8afad"),
  whisper("small.en-q8_0", 264_477_561, "67a179f608ea6114bd3fdb9060e762b588a3fb3bd00c4387971be4d177958067", "9d75ff4ccfa0a8217870d7405cf8cef0a5579852"),
  whisper("medium", 1_533_763_059, "6c14d5adee5f86394037b4e4e8b59f1673b6cee10e3cf0b11bbdbee79c156208", "fd9727b6e1217c2f614f9b698455c4ffd82463b4", true),
  whisper("medium.en", 1_533_774_781, "cc37e93478338ec7700281a7ac30a10128929eb8f427dda2e865faa8f6da4356", "8c30f0e44ce9560643ebd10bbe50cd20eafd3723", true),
  whisper("medium-q5_0", 539_212_467, "19fea4b380c3a618ec4723c3eef2eb785ffba0d0538cf43f8f235e7b3b34220f", "7718d4c1ec62ca96998f058114db98236937490e"),
  whisper("medium.en-q5_0", 539_225_533, "76733e26ad8fe1c7a5bf7531a9d41917b2adc0f20f2e4f5531688a8c6cd88eb0", "bb3b5281bddd61605d6fc76bc5b92d8f20284c3b"),
  whisper("medium-q8_0", 823_369_779, "42a1ffcbe4167d224232443396968db4d02d4e8e87e213d3ee2e03095dea6502", "e66645948aff4bebbec71b3485c576f3d63af5d6"),
  whisper("medium.en-q8_0", 823_382_461, "43fa2cd084de5a04399a896a9a7a786064e221365c01700cea4666005218f11c", "b1cf48c12c807e14881f634fb7b6c6ca867f6b38"),
  whisper("large-v1", 3_094_623_691, "7d99f41a10525d0206bddadd86760181fa920438b6b33237e3118ff6c83bb53d", "b1caaf735c4cc1429223d5a74f0f4d0b9b59a299", true),
  whisper("large-v2", 3_094_623_691, "9a423fe4d40c82774b6af34115b8b935f34152246eb19e80e376071d3f999487", "0f4c8e34f21cf1a914c59d8b3ce882345ad349d6", true),
  whisper("large-v2-q5_0", 1_080_732_091, "3a214837221e4530dbc1fe8d734f302af393eb30bd0ed046042ebf4baf70f6f2", "00e39f2196344e901b3a2bd5814807a769bd1630", true),
  whisper("large-v2-q8_0", 1_656_129_691, "fef54e6d898246a65c8285bfa83bd1807e27fadf54d5d4e81754c47634737e8c", "da97d6ca8f8ffbeeb5fd147f79010eeea194ba38"),
  whisper("large-v3", 3_095_033_483, "64d182b440b98d5203c4f9bd541544d84c605196c4f7b845dfa11fb23594d1e2", "ad82bf6a9043ceed055076d0fd39f5f186ff8062", true),
  whisper("large-v3-q5_0", 1_081_140_203, "d75795ecff3f83b5faa89d1900604ad8c780abd5739fae406de19f23ecd98ad1", "e6e2ed78495d403bef4b7cff42ef4aaadcfea8de", true),
  whisper("large-v3-turbo", 1_624_555_275, "1fc70f774d38eb169993ac391eea357ef47c88757ef72ee5943879b7e8e2bc69", "4af2b29d7ec73d781377bfd1758ca957a807e941", true),
  whisper("large-v3-turbo-q5_0", 574_041_195, "394221709cd5ad1f40c46e6031ca61bce88931e6e088c188294c6d5a55ffa7e2", "e050f7970618a659205450ad97eb95a18d69c9ee", true),
  whisper("large-v3-turbo-q8_0", 874_188_075, "317eb69c11673c9de1e1f0d459b253999804ec71ac4c23c17ecf5fbe24e259a1", "01bf15bedffe9f39d65c1b6ff9b687ea91f59e0e"),
  vad("silero-v5.1.2", 885_098, "29940d98d42b91fbd05ce489f3ecf7c72f0a42f027e4875919a28fb4c04ea2cf"),
  vad("silero-v6.2.0", 885_098, "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987"),
];

/** Every known model, in the order whisper.cpp's download scripts list them. Validated at load. */
export const CATALOG: readonly ModelEntry[] = Object.freeze(
  z.array(ModelEntrySchema).parse(ENTRIES).map((e) => Object.freeze(e as ModelEntry)),
);

const BY_NAME = new Map(CATALOG.map((e) => [e.name, e]));

/** The entry for `name`, or `undefined` when the catalogue has no such model. */
export function findModel(name: string): ModelEntry | undefined {
  return BY_NAME.get(name);
}

/** Every model name, in catalogue order. */
export function modelNames(kind?: ModelKind): string[] {
  return CATALOG.filter((e) => kind === undefined || e.kind === kind).map((e) => e.name);
}

/** Whether the entry carries at least one checksum a download can be verified against. */
export function hasChecksum(entry: ModelEntry): boolean {
  return entry.sha256 !== undefined || entry.sha1 !== undefined;
}
