// Compose CLI parity, in-process against the engine API over the fake backend: cp both ways (with
// docker's path rules, -L, `-` as a tar stream), attach (input, detach keys, the container's exit
// code), stats (--no-stream, json, a live table until Ctrl-C), version --format, ps --no-trunc /
// --orphans, and the COMPOSE_ENV_FILES / COMPOSE_IGNORE_ORPHANS variables.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTarToArray } from '../../src/lib/tar.js';
import { startFakeEngine, type FakeEngine } from '../engine/api/api-harness.js';
import type { FakeArchiveFs } from '../support/fake-archive-fs.js';
import { runCli, type RunCliOptions } from './run-cli.js';

let engine: FakeEngine;
let dir: string;
let host: string;
let fs: FakeArchiveFs;

const STACK = [
  'name: par',
  'services:',
  '  web:',
  '    image: busybox',
  '    command: ["sleep"]',
  '  talk:',
  '    image: busybox',
  '    command: ["sh", "-c", "echo ready; cat; exit 3"]',
  '    stdin_open: true',
  '  long:',
  '    image: busybox',
  '    command: ["sleep", "a", "rather", "long", "command", "line"]',
  '    profiles: [long]',
  '',
].join('\n');

const berth = (args: string[], o: Partial<RunCliOptions> = {}) => runCli(args, { cwd: dir, ...o, env: { DOCKER_HOST: `unix://${engine.socketPath}`, ...o.env } });

beforeAll(async () => {
  engine = await startFakeEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'berth-parity-'));
  host = path.join(dir, 'host');
  mkdirSync(host);
  writeFileSync(path.join(dir, 'compose.yaml'), STACK);
  const up = await berth(['up', '-d', 'web']);
  expect(up.code, up.stderr).toBe(0);
  fs = engine.fake.filesystemFor('par-web-1', {
    '/etc/hostname': 'web\n',
    '/app/a.txt': 'A',
    '/app/sub/b.txt': 'B',
    '/app/link': { link: '/app/a.txt' },
    '/data/': null,
  });
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cp out of a service', () => {
  it('a file to a new path, into a directory, over a file', async () => {
    expect(await berth(['cp', 'web:/etc/hostname', path.join(host, 'h1')])).toMatchObject({ code: 0, stderr: `Successfully copied 4B to ${path.join(host, 'h1')}\n` });
    expect(readFileSync(path.join(host, 'h1'), 'utf8')).toBe('web\n');
    expect((await berth(['cp', 'web:/etc/hostname', host])).code).toBe(0);
    expect(readFileSync(path.join(host, 'hostname'), 'utf8')).toBe('web\n');
    expect((await berth(['cp', 'web:/app/a.txt', path.join(host, 'h1')])).code).toBe(0);
    expect(readFileSync(path.join(host, 'h1'), 'utf8')).toBe('A');
  });

  it('a directory as a new path, into a directory, and its contents with /.', async () => {
    expect((await berth(['cp', 'web:/app', path.join(host, 'copy')])).code).toBe(0);
    expect(readFileSync(path.join(host, 'copy', 'sub', 'b.txt'), 'utf8')).toBe('B');
    expect(readlinkSync(path.join(host, 'copy', 'link'))).toBe('/app/a.txt');
    mkdirSync(path.join(host, 'into'));
    expect((await berth(['cp', 'web:/app', path.join(host, 'into')])).code).toBe(0);
    expect(existsSync(path.join(host, 'into', 'app', 'a.txt'))).toBe(true);
    mkdirSync(path.join(host, 'flat'));
    expect((await berth(['cp', 'web:/app/.', path.join(host, 'flat')])).code).toBe(0);
    expect(readFileSync(path.join(host, 'flat', 'a.txt'), 'utf8')).toBe('A');
  });

  it('-L follows a symlink given as the source; without it the link itself is copied', async () => {
    expect((await berth(['cp', 'web:/app/link', path.join(host, 'nolink')])).code).toBe(0);
    expect(lstatSync(path.join(host, 'nolink')).isSymbolicLink()).toBe(true);
    expect((await berth(['cp', '-L', 'web:/app/link', path.join(host, 'followed')])).code).toBe(0);
    expect(readFileSync(path.join(host, 'followed'), 'utf8')).toBe('A');
  });

  it('- writes the tar stream itself', async () => {
    const r = await berth(['cp', 'web:/app/sub', '-']);
    expect(r.code, r.stderr).toBe(0);
    const entries = await readTarToArray([r.stdoutBytes ?? Buffer.alloc(0)]);
    expect(entries.map((e) => [e.header.path, e.data.toString()])).toEqual([['sub/', ''], ['sub/b.txt', 'B']]);
  });

  it('refuses what docker refuses, in one line', async () => {
    expect(await berth(['cp', 'web:/nope', host])).toMatchObject({ code: 1, stderr: 'par-web-1:/nope: no such file or directory\n' });
    expect(await berth(['cp', 'web:/app', path.join(host, 'h1')])).toMatchObject({ code: 1, stderr: `cannot copy a directory (par-web-1:/app) onto a file: ${path.join(host, 'h1')}\n` });
    expect(await berth(['cp', 'web:/a', 'talk:/b'])).toMatchObject({ code: 2, stderr: 'cp: copying between services is not supported; copy through the host\n' });
    expect(await berth(['cp', './x', './y'])).toMatchObject({ code: 2, stderr: 'cp: one of the paths must be SERVICE:PATH\n' });
    expect(await berth(['cp', '--index', '2', 'web:/etc/hostname', host])).toMatchObject({ code: 1, stderr: 'service "web" has no container number 2\n' });
  });
});

