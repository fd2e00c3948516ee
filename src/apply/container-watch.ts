// Waiting for containers to become healthy or to exit, driven by the engine's events stream, not
// by polling. One stream per run, opened with `since` = the moment the watch was made, so nothing
// that happens between subscribing and the engine's answer is missed; each wait checks the current
// state once (inspect) after registering, then only reacts to events.

import type { EngineEvent, EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';

export class DependencyFailedError extends BerthError {}

type Listener = (e: EngineEvent) => void;

export class ContainerWatch {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly abort = new AbortController();
  private streamError: unknown;
  private running: Promise<void> | undefined;

  /**
   * The stream opens at the first wait (a run that waits for nothing never opens it), replaying
   * from `sinceSeconds`, so what happened before it opened is still seen.
   */
  constructor(
    private readonly port: EnginePort,
    private readonly project: string,
    private readonly sinceSeconds: number,
  ) {}

  private open(): void {
    if (this.running) return;
    const events = this.port.events({
      filters: { type: ['container'], label: [`com.docker.compose.project=${this.project}`] },
      since: this.sinceSeconds,
      signal: this.abort.signal,
    });
    this.running = (async () => {
      try {
        for await (const e of events) {
          for (const l of this.listeners.get(e.Actor.ID) ?? []) l(e);
        }
      } catch (e) {
        if (!this.abort.signal.aborted) this.streamError = e;
        for (const set of this.listeners.values()) for (const l of set) l({ Type: 'container', Action: 'stream-error', Actor: { ID: '', Attributes: {} }, time: 0, timeNano: 0 });
      }
    })();
  }

  private on(id: string, l: Listener): () => void {
    const set = this.listeners.get(id) ?? this.listeners.set(id, new Set()).get(id)!;
    set.add(l);
    return () => void set.delete(l);
  }

  /**
   * Resolves when the container reports healthy; rejects when it exits or turns unhealthy, or when
   * it has no healthcheck (a `service_healthy` dependency on it can never be met).
   */
  async healthy(id: string, name: string, signal?: AbortSignal): Promise<void> {
    this.open();
    let off: () => void = () => undefined;
    let onAbort: () => void = () => undefined;
    const evented = new Promise<void>((resolve, reject) => {
      off = this.on(id, (e) => {
        if (e.Action === 'health_status: healthy' || e.Action === 'health_status:healthy') resolve();
        else if (e.Action === 'health_status: unhealthy' || e.Action === 'health_status:unhealthy') reject(new DependencyFailedError(`container ${name} is unhealthy`));
        else if (e.Action === 'die') reject(new DependencyFailedError(`container ${name} exited${e.Actor.Attributes.exitCode ? ` (${e.Actor.Attributes.exitCode})` : ''} before it was healthy`));
        else if (e.Action === 'stream-error') reject(new DependencyFailedError(`lost the engine's event stream while waiting for ${name} to be healthy: ${String((this.streamError as Error)?.message ?? this.streamError)}`));
      });
      onAbort = () => reject(new DependencyFailedError(`interrupted while waiting for ${name} to be healthy`));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // The events may settle this before it is awaited: a `die` while the inspect below is in
    // flight (a database killed by compare's blast-radius experiment as its dependents wait) was
    // an unhandled rejection, which ended the process and left the stack running. Marked handled
    // at once; `await evented` below still sees the rejection.
    evented.catch(() => undefined);
    try {
      const now = await this.port.containers.inspect(id);
      const health = now.State.Health?.Status;
      if (!now.Config.Healthcheck?.Test?.length && !health) throw new DependencyFailedError(`container ${name} has no healthcheck configured`);
      if (health === 'healthy') return;
      if (health === 'unhealthy') throw new DependencyFailedError(`container ${name} is unhealthy`);
      if (!now.State.Running) throw new DependencyFailedError(`container ${name} exited (${now.State.ExitCode}) before it was healthy`);
      await evented;
    } finally {
      off();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The exit code once the container is no longer running. */
  async exited(id: string, signal?: AbortSignal): Promise<number> {
    const r = await this.port.containers.wait(id, 'not-running', signal);
    return r.StatusCode;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.running;
  }
}
