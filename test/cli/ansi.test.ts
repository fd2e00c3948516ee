// `--ansi never|always|auto` (and COMPOSE_ANSI) is checked for every command, and `never` means no
// escape sequence anywhere: `--ansi never` still redrew TTY progress with cursor codes. Runs `up`
// and `logs` in-process against the fake engine API as if on a terminal, and looks for ESC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputStyle } from '../../src/cli/output-style.js';
import { startFakeEngine, type FakeEngine } from '../engine/api/api-harness.js';
import { runCli } from './run-cli.js';

const ESC = '\x1b[';
let engine: FakeEngine;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  engine = await startFakeEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'berth-ansi-'));
  writeFileSync(path.join(dir, 'compose.yaml'), 'name: ansi\nservices:\n  web:\n    image: busybox\n    command: ["echo", "hello"]\n');
  env = { DOCKER_HOST: `unix://${engine.socketPath}` };
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('outputStyle', () => {
  const style = (ansi: string | undefined, isTTY: boolean, extra: Record<string, string> = {}, progress?: string) =>
    outputStyle(ansi === undefined ? {} : { ansi }, { env: extra, isTTY }, progress);

  it('never: no colour, no redraw, plain progress, on a terminal too', () => {
    expect(style('never', true)).toEqual({ ansi: 'never', colour: false, redraw: false, progress: 'plain' });
  });
  it('always: colour and redraws off a terminal too', () => {
    expect(style('always', false)).toEqual({ ansi: 'always', colour: true, redraw: true, progress: 'tty' });
  });
  it('auto: whatever the terminal allows; NO_COLOR keeps redraws but drops colour', () => {
    expect(style(undefined, true)).toEqual({ ansi: 'auto', colour: true, redraw: true, progress: 'tty' });
    expect(style(undefined, false)).toEqual({ ansi: 'auto', colour: false, redraw: false, progress: 'plain' });
    expect(style(undefined, true, { NO_COLOR: '1' })).toMatchObject({ colour: false, redraw: true });
  });
  it('COMPOSE_ANSI and COMPOSE_PROGRESS stand in for the flags; the flags win', () => {
    expect(style(undefined, true, { COMPOSE_ANSI: 'never' })).toMatchObject({ ansi: 'never', progress: 'plain' });
    expect(style('always', false, { COMPOSE_ANSI: 'never' })).toMatchObject({ ansi: 'always' });
    expect(style(undefined, true, { COMPOSE_PROGRESS: 'json' })).toMatchObject({ progress: 'json' });
    expect(style(undefined, true, { COMPOSE_PROGRESS: 'json' }, 'quiet')).toMatchObject({ progress: 'quiet' });
  });
  it('refuses other values, and tty progress without ANSI', () => {
    expect(() => style('sometimes', true)).toThrow('--ansi sometimes: expected never, always or auto');
    expect(() => style(undefined, true, { COMPOSE_ANSI: 'yes' })).toThrow('COMPOSE_ANSI yes: expected never, always or auto');
    expect(() => style(undefined, true, { COMPOSE_PROGRESS: 'fancy' })).toThrow('COMPOSE_PROGRESS fancy: expected auto, tty, plain, json or quiet');
    expect(() => style('never', true, {}, 'tty')).toThrow(/--progress tty: cannot redraw progress with ANSI output disabled/);
  });
});

describe('berth --ansi', () => {
  it('a bad value is a usage error for every command, config included', async () => {
    for (const args of [['--ansi', 'bogus', 'config'], ['--ansi', 'bogus', 'ps'], ['config', '--ansi', 'bogus'], ['--ansi', 'bogus', 'version']]) {
      expect(await runCli(args, { cwd: dir, env }), args.join(' ')).toEqual({ code: 2, stdout: '', stderr: '--ansi bogus: expected never, always or auto\n' });
    }
    expect(await runCli(['config', '-q'], { cwd: dir, env: { ...env, COMPOSE_ANSI: 'bogus' } })).toMatchObject({ code: 2, stderr: 'COMPOSE_ANSI bogus: expected never, always or auto\n' });
  });

  it('never: up and logs on a terminal write no escape sequence', async () => {
    const up = await runCli(['--ansi', 'never', 'up', '-d'], { cwd: dir, env, isTTY: true });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('Container ansi-web-1  Started');
    expect(up.stderr).not.toContain(ESC);
    const logs = await runCli(['--ansi', 'never', 'logs'], { cwd: dir, env, isTTY: true });
    expect(logs.stdout).toContain('hello');
    expect(logs.stdout).not.toContain(ESC);
    const viaEnv = await runCli(['up', '-d', '--force-recreate'], { cwd: dir, env: { ...env, COMPOSE_ANSI: 'never' }, isTTY: true });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stderr).not.toContain(ESC);
  });

  it('auto on a terminal redraws and colours; always does so off a terminal too', async () => {
    const auto = await runCli(['up', '-d', '--force-recreate'], { cwd: dir, env, isTTY: true });
    expect(auto.stderr).toMatch(/\x1b\[\d+A/);
    const always = await runCli(['--ansi', 'always', 'up', '-d', '--force-recreate'], { cwd: dir, env });
    expect(always.stderr).toMatch(/\x1b\[\d+A/);
    expect((await runCli(['--ansi', 'always', 'logs'], { cwd: dir, env })).stdout).toContain(ESC);
    expect((await runCli(['logs'], { cwd: dir, env })).stdout).not.toContain(ESC);
  });
});
