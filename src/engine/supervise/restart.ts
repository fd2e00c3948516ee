/**
 * Restart policies with Docker's semantics (moby `restartmanager/restartmanager.go` and the exit
 * handling in `daemon/monitor.go`). The supervisor only decides and waits; the daemon owns the
 * container and performs the restart through the injected `restart` callback.
 *
 * Lifecycle of one container, as the daemon reports it:
 *   started(id, policy) ── exited(id, …) ──▶ back-off timer ──▶ restart(id) ──▶ started(id, policy) …
 * A `started` call made while `restart(id)` is in flight is the restart itself and keeps the
 * RestartCount; any other `started` call is a user's `docker start` and resets the count and the
 * back-off, as moby's `ResetRestartManager(true)` does.
 */
import type { Clock, TimerHandle } from '../../lib/clock.js';

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount?: number;
}

export interface ContainerExit {
  exitCode: number;
  /** `docker stop`/`kill`/`restart` by a user: no policy restarts it, pending restarts are cancelled. */
  manualStop: boolean;
  /** The daemon is stopping its containers on shutdown: no restart now (see `shouldRestartOnDaemonStart`). */
  daemonShutdown?: boolean;
}

export interface RestartDecision {
  willRestart: boolean;
  /** Back-off before `restart(id)` is called, when `willRestart`. */
  delayMs?: number;
}

export interface RestartSupervisorOptions {
  clock: Clock;
  restart: (id: string) => Promise<void>;
  /** Called once when a policy stops restarting a failing container (retries exhausted, restart failed for good). */
  onGiveUp?: (id: string, reason: string) => void;
}

/** First back-off delay; it doubles on each restart up to the cap. */
export const RESTART_BACKOFF_INITIAL_MS = 100;
export const RESTART_BACKOFF_MAX_MS = 60_000;
/** A container that ran at least this long restarts after the initial delay again. */
export const RESTART_BACKOFF_RESET_AFTER_MS = 10_000;
/** Exit code recorded for a restart that failed without one of its own (moby's `exitUnknown`). */
export const RESTART_FAILED_EXIT_CODE = 128;

type PolicyName = 'no' | 'always' | 'on-failure' | 'unless-stopped';

interface NormalizedPolicy {
  name: PolicyName;
  /** 0 means unlimited, as in Docker. */
  maxRetries: number;
}

function normalizePolicy(policy: RestartPolicy | undefined): NormalizedPolicy {
  const name = policy?.Name;
  const known: PolicyName = name === 'always' || name === 'on-failure' || name === 'unless-stopped' ? name : 'no';
  const max = policy?.MaximumRetryCount;
  return { name: known, maxRetries: typeof max === 'number' && Number.isFinite(max) && max > 0 ? Math.floor(max) : 0 };
}

/**
 * Whether a daemon that just started should start a stopped container again (moby's
 * `container.ShouldRestart` during restore): `always` even after a manual stop, `unless-stopped`
 * only if it was not stopped manually, `on-failure` after a non-zero exit within its retries.
 * Only containers that were started at least once qualify; the daemon checks that.
 */
export function shouldRestartOnDaemonStart(
  policy: RestartPolicy | undefined,
  last: { exitCode: number; manuallyStopped: boolean; restartCount?: number },
): boolean {
  const p = normalizePolicy(policy);
  switch (p.name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !last.manuallyStopped;
    case 'on-failure':
      return last.exitCode !== 0 && (p.maxRetries === 0 || (last.restartCount ?? 0) < p.maxRetries);
    case 'no':
      return false;
  }
}

/**
 * running    – the container runs (or `started` was never followed by `exited`)
 * exited     – stopped for good as far as the policy is concerned
 * backoff    – waiting for the back-off timer (State.Restarting)
 * restarting – `restart(id)` in flight (State.Restarting)
 */
type Phase = 'running' | 'exited' | 'backoff' | 'restarting';

interface Entry {
  policy: NormalizedPolicy;
  phase: Phase;
  startedAt: number;
  restartCount: number;
  /** moby's `rm.timeout`: the last back-off used, 0 before the first exit. */
  backoffMs: number;
  timer?: TimerHandle;
  dueAt?: number;
  /** Bumped whenever a pending timer or in-flight restart is superseded, so its callback is ignored. */
  attempt: number;
}

