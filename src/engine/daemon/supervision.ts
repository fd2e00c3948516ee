// Supervision hooks: every start and exit of a container passes through these two, so restart
// policies and health checks see the same lifecycle whether the user, a policy or live restore
// drove it.

import { probeCommand, type HealthState } from '../supervise/health.js';
import type { LiveContainer } from '../container/table.js';
import type { EngineCore } from './core.js';

export function onStarted(core: EngineCore, live: LiveContainer, restored = false): void {
  const rec = live.rec;
  core.exitWatch.watch(rec.id, core.paths(rec.id).dir);
  const startedAt = Date.parse(rec.state.StartedAt);
  core.restarts.started(rec.id, rec.hostConfig.RestartPolicy ?? {}, startedAt, restored ? { restartCount: rec.restartCount } : undefined);
  rec.restartCount = core.restarts.restartCount(rec.id);
  if (probeCommand(rec.config.Healthcheck?.Test) !== undefined) {
    core.health.start(rec.id, rec.config.Healthcheck, startedAt);
    rec.state.Health = core.health.get(rec.id) ?? rec.state.Health;
  } else delete rec.state.Health;
}

/** True when the restart policy will start the container again (after its back-off). */
export function onExited(core: EngineCore, live: LiveContainer): boolean {
  const rec = live.rec;
  core.health.stop(rec.id);
  if (rec.state.Health) rec.state.Health = { ...rec.state.Health, Status: 'unhealthy' };
  const manualStop = rec.manuallyStopped || live.removing || rec.hostConfig.AutoRemove === true;
  const decision = core.restarts.exited(rec.id, { exitCode: rec.state.ExitCode, manualStop, daemonShutdown: core.closed });
  rec.restartCount = core.restarts.restartCount(rec.id);
  return decision.willRestart;
}

/** What the HealthMonitor calls when a container's health changes. */
export function healthChanged(core: EngineCore, id: string, health: HealthState): void {
  const live = core.containers.get(id);
  if (!live || !live.rec.state.Running) return;
  live.rec.state.Health = health;
  void core.persist(live).catch(() => undefined);
  core.emit(live, `health_status: ${health.Status}`);
}
