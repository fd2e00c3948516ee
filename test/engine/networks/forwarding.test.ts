// ip_forward for outbound NAT: turned on for the first NAT bridge and, when it was off, turned off
// again when the last one goes — across an engine restart too. A plain file stands in for
// /proc/sys/net/ipv4/ip_forward: the tests never change the host's forwarding.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardingHolder } from '../../../src/engine/networks/forwarding.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(initial: string): { sysctl: string; state: string; value: () => string } {
  const dir = mkdtempSync('/tmp/berth-fwd-');
  dirs.push(dir);
  const sysctl = path.join(dir, 'ip_forward');
  writeFileSync(sysctl, `${initial}\n`);
  return { sysctl, state: path.join(dir, 'run', 'ip_forward.json'), value: () => readFileSync(sysctl, 'utf8').trim() };
}

describe('ForwardingHolder', () => {
  it('turns forwarding on for NAT bridges and restores "off" when the last one goes', async () => {
    const t = setup('0');
    const holder = new ForwardingHolder(t.state, t.sysctl);
    await holder.acquire('brt-a');
    await holder.acquire('brt-b');
    expect(t.value()).toBe('1');
    await holder.release('brt-a');
    expect(t.value()).toBe('1');
    await holder.release('brt-b');
    expect(t.value()).toBe('0');
    expect(existsSync(t.state)).toBe(false);
  });

  it('leaves forwarding on when it was on before berth', async () => {
    const t = setup('1');
    const holder = new ForwardingHolder(t.state, t.sysctl);
    await holder.acquire('brt-a');
    await holder.release('brt-a');
    expect(t.value()).toBe('1');
  });

  it('remembers across an engine restart what to restore', async () => {
    const t = setup('0');
    await new ForwardingHolder(t.state, t.sysctl).acquire('brt-a');
    const next = new ForwardingHolder(t.state, t.sysctl);
    await next.acquire('brt-a');
    await next.release('brt-a');
    expect(t.value()).toBe('0');
  });

  it('a release without an acquire changes nothing', async () => {
    const t = setup('1');
    await new ForwardingHolder(t.state, t.sysctl).release('brt-x');
    expect(t.value()).toBe('1');
  });
});
