// The conformance suite's own machinery, without engines: what the normaliser keeps and what it
// hides, how a step's outcomes are compared, and how the allow-list is judged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareStep, judge, lineDiff, loadAllowList, type Allowed, type Difference } from './compare.js';
import { flattenJson, normalizeText } from './normalize.js';
import { SCRIPT, words, type Step } from './script.js';

const ctx = { paths: [['/tmp/bd-conf-x/work', '<work>'] as [string, string], ['/tmp/bd-conf-x', '<home>'] as [string, string]] };

describe('normalizeText', () => {
  it('hides ids, times, durations, sizes, the engines’ subnets, MACs and versions', () => {
    const id = 'a'.repeat(64);
    expect(normalizeText(`${id} sha256:${'b'.repeat(64)} ${id.slice(0, 12)}`, ctx)).toBe('<id> sha256:<id> <id12>');
    expect(normalizeText('2026-12-06T14:46:32.123456789Z 2026-12-06 14:46:32 +0000 UTC', ctx)).toBe('<time> <time>');
    expect(normalizeText('Up 3 seconds, Exited (0) Less than a second ago, About a minute ago', ctx)).toBe('Up <dur>, Exited (0) <dur> ago, <dur> ago');
    expect(normalizeText('1.2MB 512kB 0B', ctx)).toBe('<size> <size> 0B');
    expect(normalizeText('10.213.4.2/24 via 10.214.0.1; 10.1.2.3 stays', ctx)).toBe('10.N.N.2/24 via 10.N.N.1; 10.1.2.3 stays');
    expect(normalizeText('02:42:0a:d5:00:02 20.10.24+dfsg1 0.1.0', ctx)).toBe('<mac> <version> <version>');
  });

  it('keeps what a user reads: words, exit codes, small numbers, "A=1 B="', () => {
    expect(normalizeText('A=1 B= U=unset\nexit 3\n', ctx)).toBe('A=1 B= U=unset\nexit 3\n');
  });

  it('replaces the engine’s paths, longest first, and folds table padding', () => {
    expect(normalizeText('/tmp/bd-conf-x/work/data   /tmp/bd-conf-x/.docker  \n', ctx)).toBe('<work>/data  <home>/.docker\n');
  });

  it('drops the CLI’s own timing-dependent "context canceled" line after a failed start', () => {
    const err = 'docker: Error response from daemon: unable to find user nosuch.\ntime="2026-12-06T15:44:57Z" level=error msg="error waiting for container: context canceled"\n';
    expect(normalizeText(err, ctx)).toBe('docker: Error response from daemon: unable to find user nosuch.\n');
  });

  it('applies a step’s extra rules', () => {
    expect(normalizeText('b\na\n', ctx, ['sortLines'])).toBe('a\nb\n');
    expect(normalizeText('2026-01-01T00:00:00.123Z x', ctx, ['timePrecision'])).toBe('<time .3 digits> x');
    expect(normalizeText('root 4242 4240 0 14:59 ? 00:00:00 sh', ctx, ['pids'])).toBe('root <pid> <pid> 0 <clock> ? <clock> sh');
  });
});

describe('flattenJson', () => {
  it('tells null, [], {} and a missing key apart, and unwraps one-element inspect output', () => {
    const flat = flattenJson([{ A: null, B: [], C: {}, D: { E: ['x'] }, Created: 1733500000, Pid: 42 }], ctx);
    expect(Object.fromEntries(flat)).toEqual({ A: 'null', B: '[]', C: '{}', 'D.E[0]': '"x"', Created: '<time>', Pid: '<pid>' });
  });
});

describe('compareStep', () => {
  const step: Step = { id: 's', args: [] };
  const both = { builtin: ctx, dockerd: ctx };

  it('reports exit, stdout and stderr separately, after normalisation', () => {
    expect(compareStep(step, { code: 0, stdout: 'Up 1 second\n', stderr: '' }, { code: 0, stdout: 'Up 2 seconds\n', stderr: '' }, both)).toEqual([]);
    expect(compareStep(step, { code: 1, stdout: 'a\n', stderr: 'x' }, { code: 0, stdout: 'b\n', stderr: 'x' }, both).map((d) => d.part)).toEqual(['exit', 'stdout']);
  });

  it('compares inspect output key by key', () => {
    const a = JSON.stringify([{ HostConfig: { ShmSize: 0, IpcMode: '' }, Name: '/x' }]);
    const b = JSON.stringify([{ HostConfig: { ShmSize: 67108864, IpcMode: 'private' }, Name: '/x', Extra: true }]);
    const parts = compareStep({ ...step, json: true }, { code: 0, stdout: a, stderr: '' }, { code: 0, stdout: b, stderr: '' }, both).map((d) => d.part);
    expect(parts).toEqual(['inspect:HostConfig.ShmSize', 'inspect:HostConfig.IpcMode', 'inspect:Extra']);
  });

  it('shows a small line diff', () => {
    expect(lineDiff('a\nb\n', 'a\nc\n')).toBe('  builtin: b\n  dockerd: c');
  });
});

describe('judge', () => {
  const diff = (step: string, part: string): Difference => ({ step, part, builtin: '', dockerd: '' });
  const entry = (step: string, part: string, flaky = false): Allowed => ({ step, part, item: 'new', reason: 'r', ...(flaky ? { flaky } : {}) });

  it('fails on an unlisted difference and on an entry that no longer differs; a flaky entry may be idle', () => {
    const v = judge([diff('a', 'stdout'), diff('b', 'inspect:HostConfig.ShmSize')], [entry('b', 'inspect:HostConfig.*'), entry('c', 'exit'), entry('d', 'exit', true)], new Set(['a', 'b', 'c', 'd']));
    expect(v.unexpected.map((d) => d.step)).toEqual(['a']);
    expect(v.allowed.map((a) => a.entry.step)).toEqual(['b']);
    expect(v.stale.map((a) => a.step)).toEqual(['c']);
  });

  it('an entry naming a step the script does not have is stale', () => {
    expect(judge([], [entry('gone', 'exit')], new Set(['a'])).stale.map((a) => a.step)).toEqual(['gone']);
  });
});

describe('the script and the allow-list', () => {
  it('splits command lines like a shell', () => {
    expect(words(`run --entrypoint '' busybox sh -c 'echo "a b"; exit 3'`)).toEqual(['run', '--entrypoint', '', 'busybox', 'sh', '-c', 'echo "a b"; exit 3']);
  });

  it('has unique step ids', () => {
    const ids = SCRIPT.map((s) => s.id);
    expect(ids.length).toBeGreaterThan(150);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('loads the allow-list, expanding lists of steps and parts, and refuses an entry without a reason or a known item', () => {
    const list = loadAllowList(path.join(import.meta.dirname, 'allowed-differences.yaml'));
    const ids = new Set(SCRIPT.map((s) => s.id));
    expect(list.filter((a) => !ids.has(a.step)).map((a) => a.step)).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-allow-'));
    try {
      const f = path.join(dir, 'a.yaml');
      writeFileSync(f, 'differences:\n  - {step: [a, b], part: [exit, stdout], item: 3, reason: r}\n');
      expect(loadAllowList(f).map((a) => `${a.step}:${a.part}`)).toEqual(['a:exit', 'a:stdout', 'b:exit', 'b:stdout']);
      writeFileSync(f, 'differences:\n  - {step: a, part: exit, item: 11, reason: r}\n');
      expect(() => loadAllowList(f)).toThrow(/item must be/);
      writeFileSync(f, 'differences:\n  - {step: a, part: exit, item: 1}\n');
      expect(() => loadAllowList(f)).toThrow(/needs step, part and reason/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
