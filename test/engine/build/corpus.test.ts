// Every Dockerfile of the awesome-compose corpus parses and plans (for its default target and
// for each named stage). Any Dockerfile that legitimately cannot be built here is listed in
// EXCEPTIONS with the reason; there are none at this commit of the corpus.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseDockerfile } from '../../../src/engine/build/dockerfile/parse.js';
import { planBuild } from '../../../src/engine/build/plan/plan.js';
import { corpusPath } from '../../corpus.js';
import { describeNeeding } from '../../support/gates.js';

const root = corpusPath('awesome-compose');

/** Dockerfiles that must fail, with why (e.g. an ADD of a git URL: no network here). */
const EXCEPTIONS: Record<string, string> = {};

function dockerfiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...dockerfiles(full));
    else if (name === 'Dockerfile' || name.endsWith('.Dockerfile')) out.push(full);
  }
  return out;
}

describeNeeding(root !== undefined && existsSync(root), 'the reference corpus (../shared/corpus/awesome-compose)', 'awesome-compose Dockerfiles', () => {
  const files = dockerfiles(root!);
  const rel = (f: string): string => path.relative(root!, f);

  it('finds the 35 Dockerfiles of the corpus', () => {
    expect(files).toHaveLength(35);
  });

  it.each(files.map((f) => [rel(f), f] as const))('%s parses and plans', (name, file) => {
    const text = readFileSync(file, 'utf8');
    if (EXCEPTIONS[name]) {
      expect(() => planBuild(parseDockerfile(text, { file: name }))).toThrow();
      return;
    }
    const parsed = parseDockerfile(text, { file: name });
    const plan = planBuild(parsed);
    expect(plan.stages.length).toBeGreaterThan(0);
    expect(plan.stages.at(-1)?.index).toBe(plan.target.stage);
    for (const stage of parsed.stages.filter((s) => s.name)) {
      expect(planBuild(parsed, { target: stage.name }).target.label).toBe(stage.name);
    }
  });

  it('sees the features SOURCE.md counts: 28 with # syntax, 28 with heredocs, 10 with cache mounts', () => {
    const parsed = files.map((f) => parseDockerfile(readFileSync(f, 'utf8')));
    const all = (p: (typeof parsed)[number]) => p.stages.flatMap((s) => s.instructions);
    expect(parsed.filter((p) => p.syntax !== undefined)).toHaveLength(28);
    expect(parsed.filter((p) => all(p).some((i) => i.kind === 'RUN' && i.heredocs.length > 0))).toHaveLength(28);
    expect(parsed.filter((p) => all(p).some((i) => i.kind === 'RUN' && i.mounts.some((m) => m.mount.type === 'cache')))).toHaveLength(10);
  });
});
