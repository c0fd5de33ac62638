/// <reference lib="dom" />
/**
 * The API key the page sends (`Authorization: Bearer`), kept in the browser's local storage. A
 * server without keys ignores it; one with keys answers `401` without it, and the page then asks.
 *
 * @module
 */

const STORAGE_KEY = "hum-helix.api-key";

/** The key saved in this browser, or "" for none. */
export function apiKey(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

/** Saves (or, with "", forgets) the key. */
export function setApiKey(key: string): void {
  try {
    if (key) localStorage.setItem(STORAGE_KEY, key.trim());
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage blocked (private window): the key lasts for this page only.
  }
}

/** Headers carrying the key, when there is one. */
export function authHeaders(): Record<string, string> {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** The error a refused request carries: its message, with `status` for the page to act on. */
export class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "RequestError";
  }
}
