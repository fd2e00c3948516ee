// `up` as a sequence: gather engine state → plan → (dry run: print and stop) → execute → `--wait`
// or attached mode (multiplexed logs until the containers stop, Ctrl-C stops them gracefully,
// a second Ctrl-C kills them). Exit codes as docker compose gives them: 0, 1 on failure, the
// container's exit code with --exit-code-from / --abort-on-container-exit, 130 on interrupt.

import type { EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import type { Project } from '../model/project.js';
import { waitForStack } from '../apply/wait.js';
import { ProgressTracker, quietReporter, reporterFor, type ProgressMode } from '../apply/progress.js';
import { formatPlan } from '../plan/format.js';
import type { PlanOptions } from '../plan/plan.js';
import { converge } from './converge.js';
import { followLogs } from './log-mux.js';

export interface UpOptions extends PlanOptions {
  detach?: boolean;
  dryRun?: boolean;
  noStart?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  abortOnContainerExit?: boolean;
  abortOnContainerFailure?: boolean;
  exitCodeFrom?: string;
  attach?: string[];
  noAttach?: string[];
  timestamps?: boolean;
  parallel?: number;
  /** -t for stops during recreate and attached-mode shutdown. */
  timeout?: number;
  progress: ProgressMode;
  /** --quiet-pull: pulls report nothing. */
  quietPull?: boolean;
}

export interface UpEnvironment {
  port: EnginePort;
  stdout: (t: string) => void;
  stderr: (t: string) => void;
  colour: boolean;
  now: () => number;
  onInterrupt?: (handler: () => void) => () => void;
}

export class UpFailedError extends BerthError {
  constructor(message: string, override readonly exitCode: number = 1) {
    super(message);
  }
}

export async function composeUp(project: Project, opts: UpOptions, env: UpEnvironment): Promise<number> {
  const startedAt = env.now();
  const tracker = new ProgressTracker(reporterFor(opts.progress, env.stderr, env.colour), env.now);
  const abort = new AbortController();
  let interrupts = 0;
  const off = env.onInterrupt?.(() => {
    interrupts++;
    abort.abort();
  });
  try {
    const waits = opts.wait === true && !opts.noStart;
    const pullProgress = opts.quietPull ? new ProgressTracker(quietReporter, env.now) : tracker;
    const { plan, applied } = await converge({ port: env.port, project, progress: tracker, pullProgress, now: env.now, signal: abort.signal }, opts, {
      parallel: opts.parallel,
      noStart: opts.noStart,
      stopTimeout: opts.timeout,
      keepWatch: waits,
      warn: (w) => env.stderr(`warning: ${w}\n`),
      review: (p) => {
        for (const w of p.warnings) env.stderr(`warning: ${w}\n`);
        if (!opts.dryRun) return true;
        env.stdout(formatPlan({ ...p, warnings: [] }));
        return false;
      },
    });
    if (!applied) return 0;
    const { containers, names, watch } = applied;
    try {
      if (waits) await waitForStack(plan, containers, names, { port: env.port, watch, progress: tracker, timeoutSeconds: opts.waitTimeout, signal: abort.signal });
    } finally {
      if (waits) await watch.close();
      tracker.close();
    }
    if (opts.detach || opts.wait || opts.noStart) return 0;
    return await attached(project, plan.units.flatMap((u) => (containers.get(u.id) ?? []).map((id) => ({ id, name: names.get(id) ?? id.slice(0, 12), service: u.service }))), opts, env, abort, () => interrupts, Math.floor(startedAt / 1000));
  } catch (e) {
    if (abort.signal.aborted) {
      env.stderr('interrupted\n');
      return 130;
    }
    throw e;
  } finally {
    off?.();
  }
}

/** Attached mode: follow logs until every attached container stopped, or abort rules say stop. */
async function attached(
  project: Project,
  all: { id: string; name: string; service: string }[],
  opts: UpOptions,
  env: UpEnvironment,
  interrupt: AbortController,
  interrupts: () => number,
  since: number,
): Promise<number> {
  const attachSet = opts.attach?.length ? new Set(opts.attach) : undefined;
  const noAttach = new Set(opts.noAttach ?? []);
  const followed = all.filter((c) => (!attachSet || attachSet.has(c.service)) && !noAttach.has(c.service));
  const logsAbort = new AbortController();
  const streams = followLogs(followed, { port: env.port, write: env.stdout, colour: env.colour, timestamps: opts.timestamps, since, signal: logsAbort.signal, now: env.now });
  let exitCode = 0;
  let aborting = false;
  const stopAll = async (kill: boolean): Promise<void> => {
    await Promise.all(
      all.map(async (c) => {
        try {
          if (kill) await env.port.containers.kill(c.id);
          else await env.port.containers.stop(c.id, opts.timeout !== undefined ? { timeout: opts.timeout } : {});
        } catch {
          // already stopped or gone
        }
      }),
    );
  };
  const exits = new Promise<void>((resolve) => {
    let pending = followed.length;
    if (pending === 0) resolve();
    for (const c of followed) {
      void streams.get(c.id)!.then(async () => {
        if (!interrupt.signal.aborted) {
          const info = await env.port.containers.inspect(c.id).catch(() => undefined);
          const code = info?.State.ExitCode ?? 0;
          if (info && !info.State.Running) {
            env.stdout(`${c.name} exited with code ${code}\n`);
            if (opts.exitCodeFrom === c.service) exitCode = code;
            const abortNow = (opts.abortOnContainerExit || (opts.abortOnContainerFailure && code !== 0)) && !aborting;
            if (abortNow) {
              aborting = true;
              if (!opts.exitCodeFrom) exitCode = code;
              env.stderr('Aborting on container exit...\n');
              await stopAll(false);
            }
          }
        }
        if (--pending === 0) resolve();
      });
    }
  });
  const onInterrupt = new Promise<void>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.race([exits, onInterrupt]);
  if (interrupt.signal.aborted) {
    env.stderr('Gracefully stopping... (press Ctrl+C again to force)\n');
    // A second Ctrl-C while stopping kills.
    const killer = setInterval(() => {
      if (interrupts() > 1) {
        clearInterval(killer);
        void stopAll(true);
      }
    }, 50);
    try {
      await stopAll(false);
    } finally {
      clearInterval(killer);
    }
    logsAbort.abort();
    await Promise.allSettled(streams.values());
    return 130;
  }
  logsAbort.abort();
  void project;
  return exitCode;
}