describe('cp into a service', () => {
  it('a file into a directory, to a new name, and a directory with its owners kept by -a', async () => {
    writeFileSync(path.join(host, 'new.txt'), 'NEW');
    expect(await berth(['cp', path.join(host, 'new.txt'), 'web:/data'])).toMatchObject({ code: 0, stderr: 'Successfully copied 3B to par-web-1:/data\n' });
    expect(fs.text('/data/new.txt')).toBe('NEW');
    expect((await berth(['cp', path.join(host, 'new.txt'), 'web:/data/renamed.txt'])).code).toBe(0);
    expect(fs.text('/data/renamed.txt')).toBe('NEW');
    mkdirSync(path.join(host, 'tree', 'deep'), { recursive: true });
    writeFileSync(path.join(host, 'tree', 'deep', 'x'), 'X');
    symlinkSync('deep/x', path.join(host, 'tree', 'lx'));
    expect((await berth(['cp', '-a', path.join(host, 'tree'), 'web:/data'])).code).toBe(0);
    expect(fs.text('/data/tree/deep/x')).toBe('X');
    expect(fs.nodes.get('/data/tree/lx')).toMatchObject({ type: 'symlink', linkpath: 'deep/x' });
    expect(fs.nodes.get('/data/tree/deep/x')?.uid).toBe(process.getuid?.() ?? 0);
    expect((await berth(['cp', `${path.join(host, 'tree')}/.`, 'web:/data'])).code).toBe(0);
    expect(fs.text('/data/deep/x')).toBe('X');
  });

  it('refuses a missing source and a directory onto a file', async () => {
    expect(await berth(['cp', path.join(host, 'missing'), 'web:/data'])).toMatchObject({ code: 1, stderr: `${path.join(host, 'missing')}: no such file or directory\n` });
    expect(await berth(['cp', path.join(host, 'tree'), 'web:/etc/hostname'])).toMatchObject({ code: 1, stderr: `cannot copy a directory (${path.join(host, 'tree')}) onto a file: par-web-1:/etc/hostname\n` });
  });
});

describe('attach', () => {
  it('feeds stdin, relays output, and exits with the container\'s code', async () => {
    expect((await berth(['up', '-d', 'talk'])).code).toBe(0);
    const r = await berth(['attach', 'talk'], { stdin: 'hello\n' });
    expect(r).toMatchObject({ code: 3, stdout: 'hello\n' });
  });

  it('the detach keys leave the container running, exit 0', async () => {
    expect((await berth(['up', '-d', '--force-recreate', 'talk'])).code).toBe(0);
    const r = await berth(['attach', '--detach-keys', 'ctrl-x,q', 'talk'], { stdin: 'one\x18q' });
    // What was typed before the keys reaches the container; its echo may come after the detach.
    // (That the container's stdin stays open is test/compose/attach.test.ts's: this fake engine
    // ends it with the connection, where Docker and berth's engine keep it.)
    expect(r).toMatchObject({ code: 0, stderr: '\ndetached from par-talk-1; it keeps running\n' });
  });

  it('refuses bad detach keys and a stopped container', async () => {
    expect(await berth(['attach', '--detach-keys', 'ctrl-1', 'talk'])).toMatchObject({ code: 2, stderr: '--detach-keys ctrl-1: unknown key ctrl-1\n' });
    expect((await berth(['stop', 'talk'])).code).toBe(0);
    expect(await berth(['attach', 'talk'])).toMatchObject({ code: 1, stderr: 'cannot attach to par-talk-1: it is not running (start it with `berth start talk`)\n' });
  });
});

