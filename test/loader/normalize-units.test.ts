// Durations (str2duration grammar in, Go time.Duration.String() out) and byte sizes
// (go-units RAMInBytes).
import { describe, expect, it } from 'vitest';
import { canonicalDuration, formatDuration, parseDuration } from '../../src/loader/durations.js';
import { parseSize } from '../../src/loader/sizes.js';

const S = 1_000_000_000n;

describe('parseDuration', () => {
  const table: [string | number, bigint][] = [
    ['1m30s', 90n * S],
    ['90s', 90n * S],
    ['1h', 3600n * S],
    ['500ms', 500_000_000n],
    ['1.5s', 1_500_000_000n],
    ['.5s', 500_000_000n],
    ['1.s', S],
    ['2h45m10.25s', (2n * 3600n + 45n * 60n + 10n) * S + 250_000_000n],
    ['10us', 10_000n],
    ['10µs', 10_000n],
    ['10μs', 10_000n],
    ['7ns', 7n],
    ['1d', 86_400n * S],
    ['1w', 7n * 86_400n * S],
    ['-2s', -2n * S],
    ['+2s', 2n * S],
    ['0', 0n],
    [0, 0n],
    ['8760h', 8760n * 3600n * S], // beyond 2^53 ns: why bigint
  ];
  for (const [input, ns] of table) it(JSON.stringify(input), () => expect(parseDuration(input)).toBe(ns));

  const errors: [string | number, string][] = [
    ['', 'invalid duration "": empty'],
    ['10', 'invalid duration "10": missing unit'],
    [90, 'invalid duration "90": missing unit'],
    ['1y', 'invalid duration "1y": unknown unit "y"'],
    ['s', 'invalid duration "s": expected a number'],
    ['1.5.5s', 'invalid duration "1.5.5s": missing unit'],
    ['ten seconds', 'invalid duration "ten seconds"'],
    ['3000000h', 'out of range'],
  ];
  for (const [input, message] of errors) {
    it(`refuses ${JSON.stringify(input)}`, () => expect(() => parseDuration(input)).toThrow(message));
  }
});

describe('formatDuration', () => {
  const table: [bigint | number, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5µs'],
    [1_000_000n, '1ms'],
    [500_000_000n, '500ms'],
    [S, '1s'],
    [1_500_000_000n, '1.5s'],
    [90n * S, '1m30s'],
    [60n * S, '1m0s'],
    [3600n * S, '1h0m0s'],
    [86_400n * S, '24h0m0s'],
    [3661n * S + 1n, '1h1m1.000000001s'],
    [-90n * S, '-1m30s'],
    [2_000_000_000, '2s'],
  ];
  for (const [ns, text] of table) it(text, () => expect(formatDuration(ns)).toBe(text));

  it('round-trips what compose prints', () => {
    for (const text of ['1m30s', '1h0m0s', '500ms', '1.5s', '10s', '0s']) expect(canonicalDuration(text)).toBe(text);
    expect(canonicalDuration('90s')).toBe('1m30s');
    expect(canonicalDuration('1d')).toBe('24h0m0s');
  });
});

describe('parseSize', () => {
  const table: [string | number, number][] = [
    ['512m', 512 * 1024 ** 2],
    ['512M', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1gb', 1024 ** 3],
    ['1GiB', 1024 ** 3],
    ['1.5gb', 1.5 * 1024 ** 3],
    ['640kb', 640 * 1024],
    ['64k', 64 * 1024],
    ['1 GB', 1024 ** 3],
    ['2t', 2 * 1024 ** 4],
    ['1p', 1024 ** 5],
    ['100b', 100],
    ['1024', 1024],
    ['0', 0],
    ['1.9', 1], // fractions of a byte are truncated, as Go's int64() does
    [1024, 1024],
    [-1, -1], // memswap_limit: unlimited
  ];
  for (const [input, bytes] of table) it(JSON.stringify(input), () => expect(parseSize(input)).toBe(bytes));

  const errors = ['', 'lots', '-1', '1x', '1.2.3', '1 g b', 'm', '12 mb extra'];
  for (const input of errors) {
    it(`refuses ${JSON.stringify(input)}`, () => expect(() => parseSize(input)).toThrow(`invalid size: ${JSON.stringify(input)}`));
  }
  it('refuses a non-finite number', () => expect(() => parseSize(Number.NaN)).toThrow('invalid size'));
});
