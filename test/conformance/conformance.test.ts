// Conformance: the same docker CLI script (script.ts) against the built-in engine and against a
// private dockerd (Debian docker.io), outputs normalised (normalize.ts) and compared step by step
// (compare.ts). Every difference must be listed in allowed-differences.yaml with its reason, and
// every entry there must still differ: the list only shrinks as the engine improves.
//
// BERTH_CONFORMANCE_REPORT=FILE writes every step's outcome and every difference to FILE (JSON),
// for writing or pruning allow-list entries.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDockerCli } from '../engine/helpers/docker-cli.js';
import { dockerCli, dockerd, engineHost, requirePrereq } from '../support/gates.js';
import { compareStep, formatDifference, judge, loadAllowList, type Difference, type Outcome, type Verdict } from './compare.js';
import { startBuiltin, startReferenceDockerd, type ConformanceEngine, type EngineName } from './engines.js';
import type { NormalizeContext } from './normalize.js';
import { SCRIPT, type Step } from './script.js';

const skip = requirePrereq('docker CLI conformance (built-in engine vs dockerd)', [...engineHost(), dockerd(), dockerCli()]);

const ALLOW_LIST = path.join(import.meta.dirname, 'allowed-differences.yaml');
const PORTS: Record<EngineName, number> = { builtin: 38471, dockerd: 38472 };
const NETS: Record<EngineName, string> = { builtin: '10.214', dockerd: '10.213' };
const cgroupName = (e: EngineName) => `berth-conf-${process.pid}-${e}`;

interface EngineRun {
  engine: ConformanceEngine;
  ctx: NormalizeContext;
  marks: Map<string, string>;
  captures: Map<string, string>;
}

function fill(arg: string, run: EngineRun): string {
  const name = run.engine.name;
  // Only the script's own placeholders: `{{end}}`, `{{.Names}}`… are the CLI's Go templates.
  return arg.replace(/\{\{(work|port|net|cgroup|mark|cap|cap12)(?::([\w-]+))?\}\}/g, (m, key: string, param: string | undefined) => {
    switch (key) {
      case 'work':
        return run.engine.work;
      case 'port':
        return String(PORTS[name]);
      case 'net':
        return `${NETS[name]}.${param}`;
      case 'cgroup':
        return cgroupName(name);
      case 'mark':
      case 'cap':
      case 'cap12': {
        const v = (key === 'mark' ? run.marks : run.captures).get(param ?? '');
        if (v === undefined) throw new Error(`${m}: nothing recorded under that name yet`);
        return key === 'cap12' ? v.slice(0, 12) : v;
      }
      default:
        throw new Error(`unknown placeholder ${m}`);
    }
  });
}

