// Which containers `docker ps` lists: moby's daemon/list.go (20.10) in TypeScript. Every filter key
// dockerd accepts is applied with its semantics, an unknown key or a bad value is refused with
// dockerd's message, and `limit` (ps -n / -l) and before/since walk the containers newest first the
// way dockerd's iteration does. Pure: the lookups into other rooms come in through `ListLookups`.

import { NotFoundError, InvalidArgumentError, type ContainerListOptions, type Filters, type PortSummary } from '../backend.js';
import { exactMatch, invalidFilter, labelsMatch, regexMatch, validateFilterKeys, valuesOf } from '../filters.js';
import type { ContainerMount } from '../volumes/service.js';
import type { LiveContainer } from './table.js';

/** moby's acceptedPsFilterTags. */
export const CONTAINER_FILTERS = ['ancestor', 'before', 'exited', 'id', 'isolation', 'label', 'name', 'status', 'health', 'since', 'volume', 'network', 'is-task', 'publish', 'expose'] as const;

const STATES = new Set(['paused', 'restarting', 'running', 'dead', 'created', 'exited', 'removing']);
const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none']);

export interface ListLookups {
  /** The image ids the `ancestor` filter names (unknown images name none). */
  ancestorIds: ReadonlySet<string>;
  /** `none` without a health check, else its current status. */
  health(l: LiveContainer): string;
  /** The networks the container is attached to, by name and id. */
  networks(l: LiveContainer): { name: string; id: string }[];
  mounts(l: LiveContainer): readonly ContainerMount[];
  /** Published and exposed ports as `docker ps` shows them. */
  ports(l: LiveContainer): readonly PortSummary[];
}

/** `80`, `80/udp`, `8000-8010/tcp` → the set of `port/proto` keys (moby's portOp). */
function portSet(key: string, values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const value of values) {
    if (value.includes(':')) throw new InvalidArgumentError(`filter for '${key}' should not contain ':': ${value}`);
    const [portText, proto = 'tcp'] = value.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(portText);
    const start = m ? Number(m[1]) : NaN;
    const end = m?.[2] !== undefined ? Number(m[2]) : start;
    if (!m || start > 65535 || end > 65535 || end < start) throw new InvalidArgumentError(`error while looking up for ${key} ${value}: invalid port range: ${portText}`);
    for (let p = start; p <= end; p++) out.add(`${p}/${proto.toLowerCase()}`);
  }
  return out;
}

/** A container named by a before/since filter: full id, name, or unique id prefix. */
function containerNamed(containers: readonly LiveContainer[], ref: string): LiveContainer {
  const name = ref.replace(/^\//, '');
  const exact = containers.find((l) => l.rec.id === ref || l.rec.name === name);
  if (exact) return exact;
  const prefixed = /^[0-9a-f]+$/.test(ref) ? containers.filter((l) => l.rec.id.startsWith(ref)) : [];
  if (prefixed.length === 1) return prefixed[0];
  throw new NotFoundError(`no such container ${ref}`);
}

interface Plan {
  all: boolean;
  exited: number[];
  before?: string;
  since?: string;
  isTask?: boolean;
  publish: Set<string>;
  expose: Set<string>;
}

/** Validates the filters and works out what they ask for (moby's foldFilter). */
function plan(options: ContainerListOptions, containers: readonly LiveContainer[]): Plan {
  const f = options.filters;
  validateFilterKeys(f, CONTAINER_FILTERS);
  const exited = valuesOf(f, 'exited').map((v) => {
    if (!/^[-+]?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  let all = options.all;
  for (const v of valuesOf(f, 'status')) {
    if (!STATES.has(v)) throw invalidFilter('status', v);
    all = true;
  }
  let isTask: boolean | undefined;
  const task = valuesOf(f, 'is-task');
  if (task.length > 0) {
    if (task.includes('true')) isTask = true;
    else if (task.includes('false')) isTask = false;
    else throw invalidFilter('is-task', `[${task.join(' ')}]`);
  }
  for (const v of valuesOf(f, 'health')) if (!HEALTH.has(v)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${v}`);
  const last = (key: string): string | undefined => {
    const values = valuesOf(f, key);
    let found: string | undefined;
    for (const v of values) found = containerNamed(containers, v).rec.id;
    return found;
  };
  return { all, exited, before: last('before'), since: last('since'), ...(isTask !== undefined ? { isTask } : {}), publish: portSet('publish', valuesOf(f, 'publish')), expose: portSet('expose', valuesOf(f, 'expose')) };
}

function matches(l: LiveContainer, f: Filters, p: Plan, look: ListLookups): boolean {
  const rec = l.rec;
  if (!regexMatch(f, 'name', `/${rec.name}`) && !regexMatch(f, 'name', rec.name)) return false;
  // dockerd narrows `id` to unique id prefixes first, then matches.
  const ids = valuesOf(f, 'id');
  if (ids.length > 0 && !ids.some((v) => rec.id.startsWith(v))) return false;
  // No container of this engine is a swarm task.
  if (p.isTask === true) return false;
  if (!labelsMatch(f, rec.config.Labels)) return false;
  if (!regexMatch(f, 'isolation', rec.hostConfig.Isolation ?? '')) return false;
  if (p.exited.length > 0 && !(p.exited.includes(rec.state.ExitCode) && !rec.state.Running && rec.hasBeenStarted)) return false;
  if (!regexMatch(f, 'status', rec.state.Status)) return false;
  if (!exactMatch(f, 'health', look.health(l))) return false;
  const volumes = valuesOf(f, 'volume');
  if (volumes.length > 0) {
    const mounts = look.mounts(l);
    if (!volumes.some((v) => mounts.some((m) => m.destination === v || (m.name ? m.name === v : m.source === v)))) return false;
  }
  if (f.ancestor && f.ancestor.length > 0 && !look.ancestorIds.has(rec.image)) return false;
  const nets = valuesOf(f, 'network');
  if (nets.length > 0) {
    const mine = look.networks(l);
    if (!nets.some((v) => mine.some((n) => n.name === v || n.id.startsWith(v)))) return false;
  }
  if (p.publish.size > 0 || p.expose.size > 0) {
    const ports = look.ports(l);
    if (!ports.some((port) => (port.PublicPort !== undefined && p.publish.has(`${port.PublicPort}/${port.Type}`)) || p.expose.has(`${port.PrivatePort}/${port.Type}`))) return false;
  }
  return true;
}

/** The containers `options` select, newest first. */
export function selectContainers(containers: Iterable<LiveContainer>, options: ContainerListOptions, look: ListLookups): LiveContainer[] {
  // Newest first, as dockerd walks them; one millisecond's creations in table (creation) order reversed.
  const ordered = [...containers].map((l, i) => ({ l, i, t: Date.parse(l.rec.created) })).sort((a, b) => b.t - a.t || b.i - a.i).map((x) => x.l);
  const p = plan(options, ordered);
  const limit = options.limit !== undefined && options.limit > 0 ? options.limit : 0;
  const out: LiveContainer[] = [];
  let before = p.before;
  for (const l of ordered) {
    // Everything up to and including the `before` container is skipped; the walk stops at `since`.
    if (before !== undefined) {
      if (l.rec.id === before) before = undefined;
      continue;
    }
    if (p.since !== undefined && l.rec.id === p.since) break;
    if (!l.rec.state.Running && !p.all && limit === 0) continue;
    if (limit > 0 && out.length === limit) break;
    if (matches(l, options.filters, p, look)) out.push(l);
  }
  return out;
}
