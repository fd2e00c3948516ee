// What every part of the translation shares: the collector of errors and notices (all problems
// are reported together, never the first alone), and the conversions from the canonical model's
// values (durations as Go prints them, numbers that may still be strings) to the API's.
import { ComposeError, type KeyPath } from '../errors.js';
import { DurationError, parseDuration } from '../loader/durations.js';

export class Findings {
  readonly errors: ComposeError[] = [];
  readonly notices: string[] = [];

  error(path: KeyPath, detail: string): void {
    this.errors.push(new ComposeError(detail, { location: { path } }));
  }

  notice(text: string): void {
    if (!this.notices.includes(text)) this.notices.push(text);
  }

  /** Errors sorted by key path, then message: the same stack always reports the same way. */
  sortedErrors(): ComposeError[] {
    return [...this.errors].sort((a, b) => a.message.localeCompare(b.message, 'en'));
  }
}

/** A duration of the model ("1m30s") in nanoseconds, as the API takes it. */
export function nanoseconds(value: unknown, path: KeyPath, f: Findings): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    f.error(path, `expected a duration, got ${JSON.stringify(value)}`);
    return undefined;
  }
  try {
    return Number(parseDuration(value));
  } catch (e) {
    if (e instanceof DurationError) {
      f.error(path, e.message);
      return undefined;
    }
    throw e;
  }
}

/** A whole number written as a number or a numeric string (interpolated values stay strings). */
export function wholeNumber(value: unknown, path: KeyPath, f: Findings, min = 0): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min) {
    f.error(path, `expected a whole number${min > 0 ? ` of at least ${min}` : ''}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return n;
}

export function decimalNumber(value: unknown, path: KeyPath, f: Findings): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    f.error(path, `expected a number, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return n;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A mapping of scalars as the API's string map: `3` → "3". */
export function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const k of Object.keys(v).sort()) {
    const x = v[k];
    if (x !== undefined && x !== null) out[k] = typeof x === 'string' ? x : String(x);
  }
  return out;
}

/** Drops undefined fields and empty objects/arrays, so a spec carries only what was set. */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (isRecord(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as T;
}
