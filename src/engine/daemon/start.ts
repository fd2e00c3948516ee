// `docker start`, `docker restart`, and the restart a policy asks for after its back-off.

import { ConflictError, InternalError, InvalidArgumentError, NotModifiedError, toEngineError, type ContainerStopOptions } from '../backend.js';
import type { EngineCore } from './core.js';
import { removeNow } from './delete.js';
import { cleanupRun, hurryPreparation, startRun } from './run.js';
import { stopRun } from './stop.js';

export async function startContainer(core: EngineCore, ref: string): Promise<void> {
  const live = core.find(ref);
  hurryPreparation(core, live);
  await core.serial(live, async () => {
    if (live.removing) throw new ConflictError(`container ${live.rec.id} is marked for removal and cannot be started`);
    if (live.rec.state.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
    if (live.rec.state.Running) throw new NotModifiedError('container already started');
    try {
      await startRun(core, live);
    } catch (e) {
      const err = toEngineError(e);
      const message = e instanceof Error ? e.message : String(e);
      // The runtime's "executable not found" is the user's mistake, with Docker's 127/126 codes.
      const notFound = /not found|no such file/i.test(message);
      const denied = /permission denied/i.test(message);
      live.rec.state = { ...live.rec.state, Status: live.rec.hasBeenStarted ? 'exited' : 'created', Running: false, Restarting: false, Pid: 0, Error: message, ExitCode: notFound ? 127 : denied ? 126 : 128 };
      await core.persist(live).catch(() => undefined);
      await cleanupRun(core, live.rec.id).catch(() => undefined);
      core.logger.error('container start failed', { id: live.rec.id, error: message });
      // dockerd removes an AutoRemove container whose start failed (`docker run --rm` waits for that).
      if (live.rec.hostConfig.AutoRemove) await removeNow(core, live, true, true).catch(() => undefined);
      if (err instanceof InternalError && (notFound || denied)) throw new InvalidArgumentError(message, { cause: e });
      throw err;
    }
  });
}

export async function restartContainer(core: EngineCore, ref: string, options: ContainerStopOptions): Promise<void> {
  const live = core.find(ref);
  await core.serial(live, async () => {
    if (live.rec.state.Restarting && !live.rec.state.Running) core.restarts.exited(live.rec.id, { exitCode: live.rec.state.ExitCode, manualStop: true });
    if (live.rec.state.Running) {
      await stopRun(core, live, options);
      core.emit(live, 'stop');
    }
    await startRun(core, live);
    core.emit(live, 'restart');
  });
}

/** What the RestartSupervisor calls when a back-off ends. */
export function policyRestart(core: EngineCore, id: string): Promise<void> {
  const live = core.containers.get(id);
  if (!live) return Promise.resolve();
  return core.serial(live, async () => {
    if (live.removing || !core.containers.has(id) || live.rec.state.Running) return;
    try {
      await startRun(core, live);
    } catch (e) {
      core.logger.error('restart failed', { id, error: String(e) });
      live.rec.state = { ...live.rec.state, Status: 'exited', Restarting: false, Error: e instanceof Error ? e.message : String(e) };
      await core.persist(live).catch(() => undefined);
      throw e;
    }
  });
}
