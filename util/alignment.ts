/**
 * Levenshtein alignment of two token sequences: edit counts in O(n·m) time and O(m) memory, and
 * the columns of an alignment (hits, substitutions, deletions, insertions). Among the alignments
 * with the fewest edits the one with the fewest substitutions (most hits) is chosen, so the split
 * does not depend on the order in which ties are broken. Used by the WER metrics and by the
 * streaming engine (a closing decode's words against the committed ones).
 *
 * @module
 */

/** Edit counts from aligning a reference token sequence with a hypothesis. */
export interface EditCounts {
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Reference tokens matched exactly. */
  hits: number;
}

/** One column of an alignment; `ref` is null for an insertion, `hyp` for a deletion. */
export type AlignmentStep<T = string> =
  | { op: "hit" | "substitution"; ref: T; hyp: T }
  | { op: "deletion"; ref: T; hyp: null }
  | { op: "insertion"; ref: null; hyp: T };

// Choices stored per cell when an alignment is wanted.
const HIT = 0;
const SUBSTITUTION = 1;
const DELETION = 2;
const INSERTION = 3;

/**
 * Scores are edits·weight + substitutions, so that comparing scores compares edits first and
 * substitutions second. The weight exceeds any possible substitution count.
 */
function substitutionWeight(n: number, m: number): number {
  return Math.min(n, m) + 1;
}

/** Turns the best score into counts, using deletions − insertions = n − m. */
function countsFromScore(score: number, weight: number, n: number, m: number): EditCounts {
  const substitutions = score % weight;
  const edits = (score - substitutions) / weight;
  const deletions = (edits - substitutions + n - m) / 2;
  const insertions = edits - substitutions - deletions;
  return { substitutions, deletions, insertions, hits: n - substitutions - deletions };
}

/**
 * Counts the edits that turn `ref` into `hyp` (tokens compared with `===`), in O(n·m) time and
 * O(m) memory.
 */
export function editCounts<T>(ref: readonly T[], hyp: readonly T[]): EditCounts {
  const n = ref.length;
  const m = hyp.length;
  const w = substitutionWeight(n, m);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * w;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * w;
    const r = ref[i - 1];
    for (let j = 1; j <= m; j++) {
      const diagonal = prev[j - 1] + (r === hyp[j - 1] ? 0 : w + 1);
      cur[j] = Math.min(diagonal, prev[j] + w, cur[j - 1] + w);
    }
    [prev, cur] = [cur, prev];
  }
  return countsFromScore(prev[m], w, n, m);
}

/**
 * Aligns two token sequences and lists every column: hits, substitutions, deletions (reference
 * tokens missing from the hypothesis) and insertions (extra hypothesis tokens). The counts of the
 * steps equal {@linkcode editCounts}. Uses n·m bytes; meant for single utterances.
 */
export function alignTokens<T>(ref: readonly T[], hyp: readonly T[]): AlignmentStep<T>[] {
  const choices = fillChoices(ref, hyp);
  const steps: AlignmentStep<T>[] = [];
  const m = hyp.length;
  let i = ref.length;
  let j = m;
  while (i > 0 || j > 0) {
    const choice = i === 0 ? INSERTION : j === 0 ? DELETION : choices[(i - 1) * m + (j - 1)];
    if (choice === DELETION) {
      steps.push({ op: "deletion", ref: ref[--i], hyp: null });
    } else if (choice === INSERTION) {
      steps.push({ op: "insertion", ref: null, hyp: hyp[--j] });
    } else {
      const op = choice === HIT ? "hit" : "substitution";
      steps.push({ op, ref: ref[--i], hyp: hyp[--j] });
    }
  }
  return steps.reverse();
}

/** The forward programme of {@linkcode editCounts}, remembering the best move into each cell. */
function fillChoices<T>(ref: readonly T[], hyp: readonly T[]): Uint8Array {
  const n = ref.length;
  const m = hyp.length;
  const w = substitutionWeight(n, m);
  const choices = new Uint8Array(n * m);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * w;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * w;
    for (let j = 1; j <= m; j++) {
      // On ties a gap wins, so that the backtrace (from the end) puts matches as early as it can.
      let best = prev[j] + w;
      let choice = DELETION;
      if (cur[j - 1] + w < best) [best, choice] = [cur[j - 1] + w, INSERTION];
      const same = ref[i - 1] === hyp[j - 1];
      const diagonal = prev[j - 1] + (same ? 0 : w + 1);
      if (diagonal < best) [best, choice] = [diagonal, same ? HIT : SUBSTITUTION];
      cur[j] = best;
      choices[(i - 1) * m + (j - 1)] = choice;
    }
    [prev, cur] = [cur, prev];
  }
  return choices;
}
