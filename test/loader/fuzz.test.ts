// The loader against bad input: a seeded few hundred of bench/fuzz.mjs's cases (mutations of the
// corpus's compose files and of generated stacks: flipped bytes, lost and doubled lines, broken
// indentation, deep nesting, huge scalars, stray unicode, alias bombs, interpolation junk). Each
// must load, or fail with a typed error that says where (or a usage error naming its variable);
// never anything else. The time and heap guards catch hangs and blow-ups, not slowness (the bench
// measures that).
import { describe, expect, it } from 'vitest';
import { ComposeError, ComposeErrors, UsageError } from '../../src/errors.js';
import { loadProject } from '../../src/loader/loader.js';
import { corpusSeeds, fuzzCases, judge, MUTATORS } from '../../bench/lib/fuzz-cases.mjs';
import { corpusDir } from '../corpus.js';

const SEED = 19;
const CASES = 300;
const seeds = corpusSeeds(corpusDir);

describe('loader fuzz (seeded)', () => {
  it(`${CASES} cases: a project or a located, typed error, each within bounds`, () => {
    const tally = { ok: 0, located: 0, usage: 0, crash: 0 };
    const crashes: string[] = [];
    const used = new Set<string>();
    for (const c of fuzzCases({ seed: SEED, count: CASES, seeds })) {
      c.mutations.forEach((m) => used.add(m));
      const heapBefore = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      let error: unknown;
      try {
        loadProject({ files: ['-'], workingDir: '/nonexistent/fuzz', environment: c.environment, readStdin: () => c.text });
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - t0;
      const verdict = judge(error, { ComposeError, ComposeErrors, UsageError });
      tally[verdict.kind]++;
      if (verdict.kind === 'crash') crashes.push(`#${c.id} (${c.mutations.join('+')} on ${c.base}): ${verdict.message}`);
      // Guards against a hang or an expansion bomb, far above what any case takes.
      expect(ms, `#${c.id} (${c.mutations.join('+')} on ${c.base})`).toBeLessThan(20_000);
      expect(process.memoryUsage().heapUsed - heapBefore, `#${c.id} heap`).toBeLessThan(512 * 2 ** 20);
    }
    expect(crashes).toEqual([]);
    expect(tally.ok + tally.located + tally.usage).toBe(CASES);
    // The seed reaches every kind of mutation, and both outcomes.
    expect([...used].sort()).toEqual(Object.keys(MUTATORS).sort());
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.located).toBeGreaterThan(CASES / 2);
  }, 120_000);
});
