// Durations as compose reads and prints them. compose-go parses with str2duration (Go's
// time.ParseDuration grammar plus `d` and `w`) and prints with time.Duration.String(), so
// `90s` is printed back as `1m30s`. Nanoseconds are bigint: a year in ns exceeds 2^53.

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/** Go's int64 range: time.Duration overflows past it. */
const MAX_NS = (1n << 63n) - 1n;

export class DurationError extends Error {}

/**
 * `"1m30s"`, `"1.5h"`, `"500ms"`, `"-2s"`, `"0"` → nanoseconds. A number is accepted only
 * when it is 0, as in compose (`fmt.Sprint(90)` is `"90"`, which has no unit).
 */
export function parseDuration(value: string | number): bigint {
  const text = typeof value === 'number' ? String(value) : value;
  const fail = (why: string): never => {
    throw new DurationError(`invalid duration ${JSON.stringify(text)}: ${why}`);
  };
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') fail('empty');

  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = m?.[1] ?? '';
    const frac = m?.[2] ?? '';
    if (whole === '' && frac === '') fail('expected a number');
    s = s.slice(m![0].length);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (!unitMatch) fail(`missing unit (one of ${Object.keys(NS_PER_UNIT).filter((u) => u !== 'μs').join(', ')})`);
    const unit = unitMatch![0];
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) fail(`unknown unit "${unit}"`);
    s = s.slice(unit.length);
    // Fractions are exact: digits × scale / 10^digits, truncated like Go does.
    let ns = BigInt(whole || '0') * scale;
    if (frac !== '') ns += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += ns;
    if (total > MAX_NS) fail('out of range');
  }
  return negative ? -total : total;
}

/** time.Duration.String(): `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `0s`. */
export function formatDuration(ns: bigint | number): string {
  let d = typeof ns === 'bigint' ? ns : BigInt(Math.trunc(ns));
  if (d === 0n) return '0s';
  const sign = d < 0n ? '-' : '';
  if (d < 0n) d = -d;
  if (d < 1_000_000_000n) {
    if (d < 1_000n) return `${sign}${d}ns`;
    if (d < 1_000_000n) return `${sign}${fixed(d, 1_000n)}µs`;
    return `${sign}${fixed(d, 1_000_000n)}ms`;
  }
  const hours = d / NS_PER_UNIT.h;
  d %= NS_PER_UNIT.h;
  const minutes = d / NS_PER_UNIT.m;
  d %= NS_PER_UNIT.m;
  const seconds = fixed(d, NS_PER_UNIT.s);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / unit` with the fraction's trailing zeros removed, as Go's fmtFrac does. */
function fixed(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  const digits = String(unit).length - 1;
  const frac = String(rest).padStart(digits, '0').replace(/0+$/, '');
  return `${whole}.${frac}`;
}

/** A duration value as compose prints it, or the error naming the bad value. */
export function canonicalDuration(value: string | number): string {
  return formatDuration(parseDuration(value));
}
