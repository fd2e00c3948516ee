// A log-linear latency histogram (the HdrHistogram layout, simplified): values are bucketed by
// their power of two, and each power of two is split into SUB_BUCKETS equal slices, so every
// bucket is at most 1/SUB_BUCKETS of its value wide. With 64 slices a reported percentile is
// within 1.6 % of the true sample, whatever the magnitude, in constant memory per octave —
// the property a latency report needs (a 40 µs p50 and a 2 s max in the same histogram).
//
// Values are nanoseconds as plain numbers (exact up to 2^53 ns ≈ 104 days). Count, sum, min and
// max are kept exactly; percentiles come from the buckets and are clamped to [min, max].

const SUB_BUCKET_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;

/** Bucket index of a value ≥ 1: octave * SUB_BUCKETS + slice within the octave. */
function bucketOf(value: number): number {
  if (value < SUB_BUCKETS) return Math.floor(value); // the first octaves are exact: one bucket per unit
  let octave = Math.floor(Math.log2(value));
  // Math.log2 may round across an octave boundary for values next to a power of two: correct it.
  if (2 ** octave > value) octave--;
  else if (2 ** (octave + 1) <= value) octave++;
  const base = 2 ** octave;
  const slice = Math.floor(((value - base) / base) * SUB_BUCKETS);
  return (octave - SUB_BUCKET_BITS + 1) * SUB_BUCKETS + Math.min(slice, SUB_BUCKETS - 1);
}

/** Highest value that falls into bucket `idx` (what a percentile reports: never an underestimate). */
function bucketUpperBound(idx: number): number {
  if (idx < SUB_BUCKETS) return idx;
  const octave = Math.floor(idx / SUB_BUCKETS) + SUB_BUCKET_BITS - 1;
  const slice = idx % SUB_BUCKETS;
  const base = 2 ** octave;
  return base + ((slice + 1) * base) / SUB_BUCKETS - 1;
}

export interface HistogramSummary {
  count: number;
  /** Nanoseconds. Undefined when empty. */
  min?: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

/** Serialised form (for JSON reports and merging runs): sparse [bucket, count] pairs. */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;

  /** Records one sample in nanoseconds (a bigint from process.hrtime.bigint() differences, or a number). */
  record(ns: number | bigint): void {
    let v = typeof ns === 'bigint' ? Number(ns) : ns;
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`latency sample must be a finite number ≥ 0, got ${String(ns)}`);
    v = Math.max(1, Math.round(v));
    const b = bucketOf(v);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.n++;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  get count(): number {
    return this.n;
  }

  /** Adds every sample of `other` (histograms of concurrent clients, or of repeated runs). */
  merge(other: LatencyHistogram): void {
    for (const [b, c] of other.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += other.n;
    this.total += other.total;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
  }

  /** The value at or below which `q` (0..1) of the samples lie; undefined when empty. */
  quantile(q: number): number | undefined {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`);
    if (this.n === 0) return undefined;
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((a, c) => a - c)) {
      seen += this.counts.get(b) ?? 0;
      if (seen >= rank) return Math.min(this.hi, Math.max(this.lo, bucketUpperBound(b)));
    }
    return this.hi;
  }

  summary(): HistogramSummary {
    if (this.n === 0) return { count: 0 };
    return {
      count: this.n,
      min: this.lo,
      mean: this.total / this.n,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      max: this.hi,
    };
  }

  /**
   * The distribution as points for a chart: for each non-empty bucket, its upper bound and the
   * fraction of samples at or below it (a cumulative distribution, monotone in both coordinates).
   */
  cdf(): { ns: number; fraction: number }[] {
    const out: { ns: number; fraction: number }[] = [];
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((a, c) => a - c)) {
      seen += this.counts.get(b) ?? 0;
      out.push({ ns: Math.min(this.hi, bucketUpperBound(b)), fraction: seen / this.n });
    }
    return out;
  }

  toJSON(): HistogramData {
    return {
      buckets: [...this.counts.entries()].sort((a, b) => a[0] - b[0]),
      count: this.n,
      sum: this.total,
      min: this.n ? this.lo : 0,
      max: this.n ? this.hi : 0,
    };
  }

  static fromJSON(data: HistogramData): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [b, c] of data.buckets) h.counts.set(b, c);
    h.n = data.count;
    h.total = data.sum;
    if (data.count > 0) {
      h.lo = data.min;
      h.hi = data.max;
    }
    return h;
  }
}

/** Exposed for tests: the bucket layout's relative width bound. */
export const HISTOGRAM_RELATIVE_ERROR = 1 / SUB_BUCKETS;
export const _internal = { bucketOf, bucketUpperBound };
