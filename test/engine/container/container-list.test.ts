// docker ps's selection (container/list.ts) against moby daemon/list.go's semantics: every filter
// key, its validation and dockerd's messages, limit and before/since walking newest first.

import { describe, expect, it } from 'vitest';
import type { ContainerListOptions, PortSummary } from '../../../src/engine/backend.js';
import { selectContainers, type ListLookups } from '../../../src/engine/container/list.js';
import type { ContainerRecord } from '../../../src/engine/container/record.js';
import { ContainerTable, type LiveContainer } from '../../../src/engine/container/table.js';
import { commandLine } from '../../../src/engine/container/views.js';

const ZERO = '0001-01-01T00:00:00Z';

interface Spec {
  name: string;
  t: number;
  status?: 'created' | 'running' | 'exited' | 'paused';
  exit?: number;
  labels?: Record<string, string>;
  health?: string;
  net?: string;
  ports?: PortSummary[];
  volume?: string;
  image?: string;
}

function table(specs: Spec[]): { live: LiveContainer[]; look: ListLookups } {
  const t = new ContainerTable();
  const extra = new Map<string, Spec>();
  for (const s of specs) {
    const status = s.status ?? 'running';
    const id = Buffer.from(s.name).toString('hex').padEnd(64, '0');
    const rec: ContainerRecord = {
      id,
      name: s.name,
      created: new Date(Date.UTC(2026, 0, 1, 0, 0, s.t)).toISOString(),
      image: s.image ?? 'sha256:busybox',
      imageRef: 'busybox',
      config: { Labels: s.labels ?? {} },
      hostConfig: {},
      state: { Status: status, Running: status === 'running' || status === 'paused', Paused: status === 'paused', Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: s.exit ?? 0, Error: '', StartedAt: ZERO, FinishedAt: ZERO },
      monitorPid: 0,
      restartCount: 0,
      manuallyStopped: false,
      hasBeenStarted: status !== 'created',
      warnings: [],
    };
    t.add(rec);
    extra.set(id, s);
  }
  const of = (l: LiveContainer): Spec => extra.get(l.rec.id)!;
  const look: ListLookups = {
    ancestorIds: new Set(['sha256:busybox']),
    health: (l) => of(l).health ?? 'none',
    networks: (l) => (of(l).net ? [{ name: of(l).net!, id: `id-${of(l).net!}` }] : []),
    mounts: (l) => (of(l).volume ? [{ type: 'volume', name: of(l).volume, source: '/x', destination: '/data', readonly: false }] : []),
    ports: (l) => of(l).ports ?? [],
  };
  return { live: [...t.values()], look };
}

const fixture = table([
  { name: 'psa', t: 1, labels: { tier: 'web' }, net: 'confnet', volume: 'psvol' },
  { name: 'psb', t: 2, status: 'exited', exit: 3, labels: { tier: 'db' } },
  { name: 'psc', t: 3, status: 'created' },
  { name: 'psd', t: 4, health: 'healthy' },
  { name: 'pse', t: 5, ports: [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 38471, Type: 'tcp' }, { PrivatePort: 8080, Type: 'tcp' }] },
  { name: 'psf', t: 6, status: 'exited', exit: 0 },
]);

function names(options: Partial<ContainerListOptions> & { filters?: Record<string, string[]> }): string[] {
  return selectContainers(fixture.live, { all: false, size: false, filters: {}, ...options }, fixture.look).map((l) => l.rec.name);
}

describe('docker ps selection', () => {
  it('lists running containers newest first; -a all of them', () => {
    expect(names({})).toEqual(['pse', 'psd', 'psa']);
    expect(names({ all: true })).toEqual(['psf', 'pse', 'psd', 'psc', 'psb', 'psa']);
  });

  it('-n / -l count stopped containers too (a limit implies all)', () => {
    expect(names({ limit: 1 })).toEqual(['psf']);
    expect(names({ limit: 2, filters: { status: ['running'] } })).toEqual(['pse', 'psd']);
  });

  it('before and since walk the list by creation, by name or id', () => {
    expect(names({ all: true, filters: { before: ['psc'] } })).toEqual(['psb', 'psa']);
    expect(names({ all: true, filters: { since: ['psc'] } })).toEqual(['psf', 'pse', 'psd']);
    expect(names({ all: true, filters: { before: [fixture.live[2].rec.id.slice(0, 12)] } })).toEqual(['psb', 'psa']);
    expect(() => names({ filters: { before: ['nosuch'] } })).toThrow('no such container nosuch');
  });

  it('filters by network, volume, publish, expose, health, exited, status, label, name, ancestor, is-task', () => {
    expect(names({ all: true, filters: { network: ['confnet'] } })).toEqual(['psa']);
    expect(names({ all: true, filters: { network: ['id-conf'] } })).toEqual(['psa']);
    expect(names({ all: true, filters: { volume: ['psvol'] } })).toEqual(['psa']);
    expect(names({ all: true, filters: { volume: ['/data'] } })).toEqual(['psa']);
    expect(names({ filters: { publish: ['80'] } })).toEqual([]);
    expect(names({ filters: { publish: ['38471/tcp'] } })).toEqual(['pse']);
    expect(names({ filters: { expose: ['8080'] } })).toEqual(['pse']);
    expect(names({ filters: { expose: ['79-81/tcp'] } })).toEqual(['pse']);
    expect(names({ filters: { health: ['healthy'] } })).toEqual(['psd']);
    expect(names({ filters: { health: ['none'] } })).toEqual(['pse', 'psa']);
    expect(names({ all: true, filters: { exited: ['3'] } })).toEqual(['psb']);
    expect(names({ all: true, filters: { exited: ['0'] } })).toEqual(['psf']);
    expect(names({ filters: { status: ['exited'] } })).toEqual(['psf', 'psb']);
    expect(names({ all: true, filters: { label: ['tier'] } })).toEqual(['psb', 'psa']);
    expect(names({ all: true, filters: { label: ['tier', 'tier=db'] } })).toEqual(['psb']);
    expect(names({ all: true, filters: { name: ['^ps[ab]$'] } })).toEqual(['psb', 'psa']);
    expect(names({ all: true, filters: { name: ['/psc'] } })).toEqual(['psc']);
    expect(names({ all: true, filters: { ancestor: ['busybox'] } })).toEqual(['psf', 'pse', 'psd', 'psc', 'psb', 'psa']);
    expect(names({ all: true, filters: { 'is-task': ['true'] } })).toEqual([]);
    expect(names({ all: true, filters: { 'is-task': ['false'] } })).toHaveLength(6);
  });

  it('refuses unknown keys and bad values with dockerd\'s messages', () => {
    expect(() => names({ filters: { bogus: ['1'] } })).toThrow("Invalid filter 'bogus'");
    expect(() => names({ filters: { status: ['bogus'] } })).toThrow("Invalid filter 'status=bogus'");
    expect(() => names({ filters: { exited: ['x'] } })).toThrow('strconv.Atoi: parsing "x": invalid syntax');
    expect(() => names({ filters: { health: ['bogus'] } })).toThrow('Unrecognised filter value for health: bogus');
    expect(() => names({ filters: { publish: ['1:80'] } })).toThrow("filter for 'publish' should not contain ':': 1:80");
    expect(() => names({ filters: { 'is-task': ['maybe'] } })).toThrow("Invalid filter 'is-task=[maybe]'");
  });

  it('quotes arguments with spaces in COMMAND, as dockerd does', () => {
    expect(commandLine(['sh', '-c', 'exit 3'])).toBe("sh -c 'exit 3'");
    expect(commandLine(['echo', 'hi'])).toBe('echo hi');
  });
});
