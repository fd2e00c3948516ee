// Stop and kill on the built-in engine, with real containers: signals go through the monitor's io
// socket (no runc process per signal), runc stays the fallback, and a stop answers once the exit is
// recorded while the run's cleanup finishes in the background — with every later operation waiting
// for that cleanup. runc is a wrapper that logs each invocation; the network helper is one that can
// hold a sandbox's release (part of the cleanup) at a gate.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalInit } from '../../../src/engine/runtime/monitor.js';
import { buildNetns, RUNC } from '../helpers/engine-env.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';
import { until as pollUntil } from '../helpers/until.js';

// Each wait here is bounded at 5 s.
const until = (what: string, check: () => Promise<boolean>): Promise<void> => pollUntil(what, check, 5_000);

const skip = requirePrereq('engine stop and kill', engineHost());

/** A command that reports USR1 and exits with `code` on TERM at once (the sleep is waited on, not run in the foreground). */
const trapping = (code: number): string[] => ['sh', '-c', `trap 'echo got-usr1' USR1; trap 'exit ${code}' TERM; echo ready; while true; do sleep 1 & wait; done`];

describe.skipIf(skip)('built-in engine: stop and kill', () => {
  let engine: TestEngine;
  let docker: Docker;
  let runcLog: string;
  let gate: string;
  let releaseLog: string;
  let savedNetns: string | undefined;
  let lateKill: string;

  /** runc subcommands run since the log was last cleared (`kill`, `delete`, `state`, …). */
  const runcCalls = (): string[] =>
    existsSync(runcLog)
      ? readFileSync(runcLog, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split(' ').find((w, i, all) => i > 0 && all[i - 1] !== '--root' && !w.startsWith('-')) ?? '')
      : [];
  const clearRuncLog = (): void => rmSync(runcLog, { force: true });

  async function logsOf(c: Docker.Container): Promise<string> {
    return ((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer).toString('latin1');
  }

  async function started(cmd: string[], extra: Partial<Docker.ContainerCreateOptions> = {}): Promise<Docker.Container> {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: cmd, ...extra });
    await c.start();
    await until('the container to be ready', async () => (await logsOf(c)).includes('ready'));
    return c;
  }

  beforeAll(async () => {
    // The engine's runc: logs "<args>" per call.
    const dir = `/tmp/bd-stopkill-${process.pid}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    runcLog = path.join(dir, 'runc-calls.log');
    releaseLog = path.join(dir, 'releases.log');
    gate = path.join(dir, 'release-gate');
    const wrapper = path.join(dir, 'runc');
    lateKill = path.join(dir, 'late-kill');
    // With the late-kill flag, a `runc kill <id> SIGKILL` waits until the run's cleanup has deleted runc's
    // state: the moment a stop's SIGKILL arrives after the container already exited on its own.
    writeFileSync(
      wrapper,
      `#!/bin/sh\necho "$*" >> ${runcLog}\nif [ -e ${lateKill} ] && [ "$3" = kill ] && [ "$5" = SIGKILL ]; then i=0; while [ -e "$2/$4" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done; fi\nexec ${RUNC} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    // The network helper: a sandbox's `release` logs itself and waits while the gate file exists.
    const helper = buildNetns(dir);
    const netnsWrapper = path.join(dir, 'netns');
    writeFileSync(
      netnsWrapper,
      `#!/bin/sh\ncase "$1" in release) echo "$2" >> ${releaseLog}; while [ -e ${gate} ]; do sleep 0.02; done ;; esac\nexec ${helper} "$@"\n`,
    );
    chmodSync(netnsWrapper, 0o755);
    savedNetns = process.env.BERTH_NETNS_BINARY;
    process.env.BERTH_NETNS_BINARY = netnsWrapper;
    engine = await startTestEngine('stopkill', { runcBinary: wrapper });
    docker = new Docker({ socketPath: engine.socketPath });
  }, 60_000);

  afterAll(async () => {
    if (gate) rmSync(gate, { force: true });
    await engine?.close();
    if (savedNetns === undefined) delete process.env.BERTH_NETNS_BINARY;
    else process.env.BERTH_NETNS_BINARY = savedNetns;
    rmSync(`/tmp/bd-stopkill-${process.pid}`, { recursive: true, force: true });
  }, 60_000);

  it('kill -s by name and number, and stop, signal through the monitor without starting runc kill', async () => {
    const c = await started(trapping(7));
    clearRuncLog();
    await c.kill({ signal: 'USR1' });
    await until('the USR1 trap', async () => (await logsOf(c)).includes('got-usr1'));
    await c.kill({ signal: '10' });
    await until('the second USR1', async () => (await logsOf(c)).split('got-usr1').length === 3);
    expect((await c.inspect()).State.Running).toBe(true);
    await c.stop({ t: 10 });
    expect((await c.inspect()).State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 7 });
    expect(runcCalls()).not.toContain('kill');
    await c.remove();
  }, 30_000);

  it("the monitor's signal request: sent for a real signal, refused for a bad one, unanswered once init is gone", async () => {
    const c = await started(trapping(4));
    const sock = path.join(engine.runRoot, 'io', `${(await c.inspect()).Id.slice(0, 32)}.sock`);
    expect(await signalInit(sock, 0)).toBe(false);
    expect(await signalInit(sock, 99)).toBe(false);
    expect(await signalInit(sock, 10)).toBe(true);
    await until('the USR1 trap', async () => (await logsOf(c)).includes('got-usr1'));
    expect(await signalInit(sock, 15)).toBe(true);
    expect(await c.wait()).toMatchObject({ StatusCode: 4 });
    expect(await signalInit(sock, 15)).toBe(false);
    await c.remove();
  }, 30_000);

  it('a TTY container is signalled the same way', async () => {
    const c = await started(trapping(3), { Tty: true });
    clearRuncLog();
    await c.stop({ t: 10 });
    expect((await c.inspect()).State).toMatchObject({ Status: 'exited', ExitCode: 3 });
    expect(runcCalls()).not.toContain('kill');
    await c.remove();
  }, 30_000);

  it('a paused container is stopped through runc kill (it thaws a v1 freezer), then resumed to exit', async () => {
    const c = await started(trapping(5));
    await c.pause();
    clearRuncLog();
    await c.stop({ t: 10 });
    expect((await c.inspect()).State).toMatchObject({ Status: 'exited', Paused: false, ExitCode: 5 });
    expect(runcCalls()).toContain('kill');
    await c.remove();
  }, 30_000);

  it('falls back to runc kill when the monitor cannot be reached', async () => {
    const c = await started(trapping(6));
    const id = (await c.inspect()).Id;
    // What an unreachable monitor looks like to the engine: its socket is gone.
    rmSync(path.join(engine.runRoot, 'io', `${id.slice(0, 32)}.sock`));
    clearRuncLog();
    await c.kill({ signal: 'USR1' });
    await until('the USR1 trap', async () => (await logsOf(c)).includes('got-usr1'));
    await c.stop({ t: 10 });
    expect((await c.inspect()).State).toMatchObject({ Status: 'exited', ExitCode: 6 });
    expect(runcCalls().filter((x) => x === 'kill')).toHaveLength(2);
    await c.remove();
  }, 30_000);

  it('a stop whose SIGKILL comes after the container exited on its own (runc state already gone) succeeds', async () => {
    const c = await started(trapping(0));
    const id = (await c.inspect()).Id;
    // Signals go through runc (no monitor socket), and the SIGKILL only once the exit is cleaned up.
    rmSync(path.join(engine.runRoot, 'io', `${id.slice(0, 32)}.sock`));
    writeFileSync(lateKill, '');
    clearRuncLog();
    try {
      await c.stop({ t: 0 });
    } finally {
      rmSync(lateKill, { force: true });
    }
    expect(runcCalls().filter((k) => k === 'kill')).toHaveLength(2);
    expect((await c.inspect()).State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0 });
    await c.remove();
  }, 30_000);

  it('stop -t 0 of containers that exit on TERM at once: every stop succeeds, in a tight loop', async () => {
    for (let i = 0; i < 10; i++) {
      const c = await started(trapping(0));
      await c.stop({ t: 0 });
      expect((await c.inspect()).State.Running).toBe(false);
      await c.remove();
    }
  }, 60_000);

  it('stop answers before the cleanup ends; die precedes stop; start, wait and remove wait for the cleanup', async () => {
    const c = await started(trapping(9), { Labels: { stopkill: 'order' } });
    const ac = new AbortController();
    const events = (await docker.getEvents({ filters: { type: ['container'], label: ['stopkill=order'] }, abortSignal: ac.signal } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    const seen: string[] = [];
    events.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) seen.push((JSON.parse(line) as { Action: string }).Action);
    });
    events.on('error', () => undefined);
    writeFileSync(gate, '');
    try {
      rmSync(releaseLog, { force: true });
      // The sandbox's release (part of the cleanup) is held at the gate: the stop answers all the same.
      await c.stop({ t: 10 });
      expect((await c.inspect()).State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 9 });
      await until('the cleanup to reach the sandbox release', async () => existsSync(releaseLog));

      let startDone = false;
      const restart = c.start().then(() => (startDone = true));
      let waitDone = false;
      const waited = c.wait({ condition: 'not-running' }).then((r: { StatusCode: number }) => {
        waitDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(startDone).toBe(false);
      expect(waitDone).toBe(false);
      rmSync(gate, { force: true });
      expect(await waited).toMatchObject({ StatusCode: 9 });
      await restart;
      await until('the restarted run to be ready', async () => (await logsOf(c)).split('ready').length === 3);
      expect((await c.inspect()).State).toMatchObject({ Status: 'running', Running: true });

      // And a remove right after a stop leaves nothing behind (the harness checks at close).
      writeFileSync(gate, '');
      await c.stop({ t: 10 });
      let removed = false;
      const removing = c.remove().then(() => (removed = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(removed).toBe(false);
      rmSync(gate, { force: true });
      await removing;
      await new Promise((r) => setTimeout(r, 100));
      ac.abort();
      expect(seen).toEqual(['kill', 'die', 'stop', 'start', 'kill', 'die', 'stop', 'destroy']);
    } finally {
      rmSync(gate, { force: true });
      ac.abort();
    }
    const left = await engine.leftovers();
    expect(left.mounts).toEqual([]);
    expect(left.runc).toEqual([]);
  }, 60_000);

  it('an AutoRemove container is gone once it has stopped and been cleaned up', async () => {
    const c = await started(trapping(0), { HostConfig: { AutoRemove: true } });
    const removed = c.wait({ condition: 'removed' });
    await c.stop({ t: 10 });
    expect(await removed).toMatchObject({ StatusCode: 0 });
    await expect(c.inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 30_000);
});
