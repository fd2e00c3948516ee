// Removing a container: its run (killed when forced), its runtime state, its network sandbox and
// endpoints, its record, and with `volumes` its anonymous volumes. Answers only once the container
// holds no endpoint any more, so a network removal right after never finds it attached.

import { unlink } from 'node:fs/promises';
import { ConflictError, NotImplementedError, toEngineError } from '../backend.js';
import { recordPath } from '../container/record.js';
import type { LiveContainer } from '../container/table.js';
import type { EngineCore } from './core.js';
import { discardPrepared } from './run.js';
import { signalRun, waitExit } from './stop.js';

export async function removeContainer(core: EngineCore, ref: string, options: { force: boolean; volumes: boolean; link: boolean }): Promise<void> {
  if (options.link) throw new NotImplementedError('legacy links are not supported by the built-in engine');
  const live = core.find(ref);
  await core.serial(live, () => removeNow(core, live, options.force, options.volumes));
}

/** Removes the container now. Call from the container's queue. */
export async function removeNow(core: EngineCore, live: LiveContainer, force: boolean, volumes = false): Promise<void> {
  const rec = live.rec;
  if (!core.containers.has(rec.id)) return;
  if (rec.state.Running && !force) {
    // dockerd 20.10's words (daemon/delete.go).
    throw new ConflictError(
      rec.state.Paused
        ? `You cannot remove a paused container ${rec.id}. Unpause and then stop the container before attempting removal or force remove`
        : `You cannot remove a running container ${rec.id}. Stop the container before attempting removal or force remove`,
    );
  }
  live.removing = true;
  core.restarts.forget(rec.id);
  await discardPrepared(core, live);
  if (rec.state.Running) {
    rec.manuallyStopped = true;
    core.emit(live, 'kill', { signal: '9' });
    if (rec.state.Paused) await core.runner.runc.resume(rec.id).catch(() => undefined);
    await signalRun(core, live, 'SIGKILL').catch(() => undefined);
    await waitExit(live, 10_000);
  }
  await live.cleaning;
  core.exitWatch.unwatch(rec.id);
  try {
    await core.runner.remove(rec.id, { cgroupParent: rec.hostConfig.CgroupParent });
  } catch (e) {
    live.removing = false;
    throw toEngineError(e);
  }
  try {
    await core.net.destroySandbox({ id: rec.id, endpoints: rec.endpoints ?? {} });
  } catch (e) {
    live.removing = false;
    throw toEngineError(e);
  }
  core.forgetExecs(live);
  core.health.forget(rec.id);
  core.containers.delete(rec.id);
  await unlink(recordPath(core.recordsDir, rec.id)).catch(() => undefined);
  await core.net.refreshHosts({ endpoints: rec.endpoints ?? {} });
  // Only now, with the container gone, are its anonymous volumes unreferenced.
  if (volumes) await core.vols.removeAnonymous(core.mountsOf(rec)).catch((e: unknown) => core.logger.error('removing anonymous volumes failed', { id: rec.id, error: String(e) }));
  core.emit(live, 'destroy');
  core.logger.info('container removed', { id: rec.id });
  for (const w of live.removeWaiters.splice(0)) w({ StatusCode: rec.state.ExitCode, Error: null });
  for (const w of live.exitWaiters.splice(0)) w({ StatusCode: rec.state.ExitCode, Error: null });
}
