// Every error of the CLI process goes through the one exit policy (src/cli/main.ts exitCodeFor):
// an internal error is `internal error: …` plus one line of advice, exit 3; BERTH_DEBUG=1 adds the
// trace, which names src/ files (the bundle carries a source map). Errors nobody caught — thrown
// from a timer, a rejection nobody awaited — take the same way, instead of Node's printer, which
// quoted the source line: the whole minified bundle. Each case runs bin/berth.js itself, in a
// driver that breaks something first (stdout that throws, a stray throw or rejection).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../corpus.js';

const launcher = path.join(repoRoot, 'bin', 'berth.js');
const bundled = existsSync(path.join(repoRoot, 'dist', 'cli', 'berth.cjs'));
if (!bundled) console.warn('SKIP exit-policy tests: the CLI bundle is not built (run `npm ci` or `npm run build`)');
const dir = mkdtempSync(path.join(tmpdir(), 'berth-exit-'));
writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
const ADVICE = '(a bug in berth: BERTH_DEBUG=1 prints where it happened)';

/** Runs bin/berth.js with these arguments after `prelude` (JavaScript) has run in the same process. */
function drive(args: string[], prelude: string, env: Record<string, string> = {}): { code: number | null; err: string } {
  const driver = `process.argv = [process.execPath, ${JSON.stringify(launcher)}, ...${JSON.stringify(args)}];\n${prelude}\nawait import(${JSON.stringify(launcher)});\n`;
  const file = path.join(dir, `driver-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, driver);
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { code: r.status, err: r.stderr };
}

const BREAK_STDOUT = "process.stdout.write = () => { throw new TypeError('injected'); };";

describe.skipIf(!bundled)('the exit policy, in the bundled CLI', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an internal error is two lines and exit 3', () => {
    expect(drive(['config'], BREAK_STDOUT)).toEqual({ code: 3, err: `internal error: injected\n${ADVICE}\n` });
  });

  it('with BERTH_DEBUG=1, the trace names the src/ files it went through', () => {
    const r = drive(['config'], BREAK_STDOUT, { BERTH_DEBUG: '1' });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^internal error: TypeError: injected\n/);
    expect(r.err).toContain(`${path.join(repoRoot, 'src', 'cli', 'commands', 'config.ts')}:`);
    expect(r.err).toContain(`${path.join(repoRoot, 'src', 'cli', 'main.ts')}:`);
    expect(r.err).not.toContain('berth.cjs');
    for (const line of r.err.split('\n')) expect(line.length).toBeLessThan(300);
  });

  /** Once the command writes its output (it runs then), `stray` is scheduled on a timer. */
  const whileRunning = (stray: string): string =>
    `const write = process.stdout.write.bind(process.stdout);\nprocess.stdout.write = (...a) => { setTimeout(() => { ${stray} }, 0); return write(...a); };`;

  it('an exception thrown where nothing catches it goes through the policy', () => {
    expect(drive(['config', '--services'], whileRunning("throw new RangeError('stray throw');"))).toEqual({ code: 3, err: `internal error: stray throw\n${ADVICE}\n` });
  });

  it('so does a rejection nobody handles', () => {
    expect(drive(['config', '--services'], whileRunning("Promise.reject(new Error('stray rejection'));"))).toEqual({ code: 3, err: `internal error: stray rejection\n${ADVICE}\n` });
  });

  it('a typed error stays one line with its own exit code', () => {
    expect(drive(['-f', 'missing.yaml', 'config'], '')).toEqual({ code: 1, err: `${dir}/missing.yaml: -f missing.yaml: no such file (check the path, relative to the working directory)\n` });
  });
});
