// What to compare, read from the stack: the placement group (x-placement), which member is the
// application the workload calls and which is the database to hurt, and how to reach and hurt it.
// Declared in an optional top-level `x-compare` mapping; what is absent is derived from the stack
// (the group member with a published port is the app, the member it depends on is the database).

import { ComposeError, UsageError } from '../errors.js';
import type { PlacementMode, Project } from '../model/project.js';

export const ALL_MODES: readonly PlacementMode[] = ['split', 'pod', 'single'];

export interface CompareTarget {
  group: string;
  /** The group's services in declared order (for `single`, the first is the main process). */
  members: string[];
  app: string;
  /** Container port of the app's HTTP listener (published on loopback by the stack). */
  appPort: number;
  /** Requested by the workload, e.g. /query. */
  path: string;
  /** Answers 200 once the app can serve; its JSON may say how it reaches the database. */
  healthPath: string;
  database: string;
  /** Regular expression matched against the command column of the database member's processes. */
  databaseProcess: string;
  /** Run in the database's container to drive it into its memory limit; absent: that experiment is skipped. */
  memoryHog?: { cmd: string[]; user?: string };
}

interface RawCompare {
  group?: unknown;
  app?: unknown;
  port?: unknown;
  path?: unknown;
  health_path?: unknown;
  database?: unknown;
  database_process?: unknown;
  memory_hog?: unknown;
  memory_hog_user?: unknown;
}

function fail(detail: string, key: string, hint?: string): never {
  throw new ComposeError(detail, { location: { path: key.split('.') }, hint });
}

const str = (v: unknown, key: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') fail(`must be a non-empty string`, key);
  return v;
};

export function resolveCompareTarget(project: Project, groupFlag?: string): CompareTarget {
  const raw = (project.extensions['x-compare'] ?? {}) as RawCompare;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be a mapping', 'x-compare');
  const placement = (project.extensions['x-placement'] ?? {}) as { groups?: Record<string, { services?: string[] }> };
  const groups = placement.groups ?? {};
  const groupNames = Object.keys(groups);
  const group = groupFlag ?? str(raw.group, 'x-compare.group') ?? (groupNames.length === 1 ? groupNames[0] : undefined);
  if (!group) {
    fail(
      groupNames.length === 0 ? 'the stack declares no placement group to compare' : `the stack declares several placement groups (${groupNames.join(', ')})`,
      'x-placement.groups',
      groupNames.length === 0 ? 'add x-placement: { groups: { NAME: { mode: split, services: [app, db] } } }' : 'choose one with --group NAME',
    );
  }
  const members = groups[group]?.services;
  if (!members || members.length < 2) {
    fail(groups[group] ? `group "${group}" needs at least two services to compare layouts` : `no placement group "${group}"`, `x-placement.groups.${group}`, groupNames.length ? `groups: ${groupNames.join(', ')}` : undefined);
  }
  for (const m of members) if (!project.services[m]) fail(`group member "${m}" is not a service`, `x-placement.groups.${group}.services`);

  const published = (s: string) => (project.services[s].ports ?? []) as { target?: number | string; published?: unknown }[];
  const app =
    str(raw.app, 'x-compare.app') ??
    members.find((m) => published(m).length > 0) ??
    fail(`no member of group "${group}" publishes a port for the workload`, `x-compare.app`, 'name it with x-compare.app and publish its port on 127.0.0.1');
  if (!members.includes(app)) fail(`"${app}" is not in group "${group}"`, 'x-compare.app');
  const dependsOn = Object.keys((project.services[app].depends_on ?? {}) as Record<string, unknown>);
  const database =
    str(raw.database, 'x-compare.database') ??
    members.find((m) => m !== app && dependsOn.includes(m)) ??
    members.find((m) => m !== app) ??
    fail('no database member', 'x-compare.database');
  if (!members.includes(database) || database === app) fail(`"${database}" must be another member of group "${group}"`, 'x-compare.database');

  let appPort: number;
  if (raw.port !== undefined) {
    if (typeof raw.port !== 'number' || !Number.isInteger(raw.port)) fail('must be a port number', 'x-compare.port');
    appPort = raw.port;
  } else {
    const first = published(app)[0];
    appPort = Number(first?.target);
    if (!Number.isInteger(appPort) || appPort <= 0) fail(`cannot tell the container port of "${app}"`, 'x-compare.port', 'set x-compare.port');
  }
  let memoryHog: CompareTarget['memoryHog'];
  if (raw.memory_hog !== undefined) {
    if (!Array.isArray(raw.memory_hog) || raw.memory_hog.length === 0 || !raw.memory_hog.every((a) => typeof a === 'string')) {
      fail('must be a non-empty list of strings (the command and its arguments)', 'x-compare.memory_hog');
    }
    memoryHog = { cmd: raw.memory_hog as string[], user: str(raw.memory_hog_user, 'x-compare.memory_hog_user') };
  }
  const path = str(raw.path, 'x-compare.path') ?? '/';
  const healthPath = str(raw.health_path, 'x-compare.health_path') ?? path;
  for (const [k, v] of [['x-compare.path', path], ['x-compare.health_path', healthPath]] as const) {
    if (!v.startsWith('/')) fail('must start with "/"', k);
  }
  const databaseProcess = str(raw.database_process, 'x-compare.database_process') ?? 'postgres|redis-server|mysqld|mariadbd|mongod';
  try {
    new RegExp(databaseProcess);
  } catch (e) {
    fail(`is not a regular expression: ${(e as Error).message}`, 'x-compare.database_process');
  }
  return { group, members, app, appPort, path, healthPath, database, databaseProcess, memoryHog };
}

export function parseModes(text: string): PlacementMode[] {
  const modes = text.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (modes.length === 0) throw new UsageError('--modes needs at least one of split, pod, single');
  for (const m of modes) if (!ALL_MODES.includes(m as PlacementMode)) throw new UsageError(`--modes: unknown mode "${m}" (use split, pod, single)`);
  return [...new Set(modes)] as PlacementMode[];
}
