// Progress of up/down, one event per resource state change, and its renderers: a live view per
// resource in a terminal (`tty`), one line per change otherwise (`plain`), JSON lines (`json`),
// or nothing (`quiet`). Timings come from the injected clock, so tests see stable output.

export type ResourceKind = 'Network' | 'Volume' | 'Container' | 'Image' | 'Build'
  // a Swarm stack (src/swarm/)
  | 'Service' | 'Config' | 'Secret';

export type ProgressStatus =
  | 'Creating' | 'Created' | 'Recreate' | 'Recreated' | 'Starting' | 'Started' | 'Waiting' | 'Healthy'
  | 'Exited' | 'Running' | 'Stopping' | 'Stopped' | 'Removing' | 'Removed' | 'Error' | 'Skipped'
  // the lifecycle verbs (src/compose/lifecycle.ts)
  | 'Restarting' | 'Killing' | 'Killed' | 'Pausing' | 'Paused' | 'Unpausing' | 'Unpaused'
  // images (src/apply/pull.ts)
  | 'Pulling' | 'Pulled' | 'Pushing' | 'Pushed'
  // image builds (src/compose/build.ts): one row per Dockerfile step
  | 'Building' | 'Built' | 'Cached'
  // Swarm services: rolling updates and jobs
  | 'Updating' | 'Updated' | 'Completed';

export interface ProgressEvent {
  resource: ResourceKind;
  name: string;
  status: ProgressStatus;
  /** `exit code 0`, an error message. */
  detail?: string;
  /** Milliseconds since this resource's first event. */
  elapsedMs: number;
  /** A final state for this step (no spinner). */
  done: boolean;
}

export interface ProgressReporter {
  event(e: ProgressEvent): void;
  /** Finishes the live view; later output goes below it. */
  close(): void;
}

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

/** Tracks first-seen times so each event carries its resource's elapsed time. */
export class ProgressTracker {
  private readonly started = new Map<string, number>();
  constructor(
    private readonly reporter: ProgressReporter,
    private readonly now: () => number,
  ) {}

  emit(resource: ResourceKind, name: string, status: ProgressStatus, options: { detail?: string; done?: boolean } = {}): void {
    const key = `${resource} ${name}`;
    const t = this.now();
    if (!this.started.has(key) || /^(Creating|Recreate|Starting|Stopping|Removing|Waiting|Restarting|Killing|Pausing|Unpausing|Pulling|Pushing|Building|Updating)$/.test(status) && !this.started.has(`${key}#${status}`)) {
      if (!this.started.has(key)) this.started.set(key, t);
      this.started.set(`${key}#${status}`, t);
    }
    const doneStates: ProgressStatus[] = ['Created', 'Recreated', 'Started', 'Healthy', 'Exited', 'Running', 'Stopped', 'Removed', 'Error', 'Skipped', 'Killed', 'Paused', 'Unpaused', 'Pulled', 'Pushed', 'Built', 'Cached', 'Updated', 'Completed'];
    this.reporter.event({
      resource,
      name,
      status,
      ...(options.detail ? { detail: options.detail } : {}),
      elapsedMs: t - this.started.get(key)!,
      done: options.done ?? doneStates.includes(status),
    });
  }

  close(): void {
    this.reporter.close();
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export function plainReporter(write: (text: string) => void): ProgressReporter {
  return {
    event: (e) => write(`${e.resource} ${e.name}  ${e.status}${e.detail ? ` (${e.detail})` : ''}${e.done ? `  ${seconds(e.elapsedMs)}` : ''}\n`),
    close: () => undefined,
  };
}

export function jsonReporter(write: (text: string) => void): ProgressReporter {
  return {
    event: (e) => write(`${JSON.stringify({ resource: e.resource, name: e.name, status: e.status, ...(e.detail ? { detail: e.detail } : {}), elapsed_ms: e.elapsedMs, done: e.done })}\n`),
    close: () => undefined,
  };
}

export const quietReporter: ProgressReporter = { event: () => undefined, close: () => undefined };

/**
 * The live view: one row per resource, redrawn in place (cursor up, clear line) on every change.
 * Rows keep their first-seen order, so the view does not jump.
 */
export function ttyReporter(write: (text: string) => void, colour = true): ProgressReporter {
  const rows = new Map<string, ProgressEvent>();
  let drawn = 0;
  const paint = (e: ProgressEvent): string => {
    const mark = e.status === 'Error' ? '✘' : e.done ? '✔' : '⠿';
    const line = ` ${mark} ${e.resource} ${e.name.padEnd(28)} ${e.status.padEnd(10)}${e.detail ? ` ${e.detail}` : ''}`;
    const time = seconds(e.elapsedMs).padStart(6);
    if (!colour) return `${line} ${time}`;
    const c = e.status === 'Error' ? '\x1b[31m' : e.done ? '\x1b[32m' : '\x1b[36m';
    return `${c}${line}\x1b[0m \x1b[2m${time}\x1b[0m`;
  };
  const redraw = (): void => {
    let out = drawn ? `\x1b[${drawn}A` : '';
    for (const e of rows.values()) out += `\r\x1b[2K${paint(e)}\n`;
    drawn = rows.size;
    write(out);
  };
  return {
    event: (e) => {
      rows.set(`${e.resource} ${e.name}`, e);
      redraw();
    },
    close: () => undefined,
  };
}

export function reporterFor(mode: ProgressMode, write: (text: string) => void, colour: boolean): ProgressReporter {
  switch (mode) {
    case 'tty':
      return ttyReporter(write, colour);
    case 'json':
      return jsonReporter(write);
    case 'quiet':
      return quietReporter;
    default:
      return plainReporter(write);
  }
}
