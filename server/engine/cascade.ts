/**
 * A two-model cascade (`closingModel`): a session's rolling decodes (partials and early commits)
 * run on its own model, its closing decodes (the words that become final) on another, larger
 * one. The early words stay as cheap as the small model makes them; the final words come from the
 * better model. Both share the session's scheduler key, so a closing decode on the second model
 * is still the session's own for the express slot.
 *
 * @module
 */

import type { DegradeLevel } from "./scheduler.ts";
import {
  type DecodeRequest,
  type Hypothesis,
  noCounts,
  type Transcriber,
  type TranscriberCounts,
} from "./transcriber.ts";

/** Rolling decodes on `rolling`, closing decodes (`kind: "final"`) on `closing`. */
export class CascadeTranscriber implements Transcriber {
  /** The two transcribers: rolling decodes, closing decodes. */
  constructor(readonly rolling: Transcriber, readonly closing: Transcriber) {}

  decode(req: DecodeRequest): Promise<Hypothesis> {
    return (req.kind === "final" ? this.closing : this.rolling).decode(req);
  }

  /** Both transcribers' counts, added. */
  get counts(): Readonly<TranscriberCounts> {
    const a = this.rolling.counts;
    const b = this.closing.counts;
    const sum = noCounts();
    for (const k of Object.keys(sum) as (keyof TranscriberCounts)[]) sum[k] = a[k] + b[k];
    return sum;
  }

  get scheduled(): boolean {
    return this.rolling.scheduled || this.closing.scheduled;
  }

  get degradeLevel(): DegradeLevel {
    return Math.max(this.rolling.degradeLevel, this.closing.degradeLevel) as DegradeLevel;
  }

  get loadShare(): number {
    return Math.max(this.rolling.loadShare, this.closing.loadShare);
  }

  cancel(): void {
    this.rolling.cancel();
    this.closing.cancel();
  }

  close(): void {
    this.rolling.close();
    this.closing.close();
  }
}
