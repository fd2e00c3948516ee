// Network removal on the built-in engine: a project's networks go together (compose removes them
// at once), each bridge with its isolation rule in one `ip` process; the kernel state is checked.

import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { LinkReaper } from '../../../src/engine/networks/sysnet.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { type TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('engine network removal', engineHost());

const ruleBridges = (): string[] =>
  (JSON.parse(execFileSync('ip', ['-j', '-4', 'rule', 'show'], { encoding: 'utf8' }) || '[]') as { iif?: string }[]).flatMap((r) => (r.iif ? [r.iif] : []));
const linkExists = (name: string): boolean => {
  try {
    execFileSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(skip)('built-in engine: network removal', () => {
  let engine: TestEngine;
  let docker: Docker;

  useTestEngine('netrm', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('removes several networks at once: bridges and isolation rules gone, a second remove of one is a 404', async () => {
    const names = [0, 1, 2].map((i) => `netrm-${process.pid}-${i}`);
    const ids = await Promise.all(names.map(async (Name) => (await docker.createNetwork({ Name })).id));
    const bridges = await Promise.all(ids.map(async (id) => `brt-${id.slice(0, 10)}`));
    for (const b of bridges) {
      expect(linkExists(b)).toBe(true);
      expect(ruleBridges()).toContain(b);
    }
    // All at once, the first one twice: exactly one of its two removals succeeds.
    const results = await Promise.allSettled([...ids, ids[0]].map((id) => docker.getNetwork(id).remove()));
    expect(results.slice(1, 3).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const first = [results[0], results[3]];
    expect(first.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((first.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ statusCode: 404 });
    for (const b of bridges) {
      expect(linkExists(b)).toBe(false);
      expect(ruleBridges()).not.toContain(b);
    }
    const left = (await docker.listNetworks()).map((n) => n.Name);
    for (const n of names) expect(left).not.toContain(n);
  }, 30_000);

  it('removes a network only stopped or never-started containers are on, as dockerd does; their next start says the network is gone', async () => {
    const name = `netrm-stopped-${process.pid}`;
    const net = await docker.createNetwork({ Name: name });
    const ran = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], name: `${name}-ran`, HostConfig: { NetworkMode: name } });
    await ran.start();
    await ran.wait();
    const fresh = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], name: `${name}-fresh`, HostConfig: { NetworkMode: name } });
    // A running one still holds an endpoint: refused, 403 with dockerd 20.10's words.
    const holder = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '30'], name: `${name}-holder`, HostConfig: { NetworkMode: name } });
    await holder.start();
    await expect(net.remove()).rejects.toMatchObject({ statusCode: 403, json: { message: `error while removing network: network ${name} id ${net.id} has active endpoints` } });
    await holder.remove({ force: true });
    await net.remove();
    expect((await docker.listNetworks()).map((n) => n.Name)).not.toContain(name);
    // Inspect still names the network the stopped container was on.
    expect(Object.keys((await ran.inspect()).NetworkSettings.Networks)).toEqual([name]);
    // One that ran knows the network by id: gone for good.
    await expect(ran.start()).rejects.toMatchObject({ statusCode: 404, json: { message: `network ${net.id} not found` } });
    // One that never ran knows it by name: a network of that name made since is joined.
    await expect(fresh.start()).rejects.toMatchObject({ statusCode: 404, json: { message: `network ${name} not found` } });
    const again = await docker.createNetwork({ Name: name });
    await fresh.start();
    expect(Object.values((await fresh.inspect()).NetworkSettings.Networks).map((e) => e.NetworkID)).toEqual([again.id]);
    await fresh.wait();
    await Promise.all([ran.remove({ force: true }), fresh.remove({ force: true })]);
    await again.remove();
    expect(await engine.leftovers()).toMatchObject({ mounts: [], runc: [], links: [] });
  });

  it('LinkReaper deletes links asked for together in one request; one already gone sends the batch down the per-link path', async () => {
    const reaper = new LinkReaper();
    const mk = (n: string): void => void execFileSync('ip', ['link', 'add', 'name', n, 'type', 'bridge']);
    const names = ['a', 'b', 'c'].map((x) => `brt-lr${process.pid % 100000}${x}`);
    try {
      for (const n of names) mk(n);
      await Promise.all(names.map((n) => reaper.delete(n)));
      for (const n of names) expect(linkExists(n)).toBe(false);
      // Tagging the missing one fails: each link is then deleted on its own, and "gone" is fine.
      mk(names[0]);
      mk(names[1]);
      await Promise.all([reaper.delete(names[0]), reaper.delete(`${names[2]}x`), reaper.delete(names[1])]);
      for (const n of names) expect(linkExists(n)).toBe(false);
    } finally {
      for (const n of names) if (linkExists(n)) execFileSync('ip', ['link', 'del', 'dev', n]);
    }
  });
});
