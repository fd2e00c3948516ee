// Carries out develop.watch actions on the running containers of a service: `sync` copies the
// changed files in through the archive API (one tar per container, PUT /containers/{id}/archive)
// and deletes the removed ones with `rm -rf` in an exec session; `restart` restarts the
// containers; `sync+exec` runs a command after the copy; `rebuild` is handed back to the caller,
// which owns the stack (it re-creates the service, or explains why it cannot).
//
// Changes are batched the way the stack loop batches them: events add paths to a pending set,
// a quiet window later one worker takes the whole set and looks at the disk *then* (a file that
// exists is copied, one that does not is deleted), so a burst of saves is one copy of the newest
// contents, and paths that arrive during a sync are taken by the next one.
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { writeTar, type TarWriteEntry } from '../lib/tar.js';
import type { EnginePort } from '../client/engine-port.js';
import { serviceContainersFilter } from '../observe/labels.js';
import type { Clock, TimerHandle } from '../lib/clock.js';
import { containerPathFor, ruleMatches, syncs, type DevelopRule } from './develop.js';

/** The engine calls a sync needs. */
export type DevelopEngine = Pick<EnginePort, 'containers' | 'exec'>;

export interface DevelopReport {
  service: string;
  action: DevelopRule['action'];
  containers: string[];
  copied: string[];
  removed: string[];
  /** What exec printed, for sync+exec. */
  output?: string;
  error?: string;
  ms: number;
}

export interface DevelopSyncerOptions {
  engine: DevelopEngine;
  project: () => string;
  clock: Clock;
  debounceMs: number;
  report: (r: DevelopReport) => void;
  /** `rebuild`: the caller re-creates the service (or throws why it cannot); returns a note for the report. */
  rebuild: (service: string) => Promise<string | undefined>;
}

export class DevelopSyncer {
  private rules: DevelopRule[] = [];
  private pending = new Set<string>();
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private closed = false;

  constructor(private readonly opts: DevelopSyncerOptions) {}

  setRules(rules: DevelopRule[]): void {
    this.rules = rules;
  }

