// The plan against a real context: the digests a step's key takes from the context, all
// missing sources reported at their instructions, and the corpus directories (read in place)
// keeping their Dockerfile and .dockerignore whatever the rules say.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkContextSources, stepContextDigests } from '../../../src/engine/build/context/plan-inputs.js';
import { walkContext } from '../../../src/engine/build/context/walk.js';
import { parseDockerfile } from '../../../src/engine/build/dockerfile/parse.js';
import { planBuild } from '../../../src/engine/build/plan/plan.js';
import { corpusPath } from '../../corpus.js';
import { describeNeeding } from '../../support/gates.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-plan-ctx-'));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const DOCKERFILE = 'FROM alpine AS deps\nFROM alpine\nWORKDIR /app\nCOPY go.mod go.sum ./\nCOPY --from=deps /x /x\nRUN --mount=target=/src,source=src make\nCOPY --exclude=*_test.go src/ ./src/\n';

describe('plan and context together', () => {
  it('gives each step the context digests its key needs, and only those change when a file does', async () => {
    const dir = tree({ Dockerfile: DOCKERFILE, 'go.mod': 'module x\n', 'go.sum': '', 'src/main.go': 'package main\n', 'src/main_test.go': 'package main\n' });
    const plan = planBuild(parseDockerfile(DOCKERFILE));
    const steps = plan.stages.at(-1)!.steps;
    const before = await walkContext(dir, { dockerfile: 'Dockerfile' });
    expect(checkContextSources(plan, before)).toEqual([]);
    const digests = steps.map((s) => stepContextDigests(s, before));
    expect(digests.map((d) => d.map((x) => (x === undefined ? '-' : 'ctx')))).toEqual([[], [], ['ctx', 'ctx'], ['-'], ['ctx'], ['ctx']]);

    // A test file is excluded from the last COPY but seen by the bind mount of the whole src/.
    writeFileSync(path.join(dir, 'src/main_test.go'), 'package main // changed\n');
    const after = await walkContext(dir, { dockerfile: 'Dockerfile' });
    const changed = steps.map((s, i) => JSON.stringify(stepContextDigests(s, after)) !== JSON.stringify(digests[i]));
    expect(changed).toEqual([false, false, false, false, true, false]);
  });

  it('reports every missing context source at once, at its instruction', async () => {
    const dir = tree({ '.dockerignore': 'secrets\n', 'secrets/key': 'k' });
    const plan = planBuild(parseDockerfile('FROM alpine\nCOPY app.py /app/\nCOPY secrets/key /k\nRUN --mount=source=vendor,target=/v true\n'));
    const index = await walkContext(dir);
    expect(checkContextSources(plan, index).map((e) => `${e.where} ${e.detail}`)).toEqual([
      '2:1 COPY source "app.py" not found in the build context',
      '3:1 COPY source "secrets/key" is excluded by .dockerignore (line 1: secrets)',
      '4:1 RUN --mount source "vendor" not found in the build context',
    ]);
  });
});

const corpus = corpusPath('awesome-compose');

describeNeeding(corpus !== undefined && existsSync(corpus), 'the reference corpus (../shared/corpus/awesome-compose)', 'corpus contexts read in place', () => {
  const withIgnore = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      if (!statSync(full).isDirectory()) return [];
      return [...(existsSync(path.join(full, '.dockerignore')) && existsSync(path.join(full, 'Dockerfile')) ? [full] : []), ...withIgnore(full)];
    });

  it('keeps the Dockerfile and .dockerignore of every sample that has one (7), even when listed', async () => {
    const dirs = withIgnore(corpus!);
    expect(dirs).toHaveLength(7);
    for (const dir of dirs) {
      const index = await walkContext(dir, { dockerfile: 'Dockerfile' });
      expect([...index.entries.keys()], dir).toEqual(expect.arrayContaining(['Dockerfile', '.dockerignore']));
      expect(index.ignore.rules.patterns.length, dir).toBeGreaterThan(0);
    }
    const reactNginx = await walkContext(path.join(corpus!, 'react-nginx'), { dockerfile: 'Dockerfile' });
    expect(reactNginx.ignore.rules.patterns.map((p) => p.pattern)).toContain('.dockerignore');
    expect(reactNginx.entries.has('.dockerignore')).toBe(true);
  });
});
