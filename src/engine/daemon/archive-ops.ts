// `docker cp` on a container: stat, get and put a path, on a running container (frozen meanwhile)
// or a stopped one (its root mounted for the call).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, toEngineError, type ArchivePutOptions, type PathStat } from '../backend.js';
import { archiveContainerPath, extractIntoContainer, statContainerPath, type ContainerRoot } from '../archive/archive.js';
import { PathResolveError } from '../archive/resolve.js';
import { mountStoppedRoot } from '../archive/stopped-root.js';
import { TarError } from '../../lib/tar.js';
import { resolveUserInRootfs } from '../runtime/user.js';
import type { EngineCore } from './core.js';
import { discardPrepared } from './run.js';

/**
 * Runs `use` on the container's filesystem, on the container's queue (no start, stop or pause
 * overlaps), until the promise `use` returns as `finished` settles (a GET streams after the call
 * has answered). A running container is reached through /proc/<pid>/root, its own mounts
 * included, and is frozen meanwhile: a process in it that swapped a directory for a symlink
 * between our lookup and our open could otherwise point the engine at a host path (the
 * CVE-2018-15664 race). A stopped one gets its rootfs and volumes mounted for the call.
 */
function withContainerRoot<T>(core: EngineCore, ref: string, use: (c: ContainerRoot, undone: Promise<void>) => Promise<{ value: T; finished?: Promise<void> }>): Promise<T> {
  const live = core.find(ref);
  const rec = live.rec;
  const mounts = core.mountsOf(rec);
  const view = (root: string): ContainerRoot => ({ root, containerId: rec.id, mounts: mounts.map((m) => ({ destination: m.destination, readonly: m.readonly })), readonlyRootfs: rec.hostConfig.ReadonlyRootfs === true });
  const wrap = (e: unknown): Error => (e instanceof TarError || e instanceof PathResolveError ? new InvalidArgumentError(e.message, { cause: e }) : toEngineError(e));
  let markUndone!: () => void;
  // Settles once the container is thawed or unmounted again: a streamed answer ends only then, so
  // a client's next call (an exec right after `docker cp`) never meets a frozen container.
  const undone = new Promise<void>((r) => (markUndone = r));
  return new Promise<T>((resolve, reject) => {
    void core.serial(live, async () => {
      let undo: (() => Promise<void>) | undefined;
      try {
        let root: string;
        if (rec.state.Running && rec.state.Pid > 0) {
          if (!rec.state.Paused) {
            await core.runner.runc.pause(rec.id);
            undo = () => core.runner.runc.resume(rec.id);
          }
          root = `/proc/${rec.state.Pid}/root`;
        } else {
          // The archive mounts the root itself (a prepared run holds it mounted): the start prepares again.
          await discardPrepared(core, live);
          const p = core.paths(rec.id);
          const holder = `${rec.id}-archive`;
          const lowerDirs = await core.runner.layers(rec.id, await core.store.lowerDirs(rec.image));
          const volumes = await core.vols.acquire(holder, mounts.filter((m) => m.type !== 'tmpfs'), { quiet: true });
          const release = (): Promise<void> => core.vols.release(holder, { quiet: true });
          undo = release;
          const binds = volumes.specs.flatMap((m) => (m.type === 'bind' ? [{ source: m.source, destination: m.target, readonly: m.readonly === true }] : []));
          // The files a run mounts over /etc (hosts, hostname, resolv.conf) are there too, as dockerd's
          // setupMounts puts them: `docker cp` of /etc/hostname from a stopped container reads the real one.
          for (const name of ['resolv.conf', 'hostname', 'hosts']) {
            const source = path.join(p.etc, name);
            if (existsSync(source) && !binds.some((b) => b.destination === `/etc/${name}`)) binds.push({ source, destination: `/etc/${name}`, readonly: rec.hostConfig.ReadonlyRootfs === true });
          }
          const unmount = await mountStoppedRoot({ lowerDirs, upperDir: p.upper, workDir: p.work, target: p.rootfs, binds });
          undo = async () => {
            await unmount();
            await release();
          };
          root = p.rootfs;
        }
        const { value, finished } = await use(view(root), undone);
        if (finished) {
          resolve(value);
          await finished;
        } else {
          // Answered only once undone, for the same reason.
          await undo?.();
          undo = undefined;
          resolve(value);
        }
      } catch (e) {
        // A refusal, too, is answered only with the container thawed.
        await undo?.().catch((err: unknown) => core.logger.error('undoing the setup of docker cp failed', { id: rec.id, error: String(err) }));
        undo = undefined;
        reject(wrap(e));
      } finally {
        await undo?.().catch((e: unknown) => core.logger.error('undoing the setup of docker cp failed', { id: rec.id, error: String(e) }));
        markUndone();
      }
    });
  });
}

export function archiveStat(core: EngineCore, ref: string, p: string): Promise<PathStat> {
  return withContainerRoot(core, ref, async (c) => ({ value: await statContainerPath(c, p) }));
}

export function archiveGet(core: EngineCore, ref: string, p: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
  return withContainerRoot(core, ref, async (c, undone) => {
    const { stat, tar, done } = await archiveContainerPath(c, p, signal);
    signal.addEventListener('abort', () => tar.destroy(), { once: true });
    core.emit(core.find(ref), 'archive-path');
    const outer = Readable.from(
      (async function* () {
        try {
          yield* tar;
        } finally {
          tar.destroy();
          await undone;
        }
      })(),
      { objectMode: false },
    );
    return { value: { stat, tar: outer }, finished: done };
  });
}

export function archivePut(core: EngineCore, ref: string, p: string, tar: Readable, options: ArchivePutOptions): Promise<void> {
  const live = core.find(ref);
  return withContainerRoot(core, ref, async (c) => {
    // `docker cp -a`: files belong to the container's user, as dockerd's tarCopyOptions does it.
    const user = options.copyUIDGID && live.rec.config.User ? await resolveUserInRootfs(c.root, live.rec.config.User) : undefined;
    await extractIntoContainer(c, p, tar as AsyncIterable<Uint8Array>, { noOverwriteDirNonDir: options.noOverwriteDirNonDir, ...(user ? { owner: { uid: user.uid, gid: user.gid } } : {}) });
    core.emit(live, 'extract-to-dir');
    return { value: undefined };
  });
}
