// A full file system under the engine (ENOSPC, or EDQUOT for a quota) is not the engine's bug nor
// the request's: the caller must be told which directory is full and what to do, not
// "ENOSPC: no space left on device, write". Writes to the state root happen in every room
// (records, image layers, volumes, bundles, the monitor's overlay mount), so the translation sits
// at the rooms' edge: BuiltinEngine hands the API each room through `explainingStorage`, which
// passes every failure — a rejected call, a thrown one, a progress stream that ends in an error —
// through `storageFullError`. Nothing is half-written meanwhile: state files are replaced
// atomically (lib/atomic.ts), so the old record stays whole.

import { InternalError } from '../backend.js';

/** The engine's file system is full: 500 as dockerd answers, with the directory and the remedy. */
export class StorageFullError extends InternalError {}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
// What tools the engine runs (mount, runc, tar…) print for the same errno.
const FULL_TEXT = /no space left on device|disk quota exceeded/i;

/** The errno code (ENOSPC / EDQUOT) when `e` or one of its causes says the disk or a quota is full. */
function fullCode(e: unknown): string | undefined {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (code && FULL_CODES.has(code)) return code;
    if (FULL_TEXT.test(cur.message)) return /quota/i.test(cur.message) ? 'EDQUOT' : 'ENOSPC';
  }
  return undefined;
}

/**
 * The error to answer for `e`: a StorageFullError naming the full directory (the run root when the
 * failed path is under it, else the state root) and what to do; `e` itself when it is not about space.
 */
export function storageFullError(e: unknown, roots: { root: string; runRoot: string }): unknown {
  if (e instanceof StorageFullError) return e;
  const code = fullCode(e);
  if (!code) return e;
  const failedPath = (e as NodeJS.ErrnoException).path ?? '';
  const dir = failedPath === roots.runRoot || failedPath.startsWith(`${roots.runRoot}/`) ? roots.runRoot : roots.root;
  const what = code === 'EDQUOT' ? 'disk quota exceeded (EDQUOT)' : 'no space left on device (ENOSPC)';
  const remedy = dir === roots.root ? 'free space in it (remove unused containers, images, volumes and build cache: `docker system prune`), then try again' : 'free space in it, then try again';
  return new StorageFullError(`${what}: the file system holding ${dir} is full; ${remedy} [${(e as Error).message}]`, { cause: e });
}

function isAsyncGenerator(v: unknown): v is AsyncGenerator<unknown> {
  return Object.prototype.toString.call(v) === '[object AsyncGenerator]';
}

async function* explainingStream<T>(messages: AsyncGenerator<T>, explain: (e: unknown) => unknown): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (e) {
    throw explain(e);
  }
}

/**
 * `room` as the API sees it: each method's failure goes through `explain`, whether the method
 * throws, rejects or returns a progress stream (an async generator) that fails later. Calls the
 * room makes on itself are not wrapped (methods run on the room itself).
 */
export function explainingStorage<T extends object>(room: T, explain: (e: unknown) => unknown): T {
  return new Proxy(room, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (e) {
          throw explain(e);
        }
        if (result instanceof Promise) return result.catch((e: unknown) => Promise.reject(explain(e)));
        if (isAsyncGenerator(result)) return explainingStream(result, explain);
        return result;
      };
    },
  });
}
