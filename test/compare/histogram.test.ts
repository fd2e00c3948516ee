import { describe, expect, it } from 'vitest';
import { HISTOGRAM_RELATIVE_ERROR, LatencyHistogram, _internal } from '../../src/compare/histogram.js';

describe('LatencyHistogram', () => {
  it('is exact for small values and within its relative error for large ones', () => {
    for (const v of [1, 7, 63, 64, 100, 127]) expect(_internal.bucketUpperBound(_internal.bucketOf(v))).toBe(v);
    for (const v of [128, 1000, 4095, 4096, 123_456, 987_654_321, 2 ** 40 - 1, 2 ** 40]) {
      const ub = _internal.bucketUpperBound(_internal.bucketOf(v));
      expect(ub).toBeGreaterThanOrEqual(v);
      expect((ub - v) / v).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
    }
  });

  it('bucket indexes grow with the value (no octave overlap)', () => {
    let prev = -1;
    for (let v = 1; v < 5_000_000; v = Math.ceil(v * 1.01)) {
      const b = _internal.bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
    }
  });

  it('reports percentiles of a known distribution', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(BigInt(i * 1000)); // 1 µs .. 10 ms, uniform
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.min).toBe(1000);
    expect(s.max).toBe(10_000_000);
    expect(s.mean).toBeCloseTo(5_000_500, 0);
    const near = (got: number | undefined, want: number) => {
      expect(got).toBeDefined();
      expect(Math.abs((got as number) - want) / want).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR + 1e-9);
    };
    near(s.p50, 5_000_000);
    near(s.p95, 9_500_000);
    near(s.p99, 9_900_000);
    expect(s.p50! <= s.p95! && s.p95! <= s.p99! && s.p99! <= s.max!).toBe(true);
  });

  it('clamps percentiles to the observed range and handles one sample', () => {
    const h = new LatencyHistogram();
    h.record(1_000_001);
    expect(h.quantile(0.5)).toBe(1_000_001);
    expect(h.quantile(0.99)).toBe(1_000_001);
  });

  it('is empty-safe and rejects bad samples', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0 });
    expect(h.quantile(0.5)).toBeUndefined();
    expect(() => h.record(-1)).toThrow(RangeError);
    expect(() => h.record(Number.NaN)).toThrow(RangeError);
    expect(() => h.quantile(2)).toThrow(RangeError);
  });

  it('merges and round-trips through JSON', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(1000 + i);
    for (let i = 0; i < 100; i++) b.record(1_000_000 + i * 1000);
    a.merge(b);
    expect(a.count).toBe(200);
    expect(a.summary().max).toBe(1_099_000);
    const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(back.summary()).toEqual(a.summary());
    const cdf = back.cdf();
    expect(cdf.at(-1)?.fraction).toBe(1);
    for (let i = 1; i < cdf.length; i++) {
      expect(cdf[i].ns).toBeGreaterThan(cdf[i - 1].ns);
      expect(cdf[i].fraction).toBeGreaterThan(cdf[i - 1].fraction);
    }
  });
});
