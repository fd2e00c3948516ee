// /etc/hosts refreshes (networks/names.ts): a container's hosts file is bind-mounted, so it is
// rewritten in place while the container may be reading it. A start refreshes the file its own
// process reads at once (`docker run --add-host … cat /etc/hosts`): a truncating write there showed
// the process an empty or partial file (the --add-host line missing, intermittently).

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerNames, rewriteInPlace } from '../../../src/engine/networks/names.js';
import type { AttachedContainer, EndpointState } from '../../../src/engine/networks/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'berth-hosts-'));
  dirs.push(d);
  return d;
}

const ep = (address: string): EndpointState => ({ networkId: 'n1', endpointId: 'e', address, prefix: 24, gateway: '10.9.0.1', mac: '02:42:0a:09:00:02', aliases: [], ifName: 'eth0', hostIf: 'veth0' });

function container(id: string, hostsFile: string, address: string, extraHosts: AttachedContainer['extraHosts'] = []): AttachedContainer {
  return { id: id.repeat(64).slice(0, 64), name: `c${id}`, running: true, labels: {}, links: [], endpoints: { n1: ep(address) }, hostsFile, hostname: `h${id}`, extraHosts };
}

describe('hosts file refresh', () => {
  it('leaves an unchanged file alone: no write, so a reader can never catch it half-written', async () => {
    const d = tmp();
    const file = path.join(d, 'hosts');
    const self = container('a', file, '10.9.0.2', [{ ip: '10.1.2.3', names: ['db'] }]);
    const names = new ContainerNames({ containers: () => [self], network: () => undefined, gatewayEndpoint: (c) => c.endpoints.n1 });
    writeFileSync(file, names.hostsFor(self));
    const before = statSync(file, { bigint: true });
    await new Promise((r) => setTimeout(r, 20));
    await names.refreshHosts({ endpoints: self.endpoints });
    const after = statSync(file, { bigint: true });
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ino).toBe(before.ino);
    expect(readFileSync(file, 'utf8')).toContain('10.1.2.3\tdb');
  });

  it('rewrites a changed file in place (same inode, as the bind mount needs) to exactly the new content', async () => {
    const d = tmp();
    const file = path.join(d, 'hosts');
    const self = container('a', file, '10.9.0.2', [{ ip: '10.1.2.3', names: ['db'] }]);
    const peer = { ...container('b', path.join(d, 'other'), '10.9.0.3'), running: true };
    writeFileSync(path.join(d, 'other'), '');
    const names = new ContainerNames({ containers: () => [self, peer], network: () => undefined, gatewayEndpoint: (c) => c.endpoints.n1 });
    // Longer than what comes: the tail must go.
    writeFileSync(file, `${'#'.repeat(4096)}\n`);
    const ino = statSync(file).ino;
    await names.refreshHosts({ endpoints: self.endpoints });
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).ino).toBe(ino);
    expect(text).toBe(names.hostsFor(self));
    expect(text).toContain('10.1.2.3\tdb');
    expect(text).toContain('10.9.0.3\tcb');
  });

  it('never shows a concurrent reader an empty file while the content grows', async () => {
    const d = tmp();
    const file = path.join(d, 'hosts');
    writeFileSync(file, 'first line\n');
    let seenEmpty = false;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        if (readFileSync(file).length === 0) seenEmpty = true;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 300; i++) await rewriteInPlace(file, `first line\n${'x'.repeat(i % 50)}\n`);
    stop = true;
    await reader;
    expect(seenEmpty).toBe(false);
  });
});
