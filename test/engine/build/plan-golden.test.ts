// Golden plan texts of multi-stage Dockerfiles (test/fixtures/build/plans/<case>/): the stages
// a target needs, their levels, and one line per step with everything resolved. A case may
// give plan options in options.json; warnings follow the plan.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../../src/engine/build/dockerfile/parse.js';
import { planBuild, type PlanOptions } from '../../../src/engine/build/plan/plan.js';
import { formatPlan } from '../../../src/engine/build/plan/plan-text.js';
import { repoRoot } from '../../corpus.js';

const base = path.join(repoRoot, 'test/fixtures/build/plans');

describe('plan golden texts', () => {
  const cases = readdirSync(base).sort();
  it('has the cases', () => expect(cases.length).toBeGreaterThanOrEqual(5));
  it.each(cases)('%s', (name) => {
    const dir = path.join(base, name);
    const options: PlanOptions = existsSync(path.join(dir, 'options.json')) ? JSON.parse(readFileSync(path.join(dir, 'options.json'), 'utf8')) : {};
    const plan = planBuild(parseDockerfile(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')), options);
    const text = formatPlan(plan) + plan.warnings.map((w) => `warning: ${w.location?.line ?? '-'}: ${w.message}\n`).join('');
    expect(text).toBe(readFileSync(path.join(dir, 'plan.txt'), 'utf8'));
  });

  it('the default target prunes the test stage; --target test prunes the final one', () => {
    const text = readFileSync(path.join(base, 'parallel-stages/Dockerfile'), 'utf8');
    const all = planBuild(parseDockerfile(text));
    expect(all.stages.map((s) => s.label)).toEqual(['assets', 'deps', 'stage-3']);
    expect(all.levels).toEqual([[0, 1], [3]]);
    const test = planBuild(parseDockerfile(text), { target: 'test' });
    expect(test.stages.map((s) => s.label)).toEqual(['assets', 'deps', 'test']);
    expect(test.stages.find((s) => s.label === 'test')?.dependsOn).toEqual([0, 1]);
  });
});
