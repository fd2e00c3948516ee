/**
 * Health checks with Docker's semantics (moby `daemon/health.go`, `container/health.go`). The
 * monitor decides when to probe and what a result means; the daemon runs the probe as an exec in
 * the container through the injected `exec`, and turns `onChange` into `health_status` events.
 */
import { Buffer } from 'node:buffer';
import type { Clock, TimerHandle } from '../../lib/clock.js';
import type { HealthConfig } from '../backend.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy' | 'none';

/** Docker's `HealthcheckResult`; Start and End are RFC 3339 timestamps. */
export interface HealthcheckResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** Docker's `State.Health`. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthcheckResult[];
}

export interface HealthMonitorOptions {
  clock: Clock;
  /** Runs `cmd` in the container; expected to kill it and settle once `timeoutMs` has passed. */
  exec: (id: string, cmd: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;
  /** Called when Status changes because of a probe result (not on start/stop, as in Docker). */
  onChange: (id: string, health: HealthState) => void;
}

const NS_PER_MS = 1_000_000;

export const HEALTH_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  retries: 3,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
} as const;
export const HEALTH_MAX_LOG_ENTRIES = 5;
export const HEALTH_MAX_OUTPUT_BYTES = 4096;

/** The argv a health-check test runs, or undefined when it runs nothing (absent, empty, NONE, unknown type). */
export function probeCommand(test: readonly string[] | undefined): string[] | undefined {
  if (test === undefined || test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest.length > 0 ? rest : undefined;
  // The shell form is one string, but Docker appends whatever follows, so do we.
  if (kind === 'CMD-SHELL') return rest.length > 0 ? ['/bin/sh', '-c', ...rest] : undefined;
  return undefined;
}

export interface HealthTiming {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
  /** The timeout as Docker prints it in "Health check exceeded timeout (30s)". */
  timeoutText: string;
}

function nsOrDefault(ns: number | undefined, defaultMs: number): number {
  return typeof ns === 'number' && Number.isFinite(ns) && ns > 0 ? ns : defaultMs * NS_PER_MS;
}

export function resolveHealthTiming(config: HealthConfig | undefined): HealthTiming {
  const timeoutNs = nsOrDefault(config?.Timeout, HEALTH_DEFAULTS.timeoutMs);
  const retries = config?.Retries;
  return {
    intervalMs: nsOrDefault(config?.Interval, HEALTH_DEFAULTS.intervalMs) / NS_PER_MS,
    timeoutMs: timeoutNs / NS_PER_MS,
    retries: typeof retries === 'number' && Number.isFinite(retries) && retries > 0 ? Math.floor(retries) : HEALTH_DEFAULTS.retries,
    startPeriodMs: nsOrDefault(config?.StartPeriod, HEALTH_DEFAULTS.startPeriodMs) / NS_PER_MS,
    startIntervalMs: nsOrDefault(config?.StartInterval, HEALTH_DEFAULTS.startIntervalMs) / NS_PER_MS,
    timeoutText: formatGoDuration(timeoutNs),
  };
}

/** `value / 10^digits` with the fraction's trailing zeros dropped, as Go's `fmtFrac` does. */
function withFraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const frac = String(value % scale).padStart(digits, '0').replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}

/** Go's `time.Duration.String()` for a duration in nanoseconds: 30s, 1m30s, 1.5s, 500ms, 1h0m0s. */
export function formatGoDuration(ns: number): string {
  const sign = ns < 0 ? '-' : '';
  const u = Math.round(Math.abs(ns));
  if (u === 0) return '0s';
  if (u < 1_000) return `${sign}${u}ns`;
  if (u < 1_000_000) return `${sign}${withFraction(u, 3)}µs`;
  if (u < 1_000_000_000) return `${sign}${withFraction(u, 6)}ms`;
  const seconds = withFraction(u % 60_000_000_000, 9);
  const totalMinutes = Math.floor(u / 60_000_000_000);
  if (totalMinutes === 0) return `${sign}${seconds}s`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return hours === 0 ? `${sign}${minutes}m${seconds}s` : `${sign}${hours}h${minutes}m${seconds}s`;
}

/** Keeps the first 4096 bytes of a probe's output, marking a cut with "..." as Docker does. */
export function truncateProbeOutput(output: string): string {
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= HEALTH_MAX_OUTPUT_BYTES) return output;
  // A character cut in half decodes to U+FFFD, like Go's JSON encoding of the truncated bytes.
  return `${bytes.subarray(0, HEALTH_MAX_OUTPUT_BYTES).toString('utf8')}...`;
}

interface Monitor {
  argv: string[];
  timing: HealthTiming;
  startedAt: number;
  status: HealthStatus;
  failingStreak: number;
  log: HealthcheckResult[];
  /** Unique across ids and restarts: results and timers of an older generation are ignored. */
  generation: number;
  active: boolean;
  timer?: TimerHandle;
  /** The interval elapsed while an older probe was still running: probe as soon as it settles. */
  runWhenIdle: boolean;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function snapshot(m: Monitor): HealthState {
  return { Status: m.status, FailingStreak: m.failingStreak, Log: m.log.map((r) => ({ ...r })) };
}

export class HealthMonitor {
  private readonly clock: Clock;
  private readonly execFn: HealthMonitorOptions['exec'];
  private readonly onChange: HealthMonitorOptions['onChange'];
  private readonly monitors = new Map<string, Monitor>();
  /** Ids with a probe whose exec has not settled yet, whatever its generation: probes never overlap. */
  private readonly busy = new Set<string>();
  private generations = 0;

