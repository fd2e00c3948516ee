// The engine's containers in memory: each persisted record with what only a running daemon holds
// about it (its operation queue, who waits for its exit or removal, a run prepared ahead of its
// start), and the lookups dockerd offers (full id, name with or without `/`, unique id prefix).
//
// Concurrency: every state-changing call on one container runs through that container's queue
// (`serial`), so start/stop/remove never interleave; exit handling only updates the record and
// queues follow-up work (cleanup, restart, auto-remove) on the same queue.

import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, type ContainerWaitResponse } from '../backend.js';
import type { ContainerRecord } from './record.js';

/** A run created ahead of its start (runc create done, process not yet exec'd). */
export interface PreparedRun {
  pid: number;
  monitorPid: number;
  /** Undoes the preparation when no start comes. */
  expiry: NodeJS.Timeout;
}

export interface LiveContainer {
  rec: ContainerRecord;
  queue: Promise<unknown>;
  exitWaiters: ((r: ContainerWaitResponse) => void)[];
  removeWaiters: ((r: ContainerWaitResponse) => void)[];
  /** Exits observed since the daemon started: followers end when it passes the value they saw. */
  exits: number;
  /** Resolves the current run's exit (stop waits on it). */
  onExit: (() => void)[];
  removing: boolean;
  execIds: string[];
  /** The last run's exit as recorded (state set and persisted): stop and kill answer once it is. */
  recorded: Promise<void>;
  /**
   * The cleanup of the last run (unmount, runc delete, sandbox), which runs after `recorded`, in the
   * background. Everything that needs it awaits it: every serialized operation on the container
   * (start, restart, remove, cp, connect…), `docker wait`, engine close.
   */
  cleaning: Promise<void>;
  /** Client stdin attached before the run started (`docker run -i` attaches, then starts). */
  pendingStdin: Readable[];
  /** A run created ahead of its start. */
  prepared?: PreparedRun;
}

export class ContainerTable {
  private readonly byId = new Map<string, LiveContainer>();

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<LiveContainer> {
    return this.byId.values();
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  get(id: string): LiveContainer | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Adds a record (a create, or one read back at daemon start). */
  add(rec: ContainerRecord): LiveContainer {
    const live: LiveContainer = { rec, queue: Promise.resolve(), exitWaiters: [], removeWaiters: [], exits: 0, onExit: [], removing: false, execIds: [], recorded: Promise.resolve(), cleaning: Promise.resolve(), pendingStdin: [] };
    this.byId.set(rec.id, live);
    return live;
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  /** The container holding `name` (without its `/`), if any. */
  named(name: string): LiveContainer | undefined {
    for (const l of this.byId.values()) if (l.rec.name === name) return l;
    return undefined;
  }

  /** By full id, name (with or without `/`), or unique id prefix, as dockerd looks containers up. */
  find(ref: string): LiveContainer {
    const byId = this.byId.get(ref);
    if (byId) return byId;
    const named = this.named(ref.replace(/^\//, ''));
    if (named) return named;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.byId.values()].filter((l) => l.rec.id.startsWith(ref));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  /** Runs `fn` after the container's earlier operations, and after the cleanup of its last run. */
  serial<T>(live: LiveContainer, fn: () => Promise<T>): Promise<T> {
    const run = live.queue.then(() => live.cleaning).then(fn, fn);
    live.queue = run.catch(() => undefined);
    return run;
  }
}
