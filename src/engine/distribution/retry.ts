// Bounded retries with exponential back-off and full jitter, for what a registry or a network
// does transiently: connection resets and time-outs, 5xx, 429. Time is injected (clock, sleep,
// random), so tests check the schedule without waiting for it.
import { RegistryError } from './errors.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts: number;
  /** First back-off ceiling in ms (default 250); doubles each time. */
  baseDelayMs: number;
  /** Largest back-off in ms (default 10 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

/** The wait before retry number `n` (1-based): a random point in [ceiling/2, ceiling], ceiling = base·2^(n-1). */
export function backoffDelay(policy: RetryPolicy, n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** A failure worth another try, with the wait the server asked for if it said (Retry-After). */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly final?: RegistryError,
  ) {
    super(message);
  }
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** Network-level failures that happen mid-exchange (not "nobody listens there"). */
export function isTransientNetworkError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && TRANSIENT_CODES.has(code)) return true;
  return e instanceof Error && /socket hang up|aborted|premature close/i.test(e.message);
}

/**
 * Runs `fn` until it succeeds, throws something that is not transient, or the attempts run out.
 * On the last transient failure the error's `final` (a RegistryError with context) is thrown if
 * it has one, else the error itself.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: { policy?: RetryPolicy; clock?: Clock; random?: () => number; signal?: AbortSignal; onRetry?: (e: unknown, delayMs: number) => void },
): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const clock = opts.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const transient = e instanceof TransientError || isTransientNetworkError(e);
      if (!transient || attempt >= policy.attempts || opts.signal?.aborted) {
        if (e instanceof TransientError && e.final) throw e.final;
        throw e;
      }
      let delay = backoffDelay(policy, attempt, opts.random);
      if (e instanceof TransientError && e.retryAfterMs !== undefined) delay = Math.min(Math.max(delay, e.retryAfterMs), policy.maxDelayMs);
      opts.onRetry?.(e, delay);
      await clock.sleep(delay, opts.signal);
    }
  }
}

/** `Retry-After` in ms: seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
