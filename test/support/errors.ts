// What a call threw, for tests that look at the error itself rather than only its message.
// Each helper fails the test when the call does not throw, so an assertion about the error can
// never pass because the error went away.
import { ComposeError, ComposeErrors } from '../../src/errors.js';

/** The value `fn` throws; throws itself (failing the test) when `fn` returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

/** The same for an async call: what its promise rejects with. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to reject');
}

/** The ComposeErrors `fn` throws, flattened (a lone ComposeError is a list of one). Anything else is rethrown. */
export function composeErrorsOf(fn: () => unknown): ComposeError[] {
  const e = thrownBy(fn);
  if (e instanceof ComposeErrors) return [...e.errors];
  if (e instanceof ComposeError) return [e];
  throw e;
}

/** The single ComposeError `fn` throws. Anything else is rethrown. */
export function composeErrorOf(fn: () => unknown): ComposeError {
  const e = thrownBy(fn);
  if (e instanceof ComposeError) return e;
  throw e;
}
