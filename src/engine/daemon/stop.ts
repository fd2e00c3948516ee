// Stopping and signalling a container's run: stop (the stop signal, then SIGKILL after the timeout)
// and kill. A stop answers once the exit is recorded; the run's cleanup continues in the background
// (see exits.ts), and whatever needs it waits for `cleaning`.

import { ConflictError, InternalError, InvalidArgumentError, NotModifiedError, toEngineError, type ContainerStopOptions } from '../backend.js';
import type { LiveContainer } from '../container/table.js';
import { readExitStatus } from '../runtime/monitor.js';
import { RuncError } from '../runtime/runc.js';
import { signalNumber } from '../runtime/translate.js';
import type { EngineCore } from './core.js';

/**
 * Waits for the current run to end (its exit recorded; cleanup may still run: what needs it
 * awaits `cleaning`), or `timeoutMs` (false then).
 */
export function waitExit(live: LiveContainer, timeoutMs: number): Promise<boolean> {
  // Not running may mean "exited a moment ago, the exit not yet persisted".
  if (!live.rec.state.Running) return live.recorded.then(() => true);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      resolve(true);
    };
    live.onExit.push(done);
    if (timeoutMs >= 0) {
      timer = setTimeout(() => {
        live.onExit = live.onExit.filter((f) => f !== done);
        resolve(false);
      }, timeoutMs);
    }
  });
}

export async function signalRun(core: EngineCore, live: LiveContainer, signal: string | number): Promise<void> {
  const pid = live.rec.state.Pid;
  try {
    await core.runner.kill(live.rec.id, signal, { viaRunc: live.rec.state.Paused });
  } catch (e) {
    // The run may have ended between our check and the signal, and its cleanup may already have
    // deleted runc's state ("container does not exist"): the signal's purpose is served.
    if (e instanceof RuncError && /not running|process already finished|container not running/.test(e.message)) return;
    if (await runEnded(core, live, pid)) return;
    throw toEngineError(e);
  }
}

/** Whether the run whose init had `pid` is over: recorded as exited, or its exit status written by the shim. */
async function runEnded(core: EngineCore, live: LiveContainer, pid: number): Promise<boolean> {
  if (!live.rec.state.Running || live.rec.state.Pid !== pid) return true;
  const status = await readExitStatus(core.paths(live.rec.id).status).catch(() => undefined);
  if (status?.pid !== pid) return false;
  core.exitWatch.poke();
  return true;
}

/** The stop signal, then SIGKILL when the run outlives the timeout. Call from the container's queue. */
export async function stopRun(core: EngineCore, live: LiveContainer, options: ContainerStopOptions): Promise<void> {
  const rec = live.rec;
  rec.manuallyStopped = true;
  const sig = options.signal || rec.config.StopSignal || 'SIGTERM';
  const timeout = options.timeout ?? rec.config.StopTimeout ?? 10;
  if (signalNumber(sig) === undefined) throw new InvalidArgumentError(`Invalid signal: ${sig}`);
  core.emit(live, 'kill', { signal: String(signalNumber(sig)) });
  await signalRun(core, live, sig);
  if (rec.state.Paused) await core.runner.runc.resume(rec.id).catch(() => undefined);
  if (!(await waitExit(live, timeout < 0 ? -1 : timeout * 1000))) {
    core.emit(live, 'kill', { signal: '9' });
    await signalRun(core, live, 'SIGKILL');
    if (!(await waitExit(live, 10_000))) throw new InternalError(`container ${rec.id} did not exit after SIGKILL`);
  }
}

export async function stopContainer(core: EngineCore, ref: string, options: ContainerStopOptions): Promise<void> {
  const live = core.find(ref);
  await core.serial(live, async () => {
    if (live.rec.state.Restarting && !live.rec.state.Running) {
      // Stopping a container that waits to be restarted cancels the restart.
      core.restarts.exited(live.rec.id, { exitCode: live.rec.state.ExitCode, manualStop: true });
      live.rec.manuallyStopped = true;
      live.rec.state = { ...live.rec.state, Restarting: false, Status: 'exited' };
      await core.persist(live);
      core.emit(live, 'stop');
      return;
    }
    if (!live.rec.state.Running) throw new NotModifiedError('container already stopped');
    await stopRun(core, live, options);
    core.emit(live, 'stop');
  });
}

export async function killContainer(core: EngineCore, ref: string, signal: string | undefined): Promise<void> {
  const live = core.find(ref);
  const sig = signal || 'SIGKILL';
  const num = signalNumber(sig);
  if (num === undefined) throw new InvalidArgumentError(`Invalid signal: ${sig}`);
  await core.serial(live, async () => {
    if (!live.rec.state.Running) throw new ConflictError(`Cannot kill container: ${ref}: Container ${live.rec.id} is not running`);
    core.emit(live, 'kill', { signal: String(num) });
    await signalRun(core, live, sig);
    if (num === 9) await waitExit(live, 10_000);
  });
}