  constructor(opts: HealthMonitorOptions) {
    this.clock = opts.clock;
    this.execFn = opts.exec;
    this.onChange = opts.onChange;
  }

  /**
   * (Re)starts checks for a container that started at `startedAt` (default now): status
   * `starting`, streak 0, the log of earlier runs kept. A config without a runnable test
   * (absent, empty, NONE) stops checks and `get` returns undefined, as Docker omits State.Health.
   */
  start(id: string, config: HealthConfig | undefined, startedAt?: number): void {
    const previous = this.monitors.get(id);
    if (previous !== undefined) this.halt(previous);
    const argv = probeCommand(config?.Test);
    if (argv === undefined) {
      this.monitors.delete(id);
      return;
    }
    const m: Monitor = {
      argv,
      timing: resolveHealthTiming(config),
      startedAt: startedAt ?? this.clock.now(),
      status: 'starting',
      failingStreak: 0,
      log: previous?.log ?? [],
      generation: ++this.generations,
      active: true,
      runWhenIdle: false,
    };
    this.monitors.set(id, m);
    this.schedule(id, m);
  }

  /**
   * Stops checks (container stopped or paused). The state stays readable with Status
   * `unhealthy`, which is what Docker reports for a container whose monitor stopped.
   */
  stop(id: string): void {
    const m = this.monitors.get(id);
    if (m === undefined || !m.active) return;
    this.halt(m);
    m.status = 'unhealthy';
  }

  /** Stops checks and drops the state (container removed). */
  forget(id: string): void {
    const m = this.monitors.get(id);
    if (m !== undefined) this.halt(m);
    this.monitors.delete(id);
  }

  get(id: string): HealthState | undefined {
    const m = this.monitors.get(id);
    return m === undefined ? undefined : snapshot(m);
  }

  private halt(m: Monitor): void {
    if (m.timer !== undefined) this.clock.clearTimeout(m.timer);
    m.timer = undefined;
    m.active = false;
    m.runWhenIdle = false;
    m.generation = ++this.generations;
  }

  /**
   * Delay before the next probe, measured from the end of the previous one (moby's getInterval):
   * the normal interval after the start period; inside it, StartInterval while still `starting`,
   * and never past the end of the start period, so the first counted probe runs right then.
   */
  private nextDelay(m: Monitor): number {
    const { intervalMs, startPeriodMs, startIntervalMs } = m.timing;
    const remaining = startPeriodMs - (this.clock.now() - m.startedAt);
    if (remaining <= 0) return intervalMs;
    return Math.min(m.status === 'starting' ? startIntervalMs : intervalMs, remaining);
  }

  private schedule(id: string, m: Monitor): void {
    const generation = m.generation;
    m.timer = this.clock.setTimeout(() => {
      const current = this.monitors.get(id);
      if (current === undefined || current.generation !== generation || !current.active) return;
      current.timer = undefined;
      if (this.busy.has(id)) current.runWhenIdle = true;
      else this.probe(id, current);
    }, this.nextDelay(m));
  }

  private probe(id: string, m: Monitor): void {
    const generation = m.generation;
    const startMs = this.clock.now();
    let recorded = false;
    const finish = (exitCode: number, output: string): void => {
      if (recorded) return;
      recorded = true;
      this.clock.clearTimeout(timeout);
      this.record(id, generation, startMs, { Start: iso(startMs), End: iso(this.clock.now()), ExitCode: exitCode, Output: truncateProbeOutput(output) });
    };
    // The result is known at the timeout; the next probe still waits for the exec to settle.
    const timeout = this.clock.setTimeout(
      () => finish(-1, `Health check exceeded timeout (${m.timing.timeoutText})`),
      m.timing.timeoutMs,
    );
    this.busy.add(id);
    let pending: Promise<{ exitCode: number; output: string }>;
    try {
      pending = this.execFn(id, [...m.argv], m.timing.timeoutMs);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending
      .then(
        (r) => finish(r.exitCode, r.output),
        (err: unknown) => finish(-1, err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        this.busy.delete(id);
        this.afterProbe(id, generation);
      });
  }

  private afterProbe(id: string, generation: number): void {
    const m = this.monitors.get(id);
    if (m === undefined || !m.active) return;
    if (m.generation === generation) this.schedule(id, m);
    else if (m.runWhenIdle) {
      m.runWhenIdle = false;
      this.probe(id, m);
    }
  }

  /** moby's handleProbeResult. */
  private record(id: string, generation: number, startMs: number, result: HealthcheckResult): void {
    const m = this.monitors.get(id);
    // A result that arrives after stop or restart belongs to a monitor that no longer exists.
    if (m === undefined || m.generation !== generation || !m.active) return;
    const before = m.status;
    m.log = [...m.log, result].slice(-HEALTH_MAX_LOG_ENTRIES);
    if (result.ExitCode === 0) {
      m.failingStreak = 0;
      m.status = 'healthy';
    } else {
      // Until a first success, failures of probes started within the start period do not count.
      const inStartPeriod = startMs - m.startedAt < m.timing.startPeriodMs;
      if (!(m.status === 'starting' && inStartPeriod)) {
        m.failingStreak++;
        if (m.failingStreak >= m.timing.retries) m.status = 'unhealthy';
      }
    }
    if (m.status !== before) this.onChange(id, snapshot(m));
  }
}
