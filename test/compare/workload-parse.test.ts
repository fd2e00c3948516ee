import { describe, expect, it } from 'vitest';
import { HISTOGRAM_RELATIVE_ERROR } from '../../src/compare/histogram.js';
import { WorkloadError } from '../../src/compare/http-workload.js';
import { parseLatencyLines, parsePgbench, parseWorkloadOutput } from '../../src/compare/workload-parse.js';

// pgbench 15's summary, as Debian's postgresql-client prints it.
const PGBENCH = `pgbench (15.14 (Debian 15.14-0+deb12u1))
transaction type: <builtin: select only>
scaling factor: 1
query mode: simple
number of clients: 4
number of threads: 1
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 41234
number of failed transactions: 3 (0.007%)
latency average = 0.484 ms
initial connection time = 9.871 ms
tps = 8261.901204 (without initial connection time)
`;

describe('workload output parsers', () => {
  it('reads a pgbench summary', () => {
    const p = parsePgbench(PGBENCH);
    expect(p).toMatchObject({ format: 'pgbench', requests: 41234, errors: 3, throughput: 8261.901204 });
    expect(p?.meanNs).toBeCloseTo(484_000, 0);
  });

  it('reads one latency per line with units', () => {
    const p = parseLatencyLines('0.5 ms\n500us\n500000ns\n0.0005s\n\n');
    expect(p?.requests).toBe(4);
    expect(p?.histogram.summary().min).toBe(500_000);
    expect(p?.histogram.summary().max).toBe(500_000);
    expect(parseLatencyLines('0.5 ms\nhello\n')).toBeUndefined();
  });

  it('turns output into a workload result, throughput from elapsed time when the tool gives none', () => {
    const r = parseWorkloadOutput('1ms\n2ms\n3ms\n4ms\n', 'my-tool', 2000);
    expect(r).toMatchObject({ kind: 'command', requests: 4, throughput: 2 });
    const p50 = r.histogram.summary().p50 as number;
    expect(p50).toBeGreaterThanOrEqual(2_000_000);
    expect(p50).toBeLessThan(2_000_000 * (1 + HISTOGRAM_RELATIVE_ERROR));
    const pg = parseWorkloadOutput(PGBENCH, 'pgbench -S', 5000);
    expect(pg.throughput).toBeCloseTo(8261.9, 1);
    expect(pg.meanNs).toBeCloseTo(484_000, 0);
  });

  it('says what it expected when the output is neither format', () => {
    expect(() => parseWorkloadOutput('Segmentation fault\n', 'x', 1)).toThrow(WorkloadError);
    expect(() => parseWorkloadOutput('', 'x', 1)).toThrow(/neither a pgbench summary nor one latency per line.*\(nothing\)/);
  });
});
