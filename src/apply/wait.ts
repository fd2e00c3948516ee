// `up --wait`: every container of the run is running (healthy when it has a healthcheck), or —
// unlike docker compose, which fails there — a one-shot that has exited 0. A container that exits
// non-zero or turns unhealthy fails the wait at once; `--wait-timeout` bounds the whole wait.

import type { EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import type { Plan } from '../plan/plan.js';
import type { ContainerWatch } from './container-watch.js';
import type { ProgressTracker } from './progress.js';

export class WaitFailedError extends BerthError {}

export async function waitForStack(
  plan: Plan,
  containers: Map<string, string[]>,
  names: Map<string, string>,
  x: { port: EnginePort; watch: ContainerWatch; progress: ProgressTracker; timeoutSeconds?: number; signal?: AbortSignal },
): Promise<void> {
  const abort = new AbortController();
  const onOuter = (): void => abort.abort();
  x.signal?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (x.timeoutSeconds === undefined) return;
    timer = setTimeout(() => {
      abort.abort();
      reject(new WaitFailedError(`timed out after ${x.timeoutSeconds}s waiting for the stack to be ready`));
    }, x.timeoutSeconds * 1000);
  });
  timeout.catch(() => undefined);
  const one = async (unitHealthcheck: boolean, id: string): Promise<void> => {
    const name = names.get(id) ?? id.slice(0, 12);
    const now = await x.port.containers.inspect(id);
    const hasHealthcheck = unitHealthcheck || Boolean(now.Config.Healthcheck?.Test?.length && now.Config.Healthcheck.Test[0] !== 'NONE');
    if (!now.State.Running) {
      if (now.State.ExitCode === 0 && now.State.Status === 'exited') {
        x.progress.emit('Container', name, 'Exited', { detail: 'exit code 0, done' });
        return;
      }
      throw new WaitFailedError(`container ${name} exited with code ${now.State.ExitCode}`);
    }
    if (!hasHealthcheck) {
      x.progress.emit('Container', name, 'Running');
      return;
    }
    x.progress.emit('Container', name, 'Waiting');
    try {
      await x.watch.healthy(id, name, abort.signal);
    } catch (e) {
      // A one-shot with a healthcheck may finish before it reports healthy: exit 0 is done.
      const after = await x.port.containers.inspect(id).catch(() => undefined);
      if (after && !after.State.Running && after.State.ExitCode === 0) {
        x.progress.emit('Container', name, 'Exited', { detail: 'exit code 0, done' });
        return;
      }
      throw new WaitFailedError((e as Error).message);
    }
    x.progress.emit('Container', name, 'Healthy');
  };
  try {
    const all = plan.units.flatMap((u) => (containers.get(u.id) ?? []).map((id) => one(u.healthcheck, id)));
    await Promise.race([Promise.all(all), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
    x.signal?.removeEventListener('abort', onOuter);
  }
}
