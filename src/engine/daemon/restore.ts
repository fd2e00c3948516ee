// Live restore: a daemon that starts on an existing root re-adopts the containers of the one
// before it. Running ones are watched again (their monitors kept them running), exits that
// happened meanwhile are processed with their restart policies, runs prepared but never started
// are undone.

import { loadRecords } from '../container/record.js';
import { monitorAlive, readExitStatus } from '../runtime/monitor.js';
import { mountsUnder } from '../runtime/rootfs.js';
import { shouldRestartOnDaemonStart } from '../supervise/restart.js';
import type { EngineCore } from './core.js';
import type { ExitHandler } from './exits.js';
import { cleanupRun, publishPorts, startRun } from './run.js';
import { onStarted } from './supervision.js';

/** A created runc container, a mounted rootfs or a network sandbox of a container that does not run. */
async function hasRunLeftovers(core: EngineCore, id: string): Promise<boolean> {
  if (await core.runner.runc.stateIfExists(id).catch(() => undefined)) return true;
  if (await core.net.hasSandbox(id)) return true;
  return (await mountsUnder(core.paths(id).rootfs)).length > 0;
}

export async function restoreContainers(core: EngineCore, exits: ExitHandler): Promise<void> {
  const { records, broken } = await loadRecords(core.recordsDir);
  for (const b of broken) core.logger.error('unreadable container record skipped', { file: b });
  for (const rec of records) core.containers.add(rec);
  for (const live of core.containers.values()) {
    const rec = live.rec;
    if (rec.state.Running) {
      // The supervisor learns of the run first, so an exit found now still gets its restart policy.
      onStarted(core, live, true);
      const status = await readExitStatus(core.paths(rec.id).status).catch(() => undefined);
      if (status && status.pid === rec.state.Pid) {
        await exits.handle(live, status);
        continue;
      }
      const runcState = await core.runner.runc.stateIfExists(rec.id).catch(() => undefined);
      // (Records of engines that kept no monitor pid: runc's word alone.)
      const monitored = rec.monitorPid > 0 ? monitorAlive(rec.monitorPid) : runcState?.status === 'running' || runcState?.status === 'paused';
      if (monitored) {
        rec.state.Paused = runcState?.status === 'paused';
        rec.state.Status = rec.state.Paused ? 'paused' : 'running';
        // The proxies died with the previous daemon; the same host ports are bound again.
        await publishPorts(core, live).then(
          (ports) => (rec.ports = ports),
          (e: unknown) => core.logger.error('re-publishing ports failed', { id: rec.id, error: String(e) }),
        );
        await core.vols.adopt(rec.id, core.mountsOf(rec));
        core.logger.info('container re-adopted', { id: rec.id, pid: rec.state.Pid });
        continue;
      }
      // Neither a status nor a monitor: the machine rebooted, or the monitor was killed (a
      // container still running without it is stopped: nothing could reap it any more).
      await exits.monitorLost(live, 'disappeared while the engine was down');
    } else {
      // Prepared by an earlier daemon (or it died preparing) and never started: undo; a start prepares anew.
      if (await hasRunLeftovers(core, rec.id)) {
        await cleanupRun(core, rec.id).catch((e: unknown) => core.logger.error('undoing a prepared run failed', { id: rec.id, error: String(e) }));
      }
      if (rec.hasBeenStarted && (rec.state.Restarting || shouldRestartOnDaemonStart(rec.hostConfig.RestartPolicy, { exitCode: rec.state.ExitCode, manuallyStopped: rec.manuallyStopped, restartCount: rec.restartCount }))) {
        void core.serial(live, () => startRun(core, live)).catch((e: unknown) => core.logger.error('restart at daemon start failed', { id: rec.id, error: String(e) }));
      }
    }
  }
}
