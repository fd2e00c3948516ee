import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceConfigHash } from '../../src/loader/hash.js';
import type { Project, ServiceConfig } from '../../src/model/project.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(web: ServiceConfig, extra: Partial<Project> = {}): Project {
  return { name: 'p', services: { web }, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {}, ...extra };
}
const base: ServiceConfig = { image: 'nginx', environment: { A: '1' }, command: ['nginx', '-g', 'daemon off;'] };

describe('serviceConfigHash', () => {
  it('is a stable sha256, independent of key order', () => {
    const h = serviceConfigHash(project(base), 'web');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const reordered: ServiceConfig = { command: base.command, environment: base.environment, image: base.image };
    expect(serviceConfigHash(project(reordered), 'web')).toBe(h);
  });

  it('changes when what the container is made of changes', () => {
    const h = serviceConfigHash(project(base), 'web');
    expect(serviceConfigHash(project({ ...base, image: 'nginx:2' }), 'web')).not.toBe(h);
    expect(serviceConfigHash(project({ ...base, environment: { A: '2' } }), 'web')).not.toBe(h);
    expect(serviceConfigHash(project({ ...base, deploy: { resources: { limits: { memory: 1 } } } }), 'web')).not.toBe(h);
  });

  it('ignores the fields that only orchestrate: build, pull_policy, scale, replicas, depends_on, profiles, x- keys', () => {
    const h = serviceConfigHash(project(base), 'web');
    const orchestration: ServiceConfig = {
      ...base,
      build: { context: '/x' },
      pull_policy: 'always',
      scale: 3,
      deploy: { replicas: 3 },
      depends_on: { db: { condition: 'service_started', required: true } },
      profiles: ['debug'],
      'x-note': 'hi',
    };
    expect(serviceConfigHash(project({ ...orchestration, deploy: {} }), 'web')).toBe(
      serviceConfigHash(project({ ...base, deploy: {} }), 'web'),
    );
    expect(serviceConfigHash(project({ ...base, scale: 5, profiles: ['x'] }), 'web')).toBe(h);
  });

  it('covers the contents of env files, configs and secrets', () => {
    const envFile = path.join(dir, 'app.env');
    const cfgFile = path.join(dir, 'cfg.txt');
    writeFileSync(envFile, 'A=1\n');
    writeFileSync(cfgFile, 'v1');
    const p = project(
      { ...base, env_file: [{ path: envFile, required: true }], configs: [{ source: 'cfg' }] },
      { configs: { cfg: { name: 'p_cfg', file: cfgFile } } },
    );
    const h1 = serviceConfigHash(p, 'web');
    writeFileSync(envFile, 'A=2\n');
    const h2 = serviceConfigHash(p, 'web');
    writeFileSync(cfgFile, 'v2');
    const h3 = serviceConfigHash(p, 'web');
    expect(new Set([h1, h2, h3]).size).toBe(3);
  });

  it('an optional env file that appears is a change', () => {
    const missing = path.join(dir, 'later.env');
    const p = project({ ...base, env_file: [{ path: missing, required: false }] });
    const before = serviceConfigHash(p, 'web');
    writeFileSync(missing, '');
    expect(serviceConfigHash(p, 'web')).not.toBe(before);
  });
});
