/**
 * Small helpers shared by the FFI bindings: C strings in and out, pointers into buffers.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes `text` as a NUL-terminated UTF-8 C string (keep it alive while C holds it). */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Reads a NUL-terminated UTF-8 string that C owns; `null` for a null pointer. */
export function readCString(ptr: Deno.PointerValue): string | null {
  if (ptr === null) return null;
  return new Deno.UnsafePointerView(ptr).getCString();
}

/**
 * Reads a NUL-terminated string whose bytes may not be valid UTF-8 on their own (a Whisper token
 * can hold part of a multi-byte character): returns the raw bytes.
 */
export function readCBytes(ptr: Deno.PointerValue): Uint8Array {
  if (ptr === null) return new Uint8Array(0);
  const view = new Deno.UnsafePointerView(ptr);
  let n = 0;
  while (view.getUint8(n) !== 0) n++;
  return new Uint8Array(view.getArrayBuffer(n).slice(0));
}

/** Decodes UTF-8 bytes, replacing invalid sequences. */
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** The address of a buffer's first byte as a bigint (for writing pointers into structs). */
export function addressOf(buf: BufferSource | null): bigint {
  if (buf === null) return 0n;
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
}
