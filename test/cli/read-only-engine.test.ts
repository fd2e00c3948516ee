// Read-only commands never start the built-in engine: `berth ps` (logs, ls, images, top…) started a
// root daemon that kept running afterwards. Run as processes through bin/berth.js, with the
// engine's state and runtime directories in a temp dir where no engine runs: afterwards nothing
// was made there (no socket, no pid file, not even the directory). And every flag is checked
// before an engine is chosen: `up --pull sometimes` is a usage error, with no engine touched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinUnavailableReason } from '../../src/client/select.js';
import { repoRoot } from '../corpus.js';
import { runCli } from './run-cli.js';

const built = existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'));
const cannot = builtinUnavailableReason();
if (!built) console.warn('SKIP read-only engine tests: dist/ is not built (run `npm ci` or `npm run build`)');
if (cannot) console.warn(`SKIP read-only engine tests: the built-in engine cannot run here (${cannot}), so none would be started anyway`);

const dir = mkdtempSync(path.join(tmpdir(), 'berth-readonly-'));
const root = path.join(dir, 'state');
const runRoot = path.join(dir, 'run');
const socket = path.join(runRoot, 'engine.sock');
writeFileSync(path.join(dir, 'compose.yaml'), 'name: ro\nservices:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_ROOT: root, BERTH_RUN_ROOT: runRoot };

function berth(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--', path.join(repoRoot, 'bin', 'berth.js'), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function nothingStarted(): void {
  expect(existsSync(path.join(root, 'engine.pid')), 'pid file').toBe(false);
  expect(existsSync(socket), 'socket').toBe(false);
  expect(existsSync(runRoot), 'runtime directory').toBe(false);
}

describe.skipIf(!built || cannot !== undefined)('read-only commands and a built-in engine that is not running', () => {
  afterAll(() => {
    // Were a daemon started after all, it must not outlive the test.
    try {
      const pid = Number(readFileSync(path.join(root, 'engine.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    } catch {
      /* none: as it should be */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('ps, logs, ls, images and top show nothing and say why', () => {
    for (const args of [['ps'], ['ps', '-a', '--format', 'json'], ['logs'], ['ls'], ['images'], ['top']]) {
      const r = berth(args);
      expect(r.err, args.join(' ')).toBe(`the built-in engine at ${socket} is not running: nothing to show\n`);
      expect(r.code, args.join(' ')).toBe(0);
      nothingStarted();
    }
    expect(berth(['ps']).out).toBe('NAME   IMAGE   COMMAND   SERVICE   CREATED   STATUS   GROUP   MODE   PORTS\n');
  });

  it('events, port and wait need a running engine: one line, exit 1', () => {
    for (const args of [['events'], ['port', 'web', '80'], ['wait', 'web']]) {
      const r = berth(args);
      expect(r, args.join(' ')).toEqual({ code: 1, out: '', err: `the built-in engine at ${socket} is not running (start it with \`berth engine start\`, or \`berth up\`)\n` });
      nothingStarted();
    }
  });

  it('config and graph need no engine at all', () => {
    expect(berth(['config', '--services'])).toEqual({ code: 0, out: 'web\n', err: '' });
    expect(berth(['graph']).code).toBe(0);
    nothingStarted();
  });

  it('a bad flag of a command that would start the engine is a usage error, and starts nothing', () => {
    const cases: [string[], RegExp][] = [
      [['up', '--pull', 'sometimes'], /^--pull sometimes: one of always, missing, never, build\n$/],
      [['up', '-d', '--progress', 'fancy'], /^--progress fancy: expected auto, tty, plain, json or quiet\n$/],
      [['--ansi', 'sometimes', 'up', '-d'], /^--ansi sometimes: expected never, always or auto\n$/],
      [['down', '--rmi', 'some'], /^--rmi some: one of all, local\n$/],
      [['run', '--publish', 'x:y', 'web'], /^-p x:y: the container port must be a number\n$/],
      [['stop', '-t', 'soon'], /^-t soon: not a whole number\n$/],
      [['create', '--scale', 'web'], /^scale: "web" is not SERVICE=REPLICAS\n$/],
    ];
    for (const [args, message] of cases) {
      const r = berth(args);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBe(2);
      nothingStarted();
    }
  });
});

describe('flags are checked before the compose files are read', () => {
  it('up --pull sometimes in a directory without compose files is still the usage error', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'berth-noflags-'));
    try {
      const r = await runCli(['up', '--pull', 'sometimes'], { cwd: empty, env: { DOCKER_HOST: 'unix:///dev/null/none.sock' } });
      expect(r).toEqual({ code: 2, stdout: '', stderr: '--pull sometimes: one of always, missing, never, build\n' });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
