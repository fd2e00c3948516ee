// `develop.watch` rules, as `docker compose watch` reads them: per service, a path to watch and
// an action to take when something below it changes (sync, rebuild, restart, sync+restart,
// sync+exec). This module only turns the model into rules and decides which rule a changed file
// falls under; develop-sync.ts carries the actions out.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ComposeError } from '../errors.js';
import type { Project } from '../model/project.js';
import type { WatchSpec } from './file-watcher.js';
import { isEditorTempFile, PathPatterns } from './patterns.js';

export type DevelopAction = 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';

const ACTIONS: readonly DevelopAction[] = ['sync', 'rebuild', 'restart', 'sync+restart', 'sync+exec'];

export interface DevelopExec {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: string[];
}

export interface DevelopRule {
  service: string;
  /** Index in the service's develop.watch list, for messages: `services.web.develop.watch[0]`. */
  index: number;
  action: DevelopAction;
  /** Absolute host path: a directory (watched recursively) or a file. */
  path: string;
  /** Absolute path in the container; required for the sync actions. */
  target?: string;
  ignore: PathPatterns;
  /** When set, only files matching one of these patterns count. */
  include?: PathPatterns;
  /** `.dockerignore` of the build context (or of the watched path), relative to `ignoreBase`. */
  dockerignore?: PathPatterns;
  ignoreBase: string;
  initialSync: boolean;
  exec?: DevelopExec;
}

export const syncs = (a: DevelopAction): boolean => a === 'sync' || a === 'sync+restart' || a === 'sync+exec';

/** `projectDir` resolves relative paths (the loader makes them absolute only in included and extended files). */
export function developRules(project: Project, projectDir: string): DevelopRule[] {
  const rules: DevelopRule[] = [];
  for (const [service, svc] of Object.entries(project.services).sort(([a], [b]) => a.localeCompare(b))) {
    const develop = svc.develop as { watch?: unknown[] } | undefined | null;
    const list = develop?.watch;
    if (!Array.isArray(list)) continue;
    list.forEach((raw, index) => {
      const where = ['services', service, 'develop', 'watch', index];
      const entry = raw as Record<string, unknown>;
      const action = entry.action as DevelopAction;
      if (!ACTIONS.includes(action)) {
        throw new ComposeError(`unknown develop.watch action ${JSON.stringify(entry.action)}`, { location: { path: [...where, 'action'] }, hint: `use one of ${ACTIONS.join(', ')}` });
      }
      if (typeof entry.path !== 'string' || entry.path === '') {
        throw new ComposeError('develop.watch needs a path (relative to the project directory)', { location: { path: [...where, 'path'] } });
      }
      const hostPath = path.resolve(projectDir, entry.path);
      const target = typeof entry.target === 'string' ? entry.target : undefined;
      if (syncs(action) && !target) {
        throw new ComposeError(`develop.watch action ${action} needs a target (where the files go in the container)`, { location: { path: [...where, 'target'] } });
      }
      if (target && !path.posix.isAbsolute(target)) {
        throw new ComposeError(`develop.watch target ${JSON.stringify(target)} must be an absolute path in the container`, { location: { path: [...where, 'target'] } });
      }
      const exec = action === 'sync+exec' ? execOf(entry.exec, [...where, 'exec']) : undefined;
      const contextDir = svc.build?.context && !/^[a-z]+:\/\//.test(svc.build.context) ? svc.build.context : undefined;
      const ignoreBase = contextDir ?? (isDirectory(hostPath) ? hostPath : path.dirname(hostPath));
      rules.push({
        service,
        index,
        action,
        path: hostPath,
        target,
        ignore: new PathPatterns(asList(entry.ignore)),
        include: entry.include === undefined ? undefined : new PathPatterns(asList(entry.include)),
        dockerignore: readDockerignore(ignoreBase),
        ignoreBase,
        initialSync: entry.initial_sync === true,
        exec,
      });
    });
  }
  return rules;
}

/** Whether a change of `file` (absolute) concerns `rule`. */
export function ruleMatches(rule: DevelopRule, file: string): boolean {
  const rel = relativeInside(rule.path, file);
  if (rel === undefined) return false;
  if (isEditorTempFile(file)) return false;
  if (rel !== '' && (rel === '.git' || rel.startsWith('.git/') || rel.includes('/.git/'))) return false;
  if (rel !== '' && rule.ignore.matches(rel)) return false;
  if (rule.include && rel !== '' && !rule.include.matches(rel)) return false;
  if (rule.dockerignore) {
    const fromBase = relativeInside(rule.ignoreBase, file);
    if (fromBase && rule.dockerignore.matches(fromBase)) return false;
  }
  return true;
}

/** Where a host file goes in the container under a sync rule. */
export function containerPathFor(rule: DevelopRule, file: string): string {
  const rel = relativeInside(rule.path, file) ?? '';
  return rel === '' ? rule.target! : path.posix.join(rule.target!, rel);
}

export function developWatchSpec(rules: readonly DevelopRule[]): WatchSpec {
  return {
    roots: [...new Set(rules.map((r) => r.path))].sort(),
    shallow: false,
    accept: (file) => rules.some((r) => ruleMatches(r, file)),
    // Do not descend into trees every rule ignores (node_modules, .git): they can be huge.
    enterDir: (dir) =>
      rules.some((r) => {
        const rel = relativeInside(r.path, dir);
        if (rel === undefined) return relativeInside(dir, r.path) !== undefined;
        return rel === '' || (!r.ignore.matches(rel) && rel !== '.git' && !rel.endsWith('/.git'));
      }),
  };
}

/** `file` relative to `base` in posix form, '' for base itself, undefined when outside. */
function relativeInside(base: string, file: string): string | undefined {
  const rel = path.relative(base, file);
  if (rel === '') return '';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

function readDockerignore(dir: string): PathPatterns | undefined {
  const file = path.join(dir, '.dockerignore');
  if (!existsSync(file)) return undefined;
  return new PathPatterns(readFileSync(file, 'utf8').split(/\r?\n/));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function execOf(raw: unknown, where: (string | number)[]): DevelopExec {
  const e = raw as Record<string, unknown> | undefined;
  const command = e?.command;
  if (command === undefined || command === null || (Array.isArray(command) && command.length === 0)) {
    throw new ComposeError('develop.watch action sync+exec needs exec.command', { location: { path: [...where, 'command'] } });
  }
  const env = e?.environment;
  return {
    // A string is a shell command line, as in the service's own `command:`.
    command: Array.isArray(command) ? command.map(String) : ['/bin/sh', '-c', String(command)],
    user: typeof e?.user === 'string' ? e.user : undefined,
    privileged: e?.privileged === true,
    working_dir: typeof e?.working_dir === 'string' ? e.working_dir : undefined,
    environment: env === undefined ? undefined : Array.isArray(env) ? env.map(String) : Object.entries(env as Record<string, unknown>).map(([k, v]) => `${k}=${v ?? ''}`),
  };
}
