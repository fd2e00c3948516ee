// How the engine notices that a container's process ended. The shim, not this process, is the
// parent of each container, so exits are seen by their trace on disk: the shim writes status.json
// (by rename) when the init has been reaped. An inotify watch on each running container's directory
// sees it at once; an interval poll is the fallback (no inotify, a missed event, a daemon that
// restarted). Either way only `onChange` is called: the exit handler reads the status files itself.

import { watch, type FSWatcher } from 'node:fs';

export class ExitWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly onChange: () => void) {}

  /** Starts the fallback poll (once the daemon has re-adopted its containers). */
  startPolling(pollMs: number): void {
    if (!this.closed && !this.timer) this.timer = setInterval(() => this.onChange(), pollMs);
  }

  /** Watches a running container's directory for its status file. */
  watch(id: string, dir: string): void {
    if (this.closed || this.watchers.has(id)) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, file) => {
        if (file === null || file === 'status.json') this.onChange();
      });
      w.on('error', () => this.unwatch(id));
      this.watchers.set(id, w);
    } catch {
      // no inotify (or the directory is gone): polling notices the exit
    }
  }

  unwatch(id: string): void {
    this.watchers.get(id)?.close();
    this.watchers.delete(id);
  }

  /** Asks for a look now (a signal found the process gone: its exit should be handled without waiting for the poll). */
  poke(): void {
    if (!this.closed) this.onChange();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
