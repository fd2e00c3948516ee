// Byte sizes as docker reads them (go-units RAMInBytes): a decimal number, an optional
// space, an optional unit b k m g t p (case-insensitive, binary multiples), an optional
// `i` and an optional `b`. `512m`, `1.5gb`, `1 GiB`, `1024`. Fractions are truncated.

const MULTIPLIER: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

export class SizeError extends Error {}

/** Bytes. Numbers pass through (compose allows `-1` for an unlimited `memswap_limit`). */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SizeError(`invalid size: ${value}`);
    return Math.trunc(value);
  }
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value);
  if (!m) {
    throw new SizeError(`invalid size: ${JSON.stringify(value)} (expected a number with an optional unit b, k, m, g, t or p, e.g. 512m)`);
  }
  const unit = (m[2] ?? '').toLowerCase();
  return Math.trunc(Number(m[1]) * MULTIPLIER[unit]);
}