  markChanged(file: string): void {
    if (this.closed) return;
    this.pending.add(file);
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.running) this.rerun = true;
      else this.kick();
    }, this.opts.debounceMs);
  }

  /** Copies the whole tree of every `initial_sync` rule (after its service was (re)created). */
  async initialSync(services?: ReadonlySet<string>): Promise<void> {
    const rules = this.rules.filter((r) => r.initialSync && syncs(r.action) && (!services || services.has(r.service)));
    for (const rule of rules) {
      const files = walk(rule.path).filter((f) => ruleMatches(rule, f));
      await this.runRule(rule, files);
    }
  }

  /** Resolves when nothing is pending or running (a pending debounce timer counts). */
  async idle(): Promise<void> {
    while (this.running || this.timer || this.rerun) {
      await (this.running ?? new Promise((r) => setImmediate(r)));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private kick(): void {
    const files = [...this.pending].sort();
    this.pending.clear();
    this.running = this.runBatch(files).finally(() => {
      this.running = undefined;
      if (this.rerun && !this.closed) {
        this.rerun = false;
        this.kick();
      }
    });
  }

  private async runBatch(files: string[]): Promise<void> {
    for (const rule of this.rules) {
      const mine = files.filter((f) => ruleMatches(rule, f));
      if (mine.length) await this.runRule(rule, mine);
    }
  }

  private async runRule(rule: DevelopRule, files: string[]): Promise<void> {
    const started = this.opts.clock.now();
    const report: DevelopReport = { service: rule.service, action: rule.action, containers: [], copied: [], removed: [], ms: 0 };
    try {
      if (rule.action === 'rebuild') {
        report.output = await this.opts.rebuild(rule.service);
      } else {
        const containers = (await this.opts.engine.containers.list({ filters: serviceContainersFilter(this.opts.project(), rule.service) })).filter(
          (c) => c.State === 'running',
        );
        report.containers = containers.map((c) => c.Id);
        if (syncs(rule.action)) {
          const batch = syncBatch(rule, files);
          report.copied = batch.copy.map((e) => e.containerPath);
          report.removed = batch.remove;
          for (const c of containers) await this.syncInto(c.Id, batch);
        }
        if (rule.action === 'restart' || rule.action === 'sync+restart') {
          for (const c of containers) await this.opts.engine.containers.restart(c.Id);
        }
        if (rule.action === 'sync+exec' && rule.exec) {
          const outputs: string[] = [];
          for (const c of containers) outputs.push(await this.execIn(c.Id, rule.exec.command, rule.exec));
          report.output = outputs.join('');
        }
      }
    } catch (e) {
      report.error = e instanceof Error ? e.message : String(e);
    }
    report.ms = this.opts.clock.now() - started;
    this.opts.report(report);
  }

  private async syncInto(containerId: string, batch: SyncBatch): Promise<void> {
    if (batch.copy.length) {
      const chunks: Buffer[] = [];
      for await (const c of writeTar(batch.copy.map((e) => e.entry))) chunks.push(c);
      await this.opts.engine.containers.putArchive(containerId, '/', Buffer.concat(chunks));
    }
    if (batch.remove.length) await this.execIn(containerId, ['rm', '-rf', '--', ...batch.remove]);
  }

  private async execIn(containerId: string, cmd: string[], opts: { user?: string; privileged?: boolean; working_dir?: string; environment?: string[] } = {}): Promise<string> {
    const { Id } = await this.opts.engine.exec.create(containerId, {
      Cmd: cmd,
      User: opts.user,
      Privileged: opts.privileged,
      WorkingDir: opts.working_dir,
      Env: opts.environment,
      AttachStdout: true,
      AttachStderr: true,
    });
    let out = '';
    for await (const chunk of await this.opts.engine.exec.start(Id)) out += chunk.data.toString();
    const { ExitCode } = await this.opts.engine.exec.inspect(Id);
    if (ExitCode) throw new Error(`${cmd.join(' ')} exited with ${ExitCode} in container ${containerId.slice(0, 12)}${out ? `: ${out.trim()}` : ''}`);
    return out;
  }
}

interface SyncBatch {
  copy: { containerPath: string; entry: TarWriteEntry }[];
  remove: string[];
}

/** Looks at the disk now: what exists is copied (directories with their matching contents), what does not is removed. */
export function syncBatch(rule: DevelopRule, files: readonly string[]): SyncBatch {
  const copy: SyncBatch['copy'] = [];
  const remove: string[] = [];
  const seen = new Set<string>();
  const add = (file: string, st: Stats) => {
    const containerPath = containerPathFor(rule, file);
    if (seen.has(containerPath)) return;
    seen.add(containerPath);
    const base = { path: containerPath.replace(/^\/+/, ''), mode: st.mode & 0o7777, mtime: st.mtime };
    if (st.isSymbolicLink()) copy.push({ containerPath, entry: { ...base, type: 'symlink', linkpath: readlinkSync(file) } });
    else if (st.isDirectory()) copy.push({ containerPath, entry: { ...base, type: 'directory' } });
    else if (st.isFile()) copy.push({ containerPath, entry: { ...base, type: 'file', body: readFileSync(file) } });
  };
  for (const file of files) {
    let st: Stats;
    try {
      st = lstatSync(file);
    } catch {
      remove.push(containerPathFor(rule, file));
      continue;
    }
    add(file, st);
    if (st.isDirectory()) for (const inner of walk(file)) if (ruleMatches(rule, inner)) add(inner, lstatSync(inner));
  }
  return { copy, remove };
}

/** Every entry below `root` (a file root is itself), directories before their contents. */
function walk(root: string): string[] {
  const out: string[] = [];
  let st: Stats;
  try {
    st = lstatSync(root);
  } catch {
    return out;
  }
  if (!st.isDirectory()) return [root];
  for (const name of readdirSync(root).sort()) {
    const p = path.join(root, name);
    if (name === '.git') continue;
    out.push(p);
    if (lstatSync(p).isDirectory()) out.push(...walk(p).filter((x) => x !== p));
  }
  return out;
}
