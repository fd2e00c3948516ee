import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeMember, mainProcess } from '../../src/compare/blast-radius.js';
import type { ProjectContainer } from '../../src/compare/engine-probe.js';
import { placeMembers } from '../../src/compare/run-compare.js';
import { projectForRun } from '../../src/compare/stack-driver.js';
import { parseModes, resolveCompareTarget } from '../../src/compare/target.js';
import { ComposeError, UsageError } from '../../src/errors.js';
import { loadProject } from '../../src/loader/loader.js';
import type { Project } from '../../src/model/project.js';

const example = path.resolve(import.meta.dirname, '../../examples/db-layouts/compose.yaml');
const load = (): Project => loadProject({ files: [example], workingDir: path.dirname(example), environment: {} }).project;

function inline(yaml: Record<string, unknown>): Project {
  return { name: 't', services: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {}, ...yaml } as Project;
}

describe('compare target', () => {
  it('reads the example stack: group, app, database, port, paths, memory hog', () => {
    const t = resolveCompareTarget(load());
    expect(t).toMatchObject({ group: 'backend', members: ['db', 'api'], app: 'api', appPort: 8080, path: '/query', healthPath: '/health', database: 'db', memoryHog: { user: 'postgres' } });
    expect(new RegExp(t.databaseProcess).test('/usr/lib/postgresql/15/bin/postgres -D /tmp/pgdata')).toBe(true);
    expect(new RegExp(t.databaseProcess).test('postgres: checkpointer')).toBe(true);
    expect(new RegExp(t.databaseProcess).test('node /app/api/server.mjs')).toBe(false);
  });

  it('derives app and database without x-compare: the publishing member and what it depends on', () => {
    const p = inline({
      services: { web: { ports: [{ target: 80, published: '8080' }], depends_on: { cache: { condition: 'service_started' } } }, cache: {} },
      extensions: { 'x-placement': { groups: { g: { mode: 'split', services: ['cache', 'web'] } } } },
    });
    expect(resolveCompareTarget(p)).toMatchObject({ group: 'g', app: 'web', database: 'cache', appPort: 80, path: '/', healthPath: '/' });
  });

  it('says what is missing, where', () => {
    expect(() => resolveCompareTarget(inline({ services: { a: {} } }))).toThrow(/declares no placement group.*x-placement: \{ groups/);
    const two = inline({ services: { a: {}, b: {} }, extensions: { 'x-placement': { groups: { g1: { mode: 'pod', services: ['a', 'b'] }, g2: { mode: 'pod', services: ['a'] } } } } });
    expect(() => resolveCompareTarget(two)).toThrow(/several placement groups \(g1, g2\).*--group/);
    expect(() => resolveCompareTarget(two, 'g2')).toThrow(/group "g2" needs at least two services/);
    expect(() => resolveCompareTarget(two, 'g1')).toThrow(/no member of group "g1" publishes a port/);
    const bad = inline({ services: { a: { ports: [{ target: 1 }] }, b: {} }, extensions: { 'x-compare': { path: 'q' }, 'x-placement': { groups: { g: { mode: 'pod', services: ['a', 'b'] } } } } });
    expect(() => resolveCompareTarget(bad)).toThrow(ComposeError);
    expect(() => resolveCompareTarget(bad)).toThrow(/x-compare\.path: must start with "\/"/);
  });

  it('parses --modes', () => {
    expect(parseModes('split, pod,split')).toEqual(['split', 'pod']);
    expect(() => parseModes('split,vm')).toThrow(UsageError);
    expect(() => parseModes('')).toThrow(/at least one/);
  });

  it('names each run its own project and sets only the group mode', () => {
    const base = load();
    const p = projectForRun(base, 'db-layouts-cmp-pod', 'backend', 'pod');
    expect(p.name).toBe('db-layouts-cmp-pod');
    expect((p.extensions['x-placement'] as { groups: Record<string, { mode: string }> }).groups.backend.mode).toBe('pod');
    expect((base.extensions['x-placement'] as { groups: Record<string, { mode: string }> }).groups.backend.mode).toBe('split');
    expect(p.services).toBe(base.services);
    // Its default network is its own, not the base project's.
    expect(base.networks.default.name).toBe('db-layouts_default');
    expect(p.networks.default.name).toBe('db-layouts-cmp-pod_default');
  });
});

describe('member placement', () => {
  const target = resolveCompareTarget(load());
  const c = (id: string, service: string, labels: Record<string, string> = {}): ProjectContainer => ({ id, name: id, service, labels, ports: {}, running: true });

  it('split and pod: one container per member (a sandbox holds none)', () => {
    const placed = placeMembers([c('s', '', { 'io.berth.placement.role': 'sandbox' }), c('1', 'db'), c('2', 'api')], target, 'pod');
    expect(placed).toEqual([
      { service: 'db', containerId: '1', shared: false },
      { service: 'api', containerId: '2', shared: false },
    ]);
  });

  it('single: the group container holds every member, by its members label or by default', () => {
    expect(placeMembers([c('g', 'db', { 'io.berth.placement.members': 'api' })], target, 'single')).toEqual([
      { service: 'db', containerId: 'g', shared: true },
      { service: 'api', containerId: 'g', shared: true },
    ]);
    expect(placeMembers([c('g', 'db')], target, 'single').map((p) => p.containerId)).toEqual(['g', 'g']);
  });
});

describe('member outcome', () => {
  const state = (over: Partial<{ running: boolean; restartCount: number; startedAt: string; id: string }> = {}) => ({
    id: 'c1', running: true, restartCount: 0, startedAt: 't0', pid: 10, oomKilled: false, exitCode: 0, ...over,
  });
  const snap = (s: ReturnType<typeof state> | undefined, pids: number[] = [], shared = false) => ({ service: 'api', containerId: 'c1', shared, state: s, pids });

  it('tells survived, restarted and died apart by container state', () => {
    expect(judgeMember(snap(state()), snap(state())).outcome).toBe('survived');
    expect(judgeMember(snap(state()), snap(state({ restartCount: 1, startedAt: 't1' }))).outcome).toBe('restarted');
    expect(judgeMember(snap(state()), snap(state({ id: 'c2' }))).outcome).toBe('restarted');
    expect(judgeMember(snap(state()), snap(state({ running: false }))).outcome).toBe('died');
    expect(judgeMember(snap(state()), undefined).outcome).toBe('died');
  });

  it('in a shared container, by the member\'s own processes', () => {
    expect(judgeMember(snap(state(), [5, 6], true), snap(state(), [5, 6, 9], true)).outcome).toBe('survived');
    expect(judgeMember(snap(state(), [5, 6], true), snap(state(), [9], true)).outcome).toBe('restarted');
    expect(judgeMember(snap(state(), [5], true), snap(state(), [], true)).outcome).toBe('died');
    // The shared container restarted (its main process died) but only the main process came back.
    expect(judgeMember(snap(state(), [5], true), snap(state({ restartCount: 1, startedAt: 't1' }), [], true))).toEqual({ outcome: 'died', detail: 'the shared container restarted without it' });
    expect(judgeMember(snap(state(), [5], true), snap(state({ restartCount: 1, startedAt: 't1' }), [7], true)).outcome).toBe('restarted');
  });
});

describe('main process of a member', () => {
  it('is the root of its process tree, not the lowest pid (pids wrap at pid_max)', () => {
    // The postmaster got pid 32700; its workers were started after the pid counter wrapped.
    const procs = [
      { pid: 120, ppid: 32700, command: 'postgres: checkpointer' },
      { pid: 32700, ppid: 32690, command: '/usr/lib/postgresql/15/bin/postgres -D /tmp/pgdata' },
      { pid: 121, ppid: 32700, command: 'postgres: walwriter' },
    ];
    expect(mainProcess(procs)).toBe(32700);
    expect(mainProcess([])).toBeUndefined();
  });
});
