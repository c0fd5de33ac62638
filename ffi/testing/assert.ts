/**
 * The few assertions the binding tests need (the project carries no assertion library).
 *
 * @module
 */

/** Throws unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Throws unless `actual` and `expected` serialise to the same JSON. */
export function assertEquals(actual: unknown, expected: unknown, msg = "values differ"): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg}: expected ${e}, got ${a}`);
}

/** Throws unless `actual` is within `tolerance` of `expected`. */
export function assertNear(
  actual: number,
  expected: number,
  tolerance: number,
  msg = "value",
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${msg}: expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Text the message must include, or a pattern it must match. */
type MessageCheck = string | RegExp;

function check<E extends Error>(err: unknown, type: ErrorClass<E>, includes?: MessageCheck): E {
  if (!(err instanceof type)) {
    throw new Error(`expected a ${type.name}, got ${err instanceof Error ? err.stack : err}`);
  }
  if (
    includes instanceof RegExp
      ? !includes.test(err.message)
      : includes !== undefined && !err.message.includes(includes)
  ) {
    throw new Error(`expected the message to match ${includes}, got "${err.message}"`);
  }
  return err;
}

/** Runs `fn`, expects it to throw a `type` whose message includes (or matches) `includes`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: ErrorClass<E>,
  includes?: MessageCheck,
): E {
  try {
    fn();
  } catch (err) {
    return check(err, type, includes);
  }
  throw new Error(`expected a ${type.name} to be thrown`);
}

/** Awaits `fn()`, expects it to reject with a `type` whose message includes (or matches) `includes`. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: ErrorClass<E>,
  includes?: MessageCheck,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return check(err, type, includes);
  }
  throw new Error(`expected a rejection with ${type.name}`);
}
