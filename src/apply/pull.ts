// Pulling and pushing a project's images through the engine port: every image at once (up to the
// parallel limit), each reported as one progress row (`Image busybox:1  Pulling 12.3MB/40.1MB`)
// that the engine's per-layer stream updates at most twice a second, then `Pulled` with the
// digest or `up to date`. A failure names the image, the services that need it and what the
// engine (and through it the registry) said.
import PQueue from 'p-queue';
import type { EnginePort, TransferProgress } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import { humanSize } from '../lib/human-size.js';
import type { PullStep } from '../plan/pulls.js';
import type { ProgressTracker } from './progress.js';

export class PullFailedError extends BerthError {}

export interface TransferExecution {
  port: EnginePort;
  progress: ProgressTracker;
  now: () => number;
  parallel?: number;
  signal?: AbortSignal;
  /** Report failures and go on (`berth pull --ignore-pull-failures`). */
  ignoreFailures?: boolean;
}

export interface TransferFailure {
  image: string;
  services: string[];
  message: string;
}

/** Sums the layers' bytes of one image's progress stream into a short detail, throttled. */
function detailFor(x: TransferExecution, image: string, status: 'Pulling' | 'Pushing'): (p: TransferProgress) => void {
  const layers = new Map<string, { current: number; total: number }>();
  let last = 0;
  return (p) => {
    if (!p.id || p.total === undefined || p.current === undefined) return;
    layers.set(p.id, { current: p.current, total: p.total });
    const now = x.now();
    if (now - last < 500) return;
    last = now;
    let current = 0;
    let total = 0;
    for (const l of layers.values()) {
      current += l.current;
      total += l.total;
    }
    x.progress.emit('Image', image, status, { detail: `${humanSize(current)}/${humanSize(total)}` });
  };
}

async function run(steps: PullStep[], x: TransferExecution, verb: 'pull' | 'push'): Promise<TransferFailure[]> {
  const queue = new PQueue({ concurrency: x.parallel && x.parallel > 0 ? x.parallel : Infinity });
  const failures: TransferFailure[] = [];
  const [doing, done] = verb === 'pull' ? (['Pulling', 'Pulled'] as const) : (['Pushing', 'Pushed'] as const);
  await Promise.all(
    steps.map((step) =>
      queue.add(async () => {
        if (x.signal?.aborted) return;
        x.progress.emit('Image', step.image, doing);
        const options = { ...(x.signal ? { signal: x.signal } : {}), onProgress: detailFor(x, step.image, doing) };
        try {
          if (verb === 'pull') {
            const r = await x.port.images.pull(step.image, options);
            x.progress.emit('Image', step.image, done, { detail: r.updated ? (r.digest ? r.digest.slice(0, 19) : 'downloaded') : 'up to date' });
          } else {
            const r = await x.port.images.push(step.image, options);
            x.progress.emit('Image', step.image, done, { ...(r.digest ? { detail: r.digest.slice(0, 19) } : {}) });
          }
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          x.progress.emit('Image', step.image, 'Error', { detail: message });
          failures.push({ image: step.image, services: step.services, message });
        }
      }),
    ),
  );
  if (failures.length > 0 && !x.ignoreFailures) {
    const hint = verb === 'pull' ? 'check the image name and tag, and that you are logged in to its registry (docker login)' : 'check that you are logged in to the registry (docker login) and may push there';
    throw new PullFailedError(`${failures.map((f) => `${verb} of ${f.image} (for ${f.services.join(', ')}) failed: ${f.message}`).join('\n')}\n(${hint})`);
  }
  return failures;
}

export function executePulls(pulls: PullStep[], x: TransferExecution): Promise<TransferFailure[]> {
  return run(pulls, x, 'pull');
}

export function executePushes(pushes: PullStep[], x: TransferExecution): Promise<TransferFailure[]> {
  return run(pushes, x, 'push');
}