function runHost(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runStep(step: Step, run: EngineRun, imageTar: Buffer): Promise<Outcome> {
  if (step.sleepMs) await new Promise((r) => setTimeout(r, step.sleepMs));
  if (step.mark) run.marks.set(step.mark, (Date.now() / 1000).toFixed(3));
  const args = step.args.map((a) => fill(a, run));
  const input = step.input === '@imageTar' ? imageTar : step.input;
  const out = step.host ? await runHost(args, run.engine.work) : await runDockerCli(run.engine, args, { cwd: run.engine.work, ...(input !== undefined ? { input } : {}) });
  if (step.capture) run.captures.set(step.capture, out.stdout.trim());
  return out;
}

/** The same files in each engine's work dir. */
function prepareWork(work: string): void {
  writeFileSync(path.join(work, 'env.list'), 'FOO=foo\nBAR=bar\n# COMMENTED=x\n');
  mkdirSync(path.join(work, 'data'));
  writeFileSync(path.join(work, 'data', 'file.txt'), 'from the host\n');
  // A seccomp profile in Docker's format that allows everything but making directories.
  writeFileSync(path.join(work, 'deny-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
}

/** A tiny root filesystem (one file) as a tarball, for `docker import`. */
async function tinyRootfsTar(dir: string): Promise<Buffer> {
  const root = path.join(dir, 'tiny-rootfs');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(path.join(root, 'etc', 'tiny'), 'tiny image\n');
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['--owner=0', '--group=0', '--mtime=2020-01-01', '-C', root, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar exited ${code}`))));
  });
}

/** dockerd leaves the --cgroup-parent directories behind (runc removes only the container's). */
function removeCgroupParents(): void {
  for (const e of ['builtin', 'dockerd'] as const) {
    const name = cgroupName(e);
    if (!existsSync('/sys/fs/cgroup')) return;
    for (const controller of readdirSync('/sys/fs/cgroup')) {
      const dir = path.join('/sys/fs/cgroup', controller, name);
      if (!existsSync(dir)) continue;
      for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) rmdirSync(path.join(dir, sub.name));
      rmdirSync(dir);
    }
  }
}

function contextOf(engine: ConformanceEngine): NormalizeContext {
  const paths: [string, string][] = [
    [engine.work, '<work>'],
    ...engine.stateDirs.map((d): [string, string] => [d, '<root>']),
    [engine.dir, '<home>'],
    [String(PORTS[engine.name]), '<port>'],
    [cgroupName(engine.name), '<cgroup>'],
  ];
  return { paths: paths.sort((a, b) => b[0].length - a[0].length) };
}

describe.skipIf(skip)('conformance: the docker CLI on the built-in engine and on dockerd', () => {
  const runs = {} as Record<EngineName, EngineRun>;
  const diffs: Difference[] = [];
  let verdict: Verdict;
  let equal = 0;

  beforeAll(async () => {
    const started = await Promise.allSettled([startBuiltin(), startReferenceDockerd()]);
    for (const s of started) if (s.status === 'fulfilled') runs[s.value.name] = { engine: s.value, ctx: contextOf(s.value), marks: new Map(), captures: new Map() };
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const r of Object.values(runs)) prepareWork(r.engine.work);
    const imageTar = await tinyRootfsTar(runs.builtin.engine.dir);

    // Each engine runs the whole script on its own, both at once: the wall time is the slower
    // engine's, and neither waits for the other between steps.
    const ms = { builtin: 0, dockerd: 0 };
    const runAll = async (run: EngineRun): Promise<(Outcome & { ms: number })[]> => {
      const outcomes: (Outcome & { ms: number })[] = [];
      for (const step of SCRIPT) {
        const t0 = Date.now();
        outcomes.push({ ...(await runStep(step, run, imageTar)), ms: Date.now() - t0 });
        ms[run.engine.name] += Date.now() - t0;
      }
      return outcomes;
    };
    const [onBuiltin, onDockerd] = await Promise.all([runAll(runs.builtin), runAll(runs.dockerd)]);
    const report = SCRIPT.map((step, i) => {
      const found = compareStep(step, onBuiltin[i], onDockerd[i], { builtin: runs.builtin.ctx, dockerd: runs.dockerd.ctx });
      if (found.length === 0) equal++;
      diffs.push(...found);
      return { step: step.id, args: step.args, builtin: onBuiltin[i], dockerd: onDockerd[i], differences: found };
    });
    verdict = judge(diffs, loadAllowList(ALLOW_LIST), new Set(SCRIPT.map((s) => s.id)));
    if (process.env.BERTH_CONFORMANCE_REPORT) writeFileSync(process.env.BERTH_CONFORMANCE_REPORT, JSON.stringify(report, null, 1));
    const differing = new Set(diffs.map((d) => d.step)).size;
    console.log(
      `conformance: ${SCRIPT.length} steps compared: ${equal} equal, ${differing} differing (${diffs.length} differences: ` +
        `${verdict.allowed.length} allowed, ${verdict.unexpected.length} unexpected; ${verdict.stale.length} stale allow-list entries); ` +
        `time in steps: built-in engine ${(ms.builtin / 1000).toFixed(1)} s, dockerd ${(ms.dockerd / 1000).toFixed(1)} s`,
    );
  }, 480_000);

  afterAll(async () => {
    // Both engines close whatever happens; a failed close (the built-in engine's leak check) fails the suite.
    const closed = await Promise.allSettled(Object.values(runs).map((r) => r.engine.close()));
    removeCgroupParents();
    const failed = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) throw failed.reason;
  }, 120_000);

  it('every step behaves as on dockerd, or its difference is in allowed-differences.yaml', () => {
    expect(verdict.unexpected.map(formatDifference).join('\n\n')).toBe('');
  });

  it('every entry of allowed-differences.yaml still differs (remove the ones the engine has fixed)', () => {
    expect(verdict.stale.map((a) => `${a.step} [${a.part}]: ${a.reason}`)).toEqual([]);
  });
});
