// `berth watch` through the CLI, in-process, against the built-in engine named by DOCKER_HOST:
// it brings the stack up, applies a saved change, prints the report on stderr, and stops
// watching (exit 0, the stack left running) when its signal fires. `--dry-run` changes nothing.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPort } from '../../src/client/docker-port.js';
import { serviceContainersFilter } from '../../src/observe/labels.js';
import { main } from '../../src/cli/main.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';

const skip = requirePrereq('berth watch CLI on the built-in engine', engineHost());

describe.skipIf(skip)('berth watch (CLI)', () => {
  let engine: TestEngine;
  let port: DockerPort;
  let dir: string;
  const project = `cliwatch${process.pid}`;
  const compose = (v: string) =>
    `name: ${project}\nservices:\n  web:\n    image: busybox\n    network_mode: none\n    init: true\n    command: [sleep, "3600"]\n    environment: {V: "${v}"}\n`;
  const save = (text: string) => {
    writeFileSync(path.join(dir, 'compose.yaml.tmp'), text);
    renameSync(path.join(dir, 'compose.yaml.tmp'), path.join(dir, 'compose.yaml'));
  };

  beforeAll(async () => {
    engine = await startTestEngine('cliw');
    port = new DockerPort({ socketPath: engine.socketPath });
    dir = mkdtempSync('/tmp/berth-cliwatch-');
  }, 60_000);

  afterAll(async () => {
    for (const c of (await port?.containers.list({ all: true })) ?? []) await port.containers.remove(c.Id, { force: true });
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function start(args: string[]) {
    let interrupt: (() => void) | undefined;
    let stderr = '';
    let stdout = '';
    const done = main(['node', 'berth', ...args], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { DOCKER_HOST: `unix://${engine.socketPath}` },
      cwd: dir,
      readStdin: () => '',
      isTTY: false,
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => (interrupt = undefined);
      },
    });
    const until = async (pred: (err: string) => boolean, what: string) => {
      const end = Date.now() + 20_000;
      while (!pred(stderr)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    return { stop: () => interrupt?.(), done, until, out: () => ({ stdout, stderr }) };
  }

  it('ups, applies a save, reports it, and stops watching on the signal with the stack left running', async () => {
    save(compose('1'));
    const w = start(['watch', '--debounce', '20']);
    await w.until((e) => e.includes('initial up'), 'the initial up');
    const [first] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    save(compose('2'));
    await w.until((e) => e.includes('compose.yaml changed'), 'the change');
    w.stop();
    expect(await w.done).toBe(0);
    const { stderr } = w.out();
    expect(stderr).toMatch(/watch: compose\.yaml changed: 1 service changed, applied in \d+ ms \(detect \d+ · load \d+ · plan \d+ · apply \d+ ms\)\n  web: environment → recreate \(config hash changed\)/);
    const [now] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    expect(now.Id).not.toBe(first.Id);
    expect(now.State).toBe('running');
  }, 60_000);

  it('up --watch: up (detached), then each save is applied until Ctrl-C', async () => {
    const [before] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    save(compose('4'));
    const w = start(['up', '--watch', '--debounce', '20']);
    await w.until((e) => e.includes('watching the stack files'), 'watching');
    const [upped] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    expect(upped.Id).not.toBe(before.Id); // up applied the change made before it started
    save(compose('5'));
    await w.until((e) => e.includes('compose.yaml changed'), 'the change');
    w.stop();
    expect(await w.done).toBe(0);
    const [after] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    expect(after.Id).not.toBe(upped.Id);
    const env = (await port.containers.inspect(after.Id)).Config.Env ?? [];
    expect(env).toContain('V=5');
  }, 60_000);

  it('--dry-run prints what a save would do and changes nothing; a bad --debounce is a usage error', async () => {
    const [before] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    const w = start(['watch', '--dry-run', '--debounce', '20']);
    await w.until((e) => e.includes('initial up'), 'the first cycle');
    save(compose('3'));
    await w.until((e) => /compose\.yaml changed/.test(e), 'the change');
    w.stop();
    expect(await w.done).toBe(0);
    expect(w.out().stderr).toMatch(/container \S+web-1: recreate \(config hash changed\)/);
    const [after] = await port.containers.list({ filters: serviceContainersFilter(project, 'web') });
    expect(after.Id).toBe(before.Id);

    const bad = start(['watch', '--debounce', 'soon']);
    expect(await bad.done).toBe(2);
    expect(bad.out().stderr).toContain('--debounce soon: expected milliseconds');
  }, 60_000);
});
