/**
 * The shape of the byte-layout tables the bindings keep for the C structs they read or write
 * (`ffi/<library>/layout.ts`), checked against the C headers by `ffi/testing/layout_probe.ts`.
 *
 * @module
 */

/** A field: [byte offset, byte size]. */
export type FieldLayout = readonly [offset: number, size: number];

/** A struct: its size and the fields the binding uses. */
export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}