function errorExitCode(err: unknown): number {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code !== 0 ? code : RESTART_FAILED_EXIT_CODE;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RestartSupervisor {
  private readonly clock: Clock;
  private readonly restartFn: (id: string) => Promise<void>;
  private readonly onGiveUp?: (id: string, reason: string) => void;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: RestartSupervisorOptions) {
    this.clock = opts.clock;
    this.restartFn = opts.restart;
    this.onGiveUp = opts.onGiveUp;
  }

  /**
   * The container is running under `policy` since `at` (default: now). `restored.restartCount`
   * re-adopts a container after a daemon restart or a policy update without resetting its count.
   */
  started(id: string, policy: RestartPolicy, at?: number, restored?: { restartCount?: number }): void {
    const previous = this.entries.get(id);
    const isOwnRestart = previous?.phase === 'restarting';
    if (previous !== undefined) this.cancelTimer(previous);
    const keep = isOwnRestart && previous !== undefined;
    this.entries.set(id, {
      policy: normalizePolicy(policy),
      phase: 'running',
      startedAt: at ?? this.clock.now(),
      restartCount: restored?.restartCount ?? (keep ? previous.restartCount : 0),
      backoffMs: keep ? previous.backoffMs : 0,
      attempt: (previous?.attempt ?? 0) + 1,
    });
  }

  /** The container's process ended; decides (and schedules) a restart. */
  exited(id: string, exit: ContainerExit): RestartDecision {
    const entry = this.entries.get(id);
    if (entry === undefined) return { willRestart: false };
    if (exit.manualStop || exit.daemonShutdown) {
      // moby cancels the restart manager before killing: no count, no back-off change.
      this.cancelTimer(entry);
      entry.attempt++;
      entry.phase = 'exited';
      return { willRestart: false };
    }
    if (entry.phase === 'backoff') {
      // A duplicate report for an exit already handled: the pending restart stands.
      return { willRestart: true, delayMs: Math.max(0, (entry.dueAt ?? 0) - this.clock.now()) };
    }
    if (entry.phase === 'exited') return { willRestart: false };
    const { decision, giveUp } = this.decide(id, entry, exit.exitCode);
    if (giveUp !== undefined) this.onGiveUp?.(id, giveUp);
    return decision;
  }

  /** Drops all state and any pending restart (container removed, or about to be re-registered). */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.cancelTimer(entry);
    entry.attempt++;
    this.entries.delete(id);
  }

  /** Restarts done by the policy since the last user start (inspect's RestartCount). */
  restartCount(id: string): number {
    return this.entries.get(id)?.restartCount ?? 0;
  }

  /** True while a restart is pending or in progress (inspect's State.Restarting). */
  isRestarting(id: string): boolean {
    const phase = this.entries.get(id)?.phase;
    return phase === 'backoff' || phase === 'restarting';
  }

  /** Applies the policy to one exit (moby's `ShouldRestart`) and arms the back-off timer. */
  private decide(id: string, entry: Entry, exitCode: number): { decision: RestartDecision; giveUp?: string } {
    const ranMs = this.clock.now() - entry.startedAt;
    // moby updates the back-off on every exit, before looking at the policy.
    if (ranMs >= RESTART_BACKOFF_RESET_AFTER_MS) entry.backoffMs = 0;
    if (entry.backoffMs === 0) entry.backoffMs = RESTART_BACKOFF_INITIAL_MS;
    else if (entry.backoffMs < RESTART_BACKOFF_MAX_MS) entry.backoffMs *= 2;
    entry.backoffMs = Math.min(entry.backoffMs, RESTART_BACKOFF_MAX_MS);

    const { name, maxRetries } = entry.policy;
    let restart = false;
    let giveUp: string | undefined;
    if (name === 'always' || name === 'unless-stopped') {
      restart = true;
    } else if (name === 'on-failure' && exitCode !== 0) {
      restart = maxRetries === 0 || entry.restartCount < maxRetries;
      if (!restart) giveUp = `maximum retry count ${maxRetries} reached`;
    }
    if (!restart) {
      entry.phase = 'exited';
      return { decision: { willRestart: false }, giveUp };
    }

    entry.restartCount++;
    entry.phase = 'backoff';
    const attempt = ++entry.attempt;
    const delayMs = entry.backoffMs;
    entry.dueAt = this.clock.now() + delayMs;
    entry.timer = this.clock.setTimeout(() => this.runRestart(id, attempt), delayMs);
    return { decision: { willRestart: true, delayMs } };
  }

  private runRestart(id: string, scheduled: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.attempt !== scheduled || entry.phase !== 'backoff') return;
    entry.timer = undefined;
    entry.dueAt = undefined;
    entry.phase = 'restarting';
    // Run time of a container that dies before `started` (or before restart() settles) counts from here.
    entry.startedAt = this.clock.now();
    const attempt = ++entry.attempt;
    let pending: Promise<void>;
    try {
      pending = this.restartFn(id);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => {
        const current = this.entries.get(id);
        // `started` during the restart already replaced the entry; otherwise the restart is the start.
        if (current !== undefined && current.attempt === attempt && current.phase === 'restarting') {
          current.phase = 'running';
          current.startedAt = this.clock.now();
        }
      },
      (err: unknown) => {
        const current = this.entries.get(id);
        if (current === undefined) return;
        // A restart that started the container (and so called `started`) before failing is still this attempt.
        const same =
          (current.phase === 'restarting' && current.attempt === attempt) ||
          (current.phase === 'running' && current.attempt === attempt + 1);
        if (!same) return;
        // A failed restart counts as an exit of the container, with the policy applied again.
        const { giveUp } = this.decide(id, current, errorExitCode(err));
        if (giveUp !== undefined) this.onGiveUp?.(id, `restart failed: ${errorMessage(err)} (${giveUp})`);
      },
    );
  }

  private cancelTimer(entry: Entry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.dueAt = undefined;
  }
}
