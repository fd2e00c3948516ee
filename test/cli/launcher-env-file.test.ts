// `berth --env-file FILE …` through a real process. Node 20 reads `--env-file` anywhere on its
// command line up to a `--`, the script's own arguments included, before any JavaScript runs: a
// missing file ended in "node: missing.env: not found" (exit 9) and an existing file's
// NODE_OPTIONS were applied to berth. bin/berth.js's shebang (`node --`) stops that; these runs
// go through the shebang (as `berth` on PATH does) and through `node -- bin/berth.js`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../corpus.js';

const launcher = path.join(repoRoot, 'bin', 'berth.js');
const built = existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'));
if (!built) console.warn('SKIP launcher --env-file tests: dist/ is not built (run `npm ci` or `npm run build`)');
const dir = mkdtempSync(path.join(tmpdir(), 'berth-env-file-'));
const env = { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}` };

function run(argv: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!built)('berth --env-file, as a process', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  a:\n    image: "busybox:${TAG:-default}"\n');
  writeFileSync(path.join(dir, 'preload.cjs'), 'process.stderr.write("PRELOADED BY NODE\\n");\n');
  writeFileSync(path.join(dir, 'tag.env'), `TAG=from-env-file\nNODE_OPTIONS=--require ${path.join(dir, 'preload.cjs')}\n`);

  const ways: [string, (args: string[]) => string[]][] = [
    ['through the shebang', (args) => [launcher, ...args]],
    ['as node -- bin/berth.js', (args) => [process.execPath, '--', launcher, ...args]],
  ];

  it('has a shebang that ends node\'s options before the script', () => {
    expect(readFileSync(launcher, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env -S node --');
  });

  for (const [how, argv] of ways) {
    it(`reports a missing env file itself (${how})`, () => {
      for (const args of [['--env-file', 'missing.env', 'config'], ['--env-file=missing.env', 'config'], ['config', '--env-file', 'missing.env']]) {
        const r = run(argv(args));
        expect(r.err, args.join(' ')).toBe(`${path.join(dir, 'missing.env')}: --env-file missing.env: no such file (check the path, relative to the working directory)\n`);
        expect(r.code).toBe(1);
      }
    });

    it(`reads an existing env file for interpolation, and node applies none of it (${how})`, () => {
      const r = run(argv(['--env-file', 'tag.env', 'config', '--images']));
      expect(r).toEqual({ code: 0, out: 'busybox:from-env-file\n', err: '' });
    });
  }
});
