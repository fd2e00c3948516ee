// The shared reference corpus lives beside the repository (../shared/corpus). It is read
// only from tests and never copied into the project; a clone without it skips those tests
// with a visible notice instead of failing — except in CI, where the gate fails the run
// (test/support/gates.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { file, requirePrereq } from './support/gates.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const candidate = process.env.BERTH_CORPUS ?? path.resolve(repoRoot, '../shared/corpus');

/** Absolute path of the corpus, or undefined (after printing why) when it is absent. */
export const corpusDir: string | undefined = existsSync(candidate) ? candidate : undefined;

let gateChecked = false;
/**
 * A path inside the corpus, or undefined when the corpus is absent. The first call of a test
 * file goes through the gate (a notice locally, a failing test in CI), so call it while tests are
 * collected, as every corpus test does to decide whether to skip.
 */
export function corpusPath(...parts: string[]): string | undefined {
  if (!gateChecked) {
    gateChecked = true;
    requirePrereq('tests on the reference corpus', file(`the reference corpus at ${candidate}`, corpusDir !== undefined, 'lay shared/corpus beside the repository, or set BERTH_CORPUS'));
  }
  if (!corpusDir) return undefined;
  return path.join(corpusDir, ...parts);
}

interface SnippetIndexEntry {
  file: string;
  parses: boolean;
  topLevelComposeDocument: boolean;
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFilesUnder(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

/**
 * Every compose document of the corpus, absolute paths in a fixed order: all YAML files of
 * awesome-compose/ and compose-e2e/, and the spec snippets that parse and are whole
 * compose files (per spec-snippets/index.json). Empty when the corpus is absent.
 */
export function corpusComposeFiles(): string[] {
  if (!corpusDir) return [];
  const base = corpusDir;
  const files = ['awesome-compose', 'compose-e2e'].flatMap((d) => yamlFilesUnder(path.join(base, d)));
  const snippets = path.join(base, 'compose-spec', 'spec-snippets');
  const index = JSON.parse(readFileSync(path.join(snippets, 'index.json'), 'utf8')) as SnippetIndexEntry[];
  files.push(...index.filter((s) => s.parses && s.topLevelComposeDocument).map((s) => path.join(snippets, s.file)));
  return files;
}

/**
 * A describe block that needs the corpus. vitest runs the body of a skipped block to collect
 * its tests, so a body that reads corpus files must not run at all when the corpus is absent.
 */
export function describeCorpus(available: unknown, name: string, body: () => void): void {
  corpusPath();
  if (available) describe(name, body);
  else describe.skip(name, () => it('needs the reference corpus (../shared/corpus)', () => {}));
}
