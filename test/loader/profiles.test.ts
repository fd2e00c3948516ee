import { describe, expect, it } from 'vitest';
import { composeErrorsOf } from '../support/errors.js';
import type { DependsOn, Project, ServiceConfig } from '../../src/model/project.js';
import { applyProfiles, listProfiles } from '../../src/loader/profiles.js';

const dep = (required: boolean): DependsOn => ({ condition: 'service_started', required });

function project(services: Record<string, ServiceConfig>, extra: Partial<Project> = {}): Project {
  return { name: 'p', services, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {}, ...extra };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The example of the Compose documentation's profiles page. */
const docsExample = (): Project =>
  project({
    web: { image: 'web' },
    'mock-backend': { image: 'mock', profiles: ['dev'], depends_on: { db: dep(true) } },
    db: { image: 'db', profiles: ['dev'] },
    phpmyadmin: { image: 'phpmyadmin', profiles: ['debug'], depends_on: { db: dep(true) } },
  });

describe('applyProfiles', () => {
  const table: { desc: string; profiles: string[]; explicit?: string[]; enabled: string[] }[] = [
    { desc: 'no profile: only services without profiles', profiles: [], enabled: ['web'] },
    { desc: 'dev: its services join', profiles: ['dev'], enabled: ['db', 'mock-backend', 'web'] },
    { desc: '* enables every service', profiles: ['*'], enabled: ['db', 'mock-backend', 'phpmyadmin', 'web'] },
    { desc: 'several profiles', profiles: ['dev', 'debug'], enabled: ['db', 'mock-backend', 'phpmyadmin', 'web'] },
    { desc: 'an unknown profile changes nothing', profiles: ['nope'], enabled: ['web'] },
    { desc: 'naming a service enables it and its profile (db brings dev)', profiles: [], explicit: ['db'], enabled: ['db', 'mock-backend', 'web'] },
    { desc: 'naming an enabled or unknown service changes nothing', profiles: [], explicit: ['web', 'ghost'], enabled: ['web'] },
  ];
  for (const row of table) {
    it(row.desc, () => {
      const out = applyProfiles(deepFreeze(docsExample()), { profiles: row.profiles, explicitServices: row.explicit });
      expect(Object.keys(out.services).sort()).toEqual(row.enabled);
    });
  }

  it('compose-go loader/tests/profiles_test.go TestProfiles', () => {
    const p = project({ foo: { image: 'alpine', profiles: ['debug', 'dev'] }, bar: { image: 'alpine' } });
    const off = applyProfiles(p, { profiles: [] });
    expect(Object.keys(off.services)).toEqual(['bar']);
    expect(off.services.bar.image).toBe('alpine');
    const on = applyProfiles(p, { profiles: ['debug'] });
    expect(on.services.foo.image).toBe('alpine');
    expect(on.services.foo.profiles).toEqual(['debug', 'dev']);
  });

  it('compose-go TestWithSelectedServicesOption: a selected service is re-activated despite its profile', () => {
    const p = project({ web: { image: 'nginx' }, debug: { image: 'alpine', profiles: ['debug'] } });
    expect(Object.keys(applyProfiles(p, { profiles: [], explicitServices: ['debug'] }).services).sort()).toEqual(['debug', 'web']);
  });

  it('a required depends_on on a disabled service is an error worded like compose-go (TestBuildGraph)', () => {
    const p = project({
      test: { image: 'x', depends_on: { another: dep(true) } },
      another: { image: 'x', profiles: ['test'], depends_on: {} },
    });
    const errs = composeErrorsOf(() => applyProfiles(p, { profiles: [] }));
    expect(errs.map((e) => e.detail)).toEqual(['service "another" is required by "test" but is disabled. Can be enabled by profiles [test]']);
    expect(errs[0].location?.path).toEqual(['services', 'test', 'depends_on', 'another']);
    expect(errs[0].hint).toContain('--profile test');
  });

  it('naming a service does not enable the profiles of its dependencies (docs: up phpmyadmin)', () => {
    const errs = composeErrorsOf(() => applyProfiles(docsExample(), { profiles: [], explicitServices: ['phpmyadmin'] }));
    expect(errs.map((e) => e.detail)).toEqual(['service "db" is required by "phpmyadmin" but is disabled. Can be enabled by profiles [dev]']);
  });

  it('collects every such error, Go list formatting for several profiles', () => {
    const p = project({
      a: { image: 'x', depends_on: { x: dep(true), y: dep(true) } },
      x: { image: 'x', profiles: ['one', 'two'] },
      y: { image: 'x', profiles: ['three'] },
    });
    const errs = composeErrorsOf(() => applyProfiles(p, { profiles: [], locate: (path) => ({ file: 'c.yaml', line: path[3] === 'x' ? 5 : 4, path }) }));
    expect(errs.map((e) => e.message)).toEqual([
      'c.yaml:4: services.a.depends_on.y: service "y" is required by "a" but is disabled. Can be enabled by profiles [three] (pass --profile three or list it in COMPOSE_PROFILES, or set `required: false`)',
      'c.yaml:5: services.a.depends_on.x: service "x" is required by "a" but is disabled. Can be enabled by profiles [one two] (pass --profile one or list it in COMPOSE_PROFILES, or set `required: false`)',
    ]);
  });

  it('an optional depends_on on a disabled service is dropped; other entries stay', () => {
    const p = project({
      app: { image: 'x', depends_on: { cache: dep(false), db: dep(true) } },
      cache: { image: 'x', profiles: ['cache'] },
      db: { image: 'x' },
    });
    const out = applyProfiles(deepFreeze(p), { profiles: [] });
    expect(out.services.app.depends_on).toEqual({ db: dep(true) });
    expect(p.services.app.depends_on).toHaveProperty('cache');
  });

  it('keeps networks, volumes, secrets and configs, used or not', () => {
    const p = project(
      { web: { image: 'x' }, tool: { image: 'x', profiles: ['tools'], networks: { tools: null }, volumes: [{ type: 'volume', source: 'cache', target: '/c' }] } },
      { networks: { tools: { name: 'p_tools' } }, volumes: { cache: { name: 'p_cache' } }, secrets: { s: { name: 'p_s', file: '/s' } } },
    );
    const out = applyProfiles(p, { profiles: [] });
    expect(Object.keys(out.services)).toEqual(['web']);
    expect(out.networks).toBe(p.networks);
    expect(out.volumes).toBe(p.volumes);
    expect(out.secrets).toBe(p.secrets);
  });

  it('returns the project itself when nothing is disabled', () => {
    const p = project({ web: { image: 'x' } });
    expect(applyProfiles(p, { profiles: [] })).toBe(p);
  });

  it('a disabled service leaves its x-placement group', () => {
    const p = project(
      { api: { image: 'x' }, db: { image: 'x' }, debug: { image: 'x', profiles: ['debug'] } },
      { extensions: { 'x-placement': { groups: { backend: { mode: 'pod', services: ['api', 'debug', 'db'] }, other: { mode: 'pod', services: ['api'] } } }, 'x-other': 1 } },
    );
    const out = applyProfiles(deepFreeze(p), { profiles: [] });
    expect(out.extensions).toEqual({
      'x-placement': { groups: { backend: { mode: 'pod', services: ['api', 'db'] }, other: { mode: 'pod', services: ['api'] } } },
      'x-other': 1,
    });
  });

  it('leaves a malformed x-placement for the schema to report', () => {
    const ext = { 'x-placement': { groups: ['not', 'a', 'mapping'] } };
    const p = project({ debug: { image: 'x', profiles: ['debug'] } }, { extensions: ext });
    expect(applyProfiles(p, { profiles: [] }).extensions).toBe(ext);
  });
});

describe('listProfiles', () => {
  it('lists every declared profile once, sorted', () => {
    expect(listProfiles(docsExample())).toEqual(['debug', 'dev']);
    const p = project({ a: { image: 'x', profiles: ['zeta', 'alpha'] }, b: { image: 'x', profiles: ['alpha', 'mid'] }, c: { image: 'x' } });
    expect(listProfiles(p)).toEqual(['alpha', 'mid', 'zeta']);
    expect(listProfiles(project({ a: { image: 'x' } }))).toEqual([]);
  });
});
