// Exit handling: when the exit watch says a status file may have appeared, every running
// container's status is read; an exit is recorded (state, persisted, `die`), waiters are answered,
// the restart policy decides, and the run's cleanup (sandbox, runc state, rootfs, volumes) is
// started in the background — stop answers once the exit is recorded, so compose's reverse-order
// stop of a chain does not pay each link's cleanup. AutoRemove containers go after their cleanup.

import type { LiveContainer } from '../container/table.js';
import { readExitStatus, type ExitStatus } from '../runtime/monitor.js';
import { iso, type EngineCore } from './core.js';
import { removeNow } from './delete.js';
import { cleanupRun, networkEvents } from './run.js';
import { onExited } from './supervision.js';

export class ExitHandler {
  private polling = false;
  /** A poll was asked for while one ran: run once more when it ends. */
  private pollAgain = false;

  constructor(private readonly core: EngineCore) {}

  /** Looks at every running container's status file; handles the exits found. */
  async poll(): Promise<void> {
    const core = this.core;
    if (core.closed) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        for (const live of [...core.containers.values()]) {
          if (!live.rec.state.Running) continue;
          const status = await readExitStatus(core.paths(live.rec.id).status).catch(() => undefined);
          if (status && status.pid === live.rec.state.Pid) await this.handle(live, status);
        }
      } while (this.pollAgain && !core.closed);
    } finally {
      this.polling = false;
    }
  }

  async handle(live: LiveContainer, status: ExitStatus): Promise<void> {
    const core = this.core;
    const rec = live.rec;
    if (!rec.state.Running) return;
    core.exitWatch.unwatch(rec.id);
    rec.state = {
      ...rec.state,
      Status: 'exited',
      Running: false,
      Paused: false,
      Pid: 0,
      ExitCode: status.exitCode,
      OOMKilled: status.oomKilled,
      FinishedAt: Number.isNaN(Date.parse(status.finishedAt)) ? iso(core.clock.now()) : status.finishedAt,
    };
    rec.monitorPid = 0;
    const restart = onExited(core, live);
    if (restart) rec.state = { ...rec.state, Status: 'restarting', Restarting: true };
    // Both promises are set before the first await: whatever sees the exited state (remove, start,
    // the next serialized call, `docker wait`) finds the cleanup to wait for.
    live.recorded = core.persist(live).catch((e: unknown) => core.logger.error('persisting exit failed', { id: rec.id, error: String(e) }));
    // The cleanup starts a turn later: its process spawns block this thread for a moment each, and the
    // stop waiting on this exit answers first.
    live.cleaning = live.recorded
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(() => cleanupRun(core, rec.id).catch((e: unknown) => core.logger.error('cleanup after exit failed', { id: rec.id, error: String(e) })));
    // Peers' /etc/hosts drop this container (the state already says it is not running) while the exit is
    // persisted. Waiting for the write also keeps die after start for a container that exits at once.
    await Promise.all([live.recorded, core.net.refreshHosts({ endpoints: rec.endpoints ?? {} })]);
    // Followers (logs -f, attach) end on this: the shim wrote the last output before the status.
    live.exits++;
    if (status.oomKilled) core.emit(live, 'oom');
    core.emit(live, 'die', { exitCode: String(status.exitCode) });
    networkEvents(core, rec, 'disconnect');
    core.logger.info('container exited', { id: rec.id, exitCode: status.exitCode, oomKilled: status.oomKilled });
    for (const f of live.onExit.splice(0)) f();
    // Taken now: a `docker wait` that comes after this exit waits for the next one.
    const waiters = live.exitWaiters.splice(0);
    // Not awaited: the exit poll must not wait for one container's cleanup to notice the next exit.
    void this.afterCleanup(live, live.cleaning, () => {
      for (const w of waiters) w({ StatusCode: status.exitCode, Error: null });
    });
  }

  /** What waits for the cleanup of a run: `docker wait` (a client may reuse the volumes next) and AutoRemove. */
  private async afterCleanup(live: LiveContainer, cleaning: Promise<void>, answerWaiters: () => void): Promise<void> {
    await cleaning;
    answerWaiters();
    if (live.rec.hostConfig.AutoRemove && !live.removing) {
      void this.core.serial(live, () => removeNow(this.core, live, true, true)).catch((e: unknown) => this.core.logger.error('auto-remove failed', { id: live.rec.id, error: String(e) }));
    }
  }
}
