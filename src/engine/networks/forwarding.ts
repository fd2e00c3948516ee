// The host's net.ipv4.ip_forward, borrowed for outbound NAT and given back. Outbound NAT (an engine
// option, off by default) needs the kernel to forward; berth turns ip_forward on for the first NAT
// bridge and, if it was off before, turns it off again when the last NAT bridge goes, so a machine
// is left as berth found it. Which bridges hold it and what the value was are kept in a file under
// the runtime dir (ip_forward does not survive a reboot, and neither does that file), so an engine
// restarted in between still knows whether to restore it.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../../lib/atomic.js';

export const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

interface Holding {
  /** The value found before berth turned it on. */
  before: string;
  bridges: string[];
}

export class ForwardingHolder {
  private queue: Promise<unknown> = Promise.resolve();

  /** `sysctlFile` is the ip_forward file (tests give a plain file in its place). */
  constructor(
    private readonly stateFile: string,
    private readonly sysctlFile: string = IP_FORWARD,
  ) {}

  /** Forwarding is on while `bridge` holds it. */
  acquire(bridge: string): Promise<void> {
    return this.serial(async () => {
      const held = (await this.read()) ?? { before: (await readFile(this.sysctlFile, 'utf8')).trim(), bridges: [] };
      if (!held.bridges.includes(bridge)) held.bridges.push(bridge);
      await this.write(held);
      await writeSysctl(this.sysctlFile, '1');
    });
  }

  /** `bridge` no longer needs forwarding; the last one out restores the value found. */
  release(bridge: string): Promise<void> {
    return this.serial(async () => {
      const held = await this.read();
      if (!held) return;
      held.bridges = held.bridges.filter((b) => b !== bridge);
      if (held.bridges.length > 0) return this.write(held);
      if (held.before !== '1') await writeSysctl(this.sysctlFile, held.before);
      await rm(this.stateFile, { force: true });
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(): Promise<Holding | undefined> {
    try {
      return JSON.parse(await readFile(this.stateFile, 'utf8')) as Holding;
    } catch {
      return undefined;
    }
  }

  private async write(held: Holding): Promise<void> {
    await mkdir(path.dirname(this.stateFile), { recursive: true });
    await writeJsonAtomic(this.stateFile, held);
  }
}

async function writeSysctl(file: string, value: string): Promise<void> {
  await writeFile(file, `${value}\n`);
}
