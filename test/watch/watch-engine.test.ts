// `berth watch` end to end on the built-in engine: real files saved the way editors save them,
// the real chokidar watcher, the loader, the compose engine's plan/apply, real containers.
// Each step is one sentence of intent, an edit, and what must be true of the running stack.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPort } from '../../src/client/docker-port.js';
import { LABEL, serviceContainersFilter } from '../../src/observe/labels.js';
import { composeApplier } from '../../src/watch/compose-applier.js';
import type { CycleReport } from '../../src/watch/loop.js';
import { startWatchSession, type LoadedModel, type PlannedStep, type WatchSession } from '../../src/watch/session.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';

const skip = requirePrereq('berth watch on the built-in engine', engineHost());

// PID 1 handles SIGTERM so a recreate does not wait for the kill timeout.
const CMD = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]`;

function service(name: string, extra = ''): string {
  return `  ${name}:\n    image: busybox\n    network_mode: none\n    command: ${CMD}\n${extra}`;
}

describe.skipIf(skip)('berth watch on the built-in engine', () => {
  let engine: TestEngine;
  let port: DockerPort;
  let dir: string;
  let session: WatchSession | undefined;
  let printed = '';
  const cycles: CycleReport<LoadedModel, PlannedStep, void>[] = [];
  const project = `watch${process.pid}`;

  function save(rel: string, text: string): void {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(`${p}.swp`, text);
    renameSync(`${p}.swp`, p);
  }

  async function running(): Promise<Record<string, { id: string; env: string[]; startedAt: string }>> {
    const out: Record<string, { id: string; env: string[]; startedAt: string }> = {};
    for (const c of await port.containers.list({ filters: serviceContainersFilter(project) })) {
      const info = await port.containers.inspect(c.Id);
      out[c.Labels[LABEL.service]] = { id: c.Id, startedAt: info.State.StartedAt, env: (info.Config.Env ?? []).filter((e) => /^(GREETING|API_TAG|N)=/.test(e)).sort() };
    }
    return out;
  }

  const ids = (r: Record<string, { id: string }>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.id]));

  /**
   * Waits until what a save should bring about holds, then for the session to be idle. (Not by
   * counting cycles: under load an editor's save can reach the watcher as two events far enough
   * apart to make two cycles, and the second, empty one would be taken for the next save's.)
   */
  async function settle(what: string, holds: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await holds())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${printed}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await session!.idle();
  }

  /** Waits until `n` cycles have been reported and the session is idle. */
  async function cyclesReach(n: number, what: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (cycles.length < n) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (cycle ${n}); output:\n${printed}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await session!.idle();
  }

  const lastCycle = () => cycles.at(-1)!;

  beforeAll(async () => {
    engine = await startTestEngine('watch');
    port = new DockerPort({ socketPath: engine.socketPath });
    dir = mkdtempSync('/tmp/berth-watch-e2e-');
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    for (const c of (await port?.containers.list({ all: true })) ?? []) await port.containers.remove(c.Id, { force: true });
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('applies each saved change, and only that change', async () => {
    const compose = (greeting: string, more = '') =>
      `name: ${project}\nservices:\n${service('web', `    environment: {GREETING: "${greeting}"}\n`)}${service('api', '    environment: {API_TAG: "${API_TAG:-none}"}\n    depends_on: {db: {condition: service_started, restart: true}}\n')}${service('db')}${more}`;
    save('compose.yaml', compose('hello'));
    session = await startWatchSession({
      loadOptions: { workingDir: dir, environment: {} },
      explicitFiles: false,
      explicitEnvFiles: false,
      applier: composeApplier(port, { print: (t) => (printed += t) }),
      engine: port,
      debounceMs: 30,
      print: (t) => (printed += t),
      cwd: dir,
      onCycle: (r) => cycles.push(r),
    });
    await cyclesReach(1, 'the initial up');
    expect(lastCycle().kind).toBe('applied');
    const initial = await running();
    expect(Object.keys(initial).sort()).toEqual(['api', 'db', 'web']);

    // Change one service's environment: only it is recreated, the others keep their containers.
    save('compose.yaml', compose('bonjour'));
    await settle('the environment change', async () => (await running()).web?.env[0] === 'GREETING=bonjour');
    let now = await running();
    expect(now.web.id).not.toBe(initial.web.id);
    expect(now.web.env).toEqual(['GREETING=bonjour']);
    expect({ api: now.api.id, db: now.db.id }).toEqual({ api: initial.api.id, db: initial.db.id });
    expect(printed).toMatch(/compose\.yaml changed: 1 service changed, applied in \d+ ms \(detect \d+ · load \d+ · plan \d+ · apply \d+ ms\)\n  web: environment → recreate/);

    // Add a service: it is created, nothing else touched.
    save('compose.yaml', compose('bonjour', service('cache')));
    await settle('the added service', async () => 'cache' in (await running()));
    const withCache = await running();
    expect(Object.keys(withCache).sort()).toEqual(['api', 'cache', 'db', 'web']);
    expect(ids(withCache)).toMatchObject(ids(now));

    // Remove it again: stopped and removed.
    save('compose.yaml', compose('bonjour'));
    await settle('the removed service', async () => !('cache' in (await running())));
    expect(ids(await running())).toEqual(ids(now));
    expect(await port.containers.list({ all: true, filters: serviceContainersFilter(project, 'cache') })).toEqual([]);

    // Break the YAML: one located error, the stack untouched; fix it: applied.
    save('compose.yaml', `name: ${project}\nservices:\n  web:\n    image: busybox\n    environment: [unclosed\n`);
    await settle('the broken file', () => lastCycle().kind === 'invalid');
    expect(lastCycle().kind).toBe('invalid');
    expect(printed).toMatch(/compose\.yaml:\d+:\d+/);
    expect(printed).toContain('the running stack is unchanged');
    expect(ids(await running())).toEqual(ids(now));
    save('compose.yaml', compose('salut'));
    await settle('the fixed file', async () => (await running()).web?.env[0] === 'GREETING=salut');
    expect(lastCycle().kind).toBe('applied');
    const fixed = await running();
    expect(fixed.web.env).toEqual(['GREETING=salut']);
    expect(fixed.api.id).toBe(now.api.id);
    now = fixed;

    // Change .env: only the service using the variable is recreated.
    save('.env', 'API_TAG=v2\n');
    await settle('the .env change', async () => (await running()).api?.env[0] === 'API_TAG=v2');
    const afterEnv = await running();
    expect(afterEnv.api.env).toEqual(['API_TAG=v2']);
    expect(afterEnv.api.id).not.toBe(now.api.id);
    expect({ web: afterEnv.web.id, db: afterEnv.db.id }).toEqual({ web: now.web.id, db: now.db.id });
    now = afterEnv;

    // A dependency re-created: its `restart: true` dependent is restarted (same container).
    save('compose.yaml', compose('salut', '').replace(`${service('db')}`, service('db', '    environment: {N: "1"}\n')));
    await settle('the dependency change', async () => { const r = await running(); return r.db !== undefined && r.db.id !== now.db.id && r.api?.startedAt !== now.api.startedAt; });
    const afterDb = await running();
    expect(afterDb.db.id).not.toBe(now.db.id);
    expect(afterDb.api.id).toBe(now.api.id);
    expect(afterDb.api.startedAt).not.toBe(now.api.startedAt);
    expect(afterDb.web).toEqual(now.web);
    expect(printed).toMatch(/api: unchanged → restart \(dependency db recreated or restarted \(restart: true\)\)/);
    now = afterDb;

    // A named volume added and mounted by db: the volume is created as `up` creates it, db
    // re-created with it (and api restarted after it), web untouched.
    const dbWithVolume = service('db', '    environment: {N: "1"}\n    volumes: ["data:/data"]\n');
    save('compose.yaml', compose('salut', 'volumes:\n  data: {}\n').replace(`${service('db')}`, dbWithVolume));
    await settle('the added volume', async () => { const r = await running(); return r.db !== undefined && r.db.id !== now.db.id && (await port.volumes.list()).some((v) => v.Name === `${project}_data`); });
    expect(lastCycle().kind).toBe('applied');
    expect((await port.volumes.list()).map((v) => v.Name)).toContain(`${project}_data`);
    const afterVolume = await running();
    expect(afterVolume.db.id).not.toBe(now.db.id);
    expect(afterVolume.web).toEqual(now.web);
    expect(printed).toMatch(new RegExp(`volume ${project}_data: added → create \\(not found\\)`));
    now = afterVolume;
    const withVolume = (text: string) => text.replace('services:\n', 'volumes:\n  data: {}\nservices:\n').replace(`${service('db')}`, dbWithVolume);

    // Five rapid saves: one or two applies, and the final state is the last save.
    const before = cycles.length;
    for (let i = 1; i <= 5; i++) {
      save('compose.yaml', withVolume(compose(`rapid${i}`)));
      await new Promise((r) => setTimeout(r, 8));
    }
    await cyclesReach(before + 1, 'the rapid saves');
    await new Promise((r) => setTimeout(r, 300));
    await session!.idle();
    const applies = cycles.slice(before);
    expect(applies.length).toBeGreaterThanOrEqual(1);
    expect(applies.length).toBeLessThanOrEqual(2);
    expect(applies.every((c) => c.kind === 'applied')).toBe(true);
    const final = await running();
    expect(final.web.env).toEqual(['GREETING=rapid5']);
    expect({ api: final.api.id, db: final.db.id }).toEqual({ api: now.api.id, db: now.db.id });
  }, 180_000);

  it('creates a network added while watching, as up does, and re-attaches only the service that joins it', async () => {
    await session?.close();
    session = undefined;
    const netProject = `${project}net`;
    const netDir = mkdtempSync('/tmp/berth-watch-net-');
    const netCycles: string[] = [];
    const svc = (name: string, nets: string) => `  ${name}:\n    image: busybox\n    init: true\n    command: [sleep, "3600"]\n    networks: [${nets}]\n`;
    const file = (extraNet: boolean) =>
      `name: ${netProject}\nservices:\n${svc('web', 'front')}${svc('api', extraNet ? 'front, back' : 'front')}networks:\n  front: {}\n${extraNet ? '  back: {}\n' : ''}`;
    try {
      writeFileSync(path.join(netDir, 'compose.yaml'), file(false));
      session = await startWatchSession({
        loadOptions: { workingDir: netDir, environment: {} },
        explicitFiles: false,
        explicitEnvFiles: false,
        applier: composeApplier(port, { print: (t) => (printed += t) }),
        engine: port,
        debounceMs: 30,
        print: (t) => (printed += t),
        cwd: netDir,
        onCycle: (r) => netCycles.push(r.kind),
      });
      await session.idle();
      expect(netCycles).toEqual(['applied']);
      const ids = async () => Object.fromEntries((await port.containers.list({ filters: serviceContainersFilter(netProject) })).map((c) => [c.Labels[LABEL.service], c.Id]));
      const before = await ids();
      writeFileSync(path.join(netDir, 'compose.yaml.tmp'), file(true));
      renameSync(path.join(netDir, 'compose.yaml.tmp'), path.join(netDir, 'compose.yaml'));
      const end = Date.now() + 20_000;
      while (netCycles.length < 2) {
        if (Date.now() > end) throw new Error(`no cycle; output:\n${printed}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await session.idle();
      expect(netCycles).toEqual(['applied', 'applied']);
      expect((await port.networks.list()).map((n) => n.Name)).toContain(`${netProject}_back`);
      const after = await ids();
      expect(after.web).toBe(before.web);
      expect(after.api).not.toBe(before.api);
      const api = await port.containers.inspect(after.api);
      expect(Object.keys(api.NetworkSettings.Networks).sort()).toEqual([`${netProject}_back`, `${netProject}_front`]);
      expect(printed).toMatch(new RegExp(`network ${netProject}_back: added → create`));
    } finally {
      await session?.close();
      session = undefined;
      for (const c of await port.containers.list({ all: true, filters: serviceContainersFilter(netProject) })) await port.containers.remove(c.Id, { force: true });
      for (const n of await port.networks.list()) if (n.Name.startsWith(`${netProject}_`)) await port.networks.remove(n.Id);
      rmSync(netDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('syncs a develop.watch file into the running container', async () => {
    await session?.close();
    session = undefined;
    const devProject = `${project}dev`;
    const devDir = mkdtempSync('/tmp/berth-watch-dev-');
    try {
      mkdirSync(path.join(devDir, 'site'));
      writeFileSync(path.join(devDir, 'site/index.html'), 'first\n');
      writeFileSync(
        path.join(devDir, 'compose.yaml'),
        `name: ${devProject}\nservices:\n${service('web', '    develop:\n      watch:\n        - {path: ./site, target: /srv/site, action: sync, initial_sync: true}\n        - {path: ./image.txt, action: rebuild}\n')}`,
      );
      const synced: string[][] = [];
      session = await startWatchSession({
        loadOptions: { workingDir: devDir, environment: {} },
        explicitFiles: false,
        explicitEnvFiles: false,
        applier: composeApplier(port, { print: (t) => (printed += t) }),
        engine: port,
        debounceMs: 30,
        print: (t) => (printed += t),
        cwd: devDir,
        onDevelop: (r) => synced.push(r.copied),
      });
      await session.idle();
      const [web] = await port.containers.list({ filters: serviceContainersFilter(devProject, 'web') });
      const cat = async () => {
        const { Id } = await port.exec.create(web.Id, { Cmd: ['cat', '/srv/site/index.html'], AttachStdout: true, AttachStderr: true });
        let out = '';
        for await (const c of await port.exec.start(Id)) out += c.data.toString();
        return out;
      };
      expect(await cat()).toBe('first\n'); // initial_sync
      const end = Date.now() + 10_000;
      writeFileSync(path.join(devDir, 'site/index.html'), 'second\n');
      while (!synced.some((s) => s.includes('/srv/site/index.html')) || synced.length < 2) {
        if (Date.now() > end) throw new Error(`no sync; output:\n${printed}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await session.idle();
      expect(await cat()).toBe('second\n');
      // The sync did not re-create the container.
      const [still] = await port.containers.list({ filters: serviceContainersFilter(devProject, 'web') });
      expect(still.Id).toBe(web.Id);
      expect(printed).toMatch(/develop: web: sync 1 copied in 1 container/);

      // rebuild: no builder, so the service is re-created from its local image, through the loop.
      const cyclesBefore = (printed.match(/^watch: /gm) ?? []).length;
      writeFileSync(path.join(devDir, 'image.txt'), 'retagged\n');
      while ((printed.match(/^watch: /gm) ?? []).length === cyclesBefore) {
        if (Date.now() > end + 10_000) throw new Error(`no rebuild; output:\n${printed}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await session.idle();
      expect(printed).toMatch(/watch: web \(develop\.watch rebuild\): 1 service changed, applied in \d+ ms.*\n  web: unchanged → recreate \(develop\.watch rebuild\)/);
      expect(printed).not.toContain('failed');
      expect(printed).toContain('develop: web: rebuild');
      const [rebuilt] = await port.containers.list({ filters: serviceContainersFilter(devProject, 'web') });
      expect(rebuilt.Id).not.toBe(web.Id);
      expect(rebuilt.State).toBe('running');
    } finally {
      await session?.close();
      session = undefined;
      rmSync(devDir, { recursive: true, force: true });
    }
  }, 120_000);
});