describe('stats', () => {
  it('--no-stream --format json: one object per running container, docker\'s keys', async () => {
    const r = await berth(['stats', '--no-stream', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.map((x) => x.Name)).toEqual(['par-web-1']);
    expect(Object.keys(rows[0])).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    expect(rows[0].ID).toHaveLength(12);
    expect(rows[0].PIDs).toMatch(/^[12]$/);
  });

  it('--all includes stopped containers; --no-trunc the whole id', async () => {
    const r = await berth(['stats', '--no-stream', '--all', '--no-trunc']);
    expect(r.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(r.stdout).toMatch(/\n[0-9a-f]{64}\s+par-talk-1\s+0\.00%/);
  });

  it('live: redrawn in place until Ctrl-C with ANSI output, a new table each refresh without', async () => {
    const live = await berth(['--ansi', 'always', 'stats'], { interruptAfterMs: 2500 });
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/\x1b\[\d+A/);
    const plain = await berth(['stats'], { interruptAfterMs: 2500 });
    expect(plain.stdout).not.toContain('\x1b[');
    expect(plain.stdout.split('CONTAINER ID').length - 1).toBeGreaterThanOrEqual(2);
  });
});

describe('version, ps and the COMPOSE_ variables', () => {
  it('version --format json|pretty, --short', async () => {
    expect((await berth(['version', '--format', 'json'])).stdout).toBe('{"version":"0.1.0"}\n');
    expect((await berth(['version'])).stdout).toBe('berth version 0.1.0\n');
    expect((await berth(['version', '--short'])).stdout).toBe('0.1.0\n');
    expect(await berth(['version', '--format', 'yaml'])).toMatchObject({ code: 2, stderr: '--format yaml: expected pretty or json\n' });
  });

  it('ps --no-trunc shows the whole command', async () => {
    expect((await berth(['--profile', 'long', 'up', '-d', 'long'])).code).toBe(0);
    // The fake engine runs only a bare `sleep`: this one exits at once, hence -a.
    const cut = await berth(['--profile', 'long', 'ps', '-a', 'long']);
    expect(cut.stdout).toContain('"sleep a rather long…"');
    expect((await berth(['--profile', 'long', 'ps', '-a', '--no-trunc', 'long'])).stdout).toContain('"sleep a rather long command line"');
  });

  it('ps --orphans=false leaves out services no longer in the files; COMPOSE_IGNORE_ORPHANS quiets up', async () => {
    // Without the `long` profile, its container is an orphan.
    expect((await berth(['ps', '-a', '--services'])).stdout).toContain('long');
    expect((await berth(['ps', '-a', '--services', '--orphans=false'])).stdout).not.toContain('long');
    expect((await berth(['ps', '-a', '--services', '--orphans', 'false'])).stdout).not.toContain('long');
    expect(await berth(['ps', '--orphans=maybe'])).toMatchObject({ code: 2, stderr: '--orphans=maybe: expected true or false\n' });
    expect((await berth(['up', '-d', 'web'])).stderr).toContain('Found orphan containers');
    expect((await berth(['up', '-d', 'web'], { env: { COMPOSE_IGNORE_ORPHANS: 'true' } })).stderr).not.toContain('orphan');
  });

  it('COMPOSE_ENV_FILES stands in for --env-file, later files winning', async () => {
    writeFileSync(path.join(dir, 'one.env'), 'TAG=one\nOTHER=x\n');
    writeFileSync(path.join(dir, 'two.env'), 'TAG=two\n');
    writeFileSync(path.join(dir, 'env.yaml'), 'services:\n  a:\n    image: "busybox:${TAG}-${OTHER}"\n');
    const r = await berth(['-f', 'env.yaml', 'config', '--images'], { env: { COMPOSE_ENV_FILES: 'one.env,two.env' } });
    expect(r).toMatchObject({ code: 0, stdout: 'busybox:two-x\n' });
  });
});
