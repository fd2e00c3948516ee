// The build room's runtime port (build/solve/ports.ts BuildExecutor): a RUN step is a container
// of this engine — the same runner, OCI spec translation, seccomp profile and capabilities as
// `docker run` — on an overlay of the stage's layers, its upper dir handed back once it exits.
// Its network is loopback only unless the engine's outbound NAT is on (then it is the host's
// bridge as for containers, see below); its output is read from the monitor's log as it comes.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BuildExecutor, RootView, RunOutcome, RunRequest } from '../build/solve/ports.js';
import { readLayeredFile } from '../build/solve/owner.js';
import type { MountSpec } from '../runtime/oci-spec.js';
import { mountRootfs, stackableLowerDirs, unmountRootfs } from '../runtime/rootfs.js';
import { execCommand } from '../runtime/spawner.js';
import { buildContainerSpec } from '../runtime/container-spec.js';
import { parseExtraHosts } from '../runtime/translate.js';
import { resolveUser } from '../runtime/user.js';
import type { EngineCore } from './core.js';

/** Build steps' containers: a fixed prefix, so leftovers of a crash are recognisable. */
const BUILD_ID_PREFIX = 'b0';

export class EngineBuildExecutor implements BuildExecutor {
  constructor(
    private readonly core: EngineCore,
    private readonly scratch: string,
  ) {}

  get outboundNat(): boolean {
    return this.core.options.outboundNat === true;
  }

  private async tmp(label: string): Promise<string> {
    const dir = path.join(this.scratch, `${label}-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async view(lowerDirs: readonly string[]): Promise<RootView> {
    if (lowerDirs.length === 0) {
      const dir = await this.tmp('empty');
      return { path: dir, release: () => fs.rm(dir, { recursive: true, force: true }) };
    }
    // One layer is its own view; overlayfs needs two lower dirs for a mount without an upper.
    if (lowerDirs.length === 1) return { path: lowerDirs[0], release: async () => undefined };
    const dir = await this.tmp('view');
    await execCommand('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${(await stackableLowerDirs(lowerDirs, this.core.runRoot)).join(':')}`, dir]);
    return { path: dir, release: () => unmountRootfs(dir, [dir]) };
  }

  async writable(lowerDirs: readonly string[], upper: string, work: string): Promise<RootView> {
    const target = `${upper}-mnt`;
    await mountRootfs({ lowerDirs: await stackableLowerDirs(lowerDirs, this.core.runRoot), upperDir: upper, workDir: work, target });
    return { path: target, release: () => unmountRootfs(target, [target]) };
  }

  async run(req: RunRequest): Promise<RunOutcome> {
    const core = this.core;
    const id = `${BUILD_ID_PREFIX}${randomBytes(31).toString('hex')}`;
    const p = core.paths(id);
    const empty = req.lowerDirs.length === 0 ? await this.tmp('empty') : undefined;
    const lowerDirs = empty ? [empty] : [...req.lowerDirs];
    const [passwd, group] = await Promise.all([readLayeredFile(lowerDirs, 'etc/passwd'), readLayeredFile(lowerDirs, 'etc/group')]);
    const user = resolveUser(req.user, passwd, group);
    const env = [...req.env];
    if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    const mounts: MountSpec[] = req.mounts.map((m) =>
      m.type === 'bind' ? { type: 'bind', source: m.source, target: m.target, readonly: m.readonly } : { type: 'tmpfs', target: m.target, ...(m.sizeBytes ? { sizeBytes: m.sizeBytes } : {}) },
    );
    // A RUN never has the host's network; with outbound NAT off it has loopback only. (With NAT
    // on it would need a sandbox on the default bridge; berth does not attach build steps yet,
    // so they stay on loopback and a failure says so.)
    const spec = buildContainerSpec({
      config: { Cmd: [...req.argv], Env: env, WorkingDir: req.cwd, Hostname: 'buildsandbox' },
      hostConfig: { NetworkMode: 'none', ...(req.shmSize ? { ShmSize: req.shmSize } : {}) },
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      mounts,
      containerPid: () => {
        throw new Error('a build step joins no other container');
      },
    });
    let offset = 0;
    let partial = '';
    const pump = async (): Promise<void> => {
      const handle = await fs.open(p.log, 'r').catch(() => undefined);
      if (!handle) return;
      try {
        for (;;) {
          const buf = Buffer.alloc(64 * 1024);
          const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            if (!line) continue;
            try {
              const e = JSON.parse(line) as { log: string; stream: 'stdout' | 'stderr' };
              req.onOutput(e.stream, Buffer.from(e.log));
            } catch {
              // a torn line: the monitor writes whole lines, so this is the file's end
            }
          }
        }
      } finally {
        await handle.close();
      }
    };
    const onAbort = (): void => void core.runner.kill(id, 'SIGKILL').catch(() => undefined);
    try {
      await core.runner.create({
        id,
        lowerDirs,
        spec,
        // No DNS in a build step: it has loopback only (no nameserver is reachable).
        resolvConf: { nameservers: [] },
        extraHosts: parseExtraHosts([...(req.extraHosts ?? [])]),
      });
      req.signal?.addEventListener('abort', onAbort, { once: true });
      let done = false;
      const exited = core.runner.wait(id).finally(() => (done = true));
      while (!done) {
        await Promise.race([exited.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
        await pump();
      }
      const status = await exited;
      await pump();
      await unmountRootfs(p.rootfs);
      await fs.rename(p.upper, req.upperTarget);
      return { exitCode: status.exitCode, networked: false };
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
      await core.runner.remove(id).catch((e: unknown) => core.logger.error('removing a build step container failed', { id, error: String(e) }));
      if (empty) await fs.rm(empty, { recursive: true, force: true });
    }
  }
}
