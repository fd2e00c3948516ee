// Exit handling: when the exit watch says a status file may have appeared, every running
// container's status is read; an exit is recorded (state, persisted, `die`), waiters are answered,
// the restart policy decides, and the run's cleanup (sandbox, runc state, rootfs, volumes) is
// started in the background — stop answers once the exit is recorded, so compose's reverse-order
// stop of a chain does not pay each link's cleanup. AutoRemove containers go after their cleanup.
//
// A monitor that dies before its container (someone kill -9s it, the OOM killer picks it) writes
// no status: every second the poll also asks whether each running container's monitor lives. One
// that does not is lost for good — nothing can become the parent of a running process again, so
// nothing would reap the container, keep its log or learn how it ended, and its output pipe has no
// reader left. The engine then stops the container itself and records the exit with the reason,
// as containerd does when a shim dies; the restart policy decides what comes next.

import type { LiveContainer } from '../container/table.js';
import { monitorAlive, readExitStatus, type ExitStatus } from '../runtime/monitor.js';
import { processAlive } from '../../lib/process.js';
import { iso, type EngineCore } from './core.js';
import { removeNow } from './delete.js';
import { cleanupRun, networkEvents } from './run.js';
import { onExited } from './supervision.js';

/** How often the poll checks that running containers' monitors are alive. */
const MONITOR_CHECK_MS = 1_000;

export class ExitHandler {
  private polling = false;
  /** A poll was asked for while one ran: run once more when it ends. */
  private pollAgain = false;
  private lastMonitorCheck = 0;

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
        const checkMonitors = core.clock.now() - this.lastMonitorCheck >= MONITOR_CHECK_MS;
        if (checkMonitors) this.lastMonitorCheck = core.clock.now();
        for (const live of [...core.containers.values()]) {
          if (!live.rec.state.Running) continue;
          const status = await readExitStatus(core.paths(live.rec.id).status).catch(() => undefined);
          if (status && status.pid === live.rec.state.Pid) await this.handle(live, status);
          else if (checkMonitors && live.rec.monitorPid > 0 && !monitorAlive(live.rec.monitorPid)) await this.monitorLost(live, 'died');
        }
      } while (this.pollAgain && !core.closed);
    } finally {
      this.polling = false;
    }
  }

  /**
   * A running container whose monitor is gone (`when` says how, for the record's Error): its exit
   * is recorded, after the engine has killed what still runs of it. A status the monitor wrote
   * just before it went is taken as the exit.
   */
  async monitorLost(live: LiveContainer, when: string): Promise<void> {
    const core = this.core;
    const rec = live.rec;
    const { Pid: pid, StartedAt: startedAt } = rec.state;
    const monitor = rec.monitorPid;
    const status = await readExitStatus(core.paths(rec.id).status).catch(() => undefined);
    if (status && status.pid === pid) return this.handle(live, status);
    let killed = false;
    if (processAlive(pid)) {
      killed = await core.runner.runc.kill(rec.id, 'SIGKILL', { all: true }).then(
        () => true,
        () => false,
      );
      // (runc knew it, so the pid is still the container's init, not a newer process.)
      for (let i = 0; killed && i < 250 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    }
    const what = `the container's monitor (berth-shim, pid ${monitor}) ${when}`;
    core.logger.error('container monitor lost', { id: rec.id, monitorPid: monitor, killed });
    await this.handle(
      live,
      { pid, exitCode: killed ? 137 : 255, signal: killed ? 9 : 0, oomKilled: false, startedAt, finishedAt: iso(core.clock.now()) },
      killed ? `${what}; the engine killed the container, which nothing could reap or log any more` : `${what}; how the container ended is unknown`,
    );
  }

  async handle(live: LiveContainer, status: ExitStatus, error = ''): Promise<void> {
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
      Error: error,
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
