// The key table against the schema and the translator: every service key the schema allows (and
// the sub-keys of the entries that list theirs) is in the table, the table names no key the
// schema lacks, and every refused key gives its own error, at its own path, with the table's words.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ComposeError, ComposeErrors, formatKeyPath } from '../../src/errors.js';
import { loadProject } from '../../src/loader/loader.js';
import { SERVICE_KEYS, keyTableCounts } from '../../src/swarm/keys.js';
import { translateProject } from '../../src/swarm/translate.js';

type Schema = { $ref?: string; properties?: Record<string, Schema>; patternProperties?: Record<string, Schema>; oneOf?: Schema[]; anyOf?: Schema[]; items?: Schema };

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const schema = JSON.parse(readFileSync(path.join(repo, 'schemas/compose.schema.json'), 'utf8')) as { $defs: Record<string, Schema> };

function resolve(s: Schema): Schema {
  return s.$ref ? resolve(schema.$defs[s.$ref.replace('#/$defs/', '')]) : s;
}

/** Property names one level down: through $ref, oneOf/anyOf branches, array items and (non-x-) pattern maps. */
function childKeys(s: Schema): string[] {
  const r = resolve(s);
  const keys = new Set(Object.keys(r.properties ?? {}));
  for (const b of [...(r.oneOf ?? []), ...(r.anyOf ?? [])]) for (const k of childKeys(b)) keys.add(k);
  if (r.items) for (const k of childKeys(r.items)) keys.add(k);
  for (const [pattern, v] of Object.entries(r.patternProperties ?? {})) if (pattern !== '^x-') for (const k of childKeys(v)) keys.add(k);
  return [...keys];
}

function childSchema(s: Schema, key: string): Schema[] {
  const r = resolve(s);
  const out: Schema[] = [];
  if (r.properties?.[key]) out.push(r.properties[key]);
  for (const b of [...(r.oneOf ?? []), ...(r.anyOf ?? [])]) out.push(...childSchema(b, key));
  if (r.items) out.push(...childSchema(r.items, key));
  for (const [pattern, v] of Object.entries(r.patternProperties ?? {})) if (pattern !== '^x-') out.push(...childSchema(v, key));
  return out;
}

/** Every key path the table must hold: service keys, and the sub-keys of entries marked `children`. */
function schemaKeyPaths(): string[] {
  const paths: string[] = [];
  const walk = (schemas: Schema[], prefix: string): void => {
    const keys = new Set(schemas.flatMap(childKeys));
    for (const k of keys) {
      const p = prefix ? `${prefix}.${k}` : k;
      paths.push(p);
      if (SERVICE_KEYS[p]?.children) walk(schemas.flatMap((s) => childSchema(s, k)), p);
    }
  };
  walk([schema.$defs.service], '');
  return paths.sort();
}

describe('the Swarm key table', () => {
  it('holds every service key of schemas/compose.schema.json, and the sub-keys of the entries that list theirs', () => {
    const paths = schemaKeyPaths();
    // The walk reaches the nested entries, through $ref, list items and per-network maps.
    expect(paths).toEqual(expect.arrayContaining(['privileged', 'deploy.resources.limits.cpus', 'deploy.update_config.order', 'healthcheck.start_interval', 'ports.host_ip', 'volumes.bind.selinux', 'networks.aliases']));
    expect(paths.filter((p) => !(p in SERVICE_KEYS))).toEqual([]);
  });

  it('names no key the schema does not have', () => {
    const known = new Set(schemaKeyPaths());
    expect(Object.keys(SERVICE_KEYS).filter((k) => !known.has(k))).toEqual([]);
  });

  it('says for every key how, in words', () => {
    for (const [k, rule] of Object.entries(SERVICE_KEYS)) expect(rule.note.trim().length, k).toBeGreaterThan(3);
    const counts = keyTableCounts();
    expect(counts.mapped + counts.honoured + counts.refused).toBe(Object.keys(SERVICE_KEYS).length);
  });
});

/**
 * One service setting one refused key, as YAML the loader accepts. `at` is where the error points
 * when the key sits in a list (the table drops indexes). Other services and top-level sections a
 * sample needs go in `extra`.
 */
const REFUSED_SAMPLES: Record<string, { set: Record<string, unknown>; at?: string; extra?: Record<string, unknown> }> = {
  annotations: { set: { annotations: { a: 'b' } } },
  blkio_config: { set: { blkio_config: { weight: 300 } } },
  cgroup: { set: { cgroup: 'host' } },
  cgroup_parent: { set: { cgroup_parent: 'mine' } },
  container_name: { set: { container_name: 'fixed' } },
  cpu_count: { set: { cpu_count: 1 } },
  cpu_percent: { set: { cpu_percent: 50 } },
  cpu_shares: { set: { cpu_shares: 512 } },
  cpu_quota: { set: { cpu_quota: 50000 } },
  cpu_period: { set: { cpu_period: 100000 } },
  cpu_rt_period: { set: { cpu_rt_period: 1000 } },
  cpu_rt_runtime: { set: { cpu_rt_runtime: 1000 } },
  cpuset: { set: { cpuset: '0' } },
  'deploy.resources.reservations.devices': { set: { deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'] }] } } } } },
  device_cgroup_rules: { set: { device_cgroup_rules: ['c 1:3 mr'] } },
  devices: { set: { devices: ['/dev/null:/dev/xnull'] } },
  domainname: { set: { domainname: 'example.org' } },
  external_links: { set: { external_links: ['other_db'] } },
  gpus: { set: { gpus: 'all' } },
  'healthcheck.start_interval': { set: { healthcheck: { test: ['CMD', 'true'], start_interval: '1s' } } },
  ipc: { set: { ipc: 'host' } },
  links: { set: { links: ['db'] }, extra: { services: { db: { image: 'busybox' } } } },
  mac_address: { set: { mac_address: '02:42:ac:11:00:02' } },
  mem_swappiness: { set: { mem_swappiness: 10 } },
  memswap_limit: { set: { memswap_limit: '1g' } },
  models: { set: { models: ['llm'] }, extra: { models: { llm: { model: 'ai/smollm2' } } } },
  'networks.gw_priority': { set: { networks: { default: { gw_priority: 1 } } }, at: 'networks.default.gw_priority' },
  'networks.interface_name': { set: { networks: { default: { interface_name: 'eth7' } } }, at: 'networks.default.interface_name' },
  'networks.ipv4_address': { set: { networks: { default: { ipv4_address: '10.5.0.5' } } }, at: 'networks.default.ipv4_address' },
  'networks.ipv6_address': { set: { networks: { default: { ipv6_address: 'fd00::5' } } }, at: 'networks.default.ipv6_address' },
  'networks.link_local_ips': { set: { networks: { default: { link_local_ips: ['169.254.8.8'] } } }, at: 'networks.default.link_local_ips' },
  'networks.mac_address': { set: { networks: { default: { mac_address: '02:42:ac:11:00:03' } } }, at: 'networks.default.mac_address' },
  oom_kill_disable: { set: { oom_kill_disable: true } },
  oom_score_adj: { set: { oom_score_adj: 100 } },
  pid: { set: { pid: 'host' } },
  'ports.host_ip': { set: { ports: [{ target: 80, published: '8080', host_ip: '127.0.0.1' }] }, at: 'ports[0].host_ip' },
  'ports.app_protocol': { set: { ports: [{ target: 80, app_protocol: 'http' }] }, at: 'ports[0].app_protocol' },
  post_start: { set: { post_start: [{ command: ['true'] }] } },
  pre_start: { set: { pre_start: [{ command: ['true'] }] } },
  pre_stop: { set: { pre_stop: [{ command: ['true'] }] } },
  privileged: { set: { privileged: true } },
  provider: { set: { provider: { type: 'model' } }, extra: {} },
  runtime: { set: { runtime: 'runc' } },
  security_opt: { set: { security_opt: ['no-new-privileges:true'] } },
  shm_size: { set: { shm_size: '64m' } },
  storage_opt: { set: { storage_opt: { size: '1G' } } },
  use_api_socket: { set: { use_api_socket: true } },
  userns_mode: { set: { userns_mode: 'host' } },
  uts: { set: { uts: 'host' } },
  'volumes.bind.recursive': { set: { volumes: [{ type: 'bind', source: '/srv', target: '/srv', bind: { recursive: 'readonly' } }] }, at: 'volumes[0].bind.recursive' },
  'volumes.bind.selinux': { set: { volumes: [{ type: 'bind', source: '/srv', target: '/srv', bind: { selinux: 'z' } }] }, at: 'volumes[0].bind.selinux' },
  'volumes.volume.subpath': { set: { volumes: [{ type: 'volume', source: 'data', target: '/data', volume: { subpath: 'sub' } }] }, at: 'volumes[0].volume.subpath', extra: { volumes: { data: {} } } },
  'volumes.image': { set: { volumes: [{ type: 'image', source: 'busybox', target: '/img', image: { subpath: 'bin' } }] }, at: 'volumes[0].image' },
  volumes_from: { set: { volumes_from: ['db'] }, extra: { services: { db: { image: 'busybox' } } } },
};

function errorsOf(fn: () => unknown): ComposeError[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ComposeErrors) return [...e.errors];
    if (e instanceof ComposeError) return [e];
    throw e;
  }
  return [];
}

describe('refused keys', () => {
  const refused = Object.keys(SERVICE_KEYS).filter((k) => SERVICE_KEYS[k].treatment === 'refused').sort();

  it('each has a sample here', () => {
    expect(refused.filter((k) => !(k in REFUSED_SAMPLES))).toEqual([]);
  });

  it.each(refused)('%s: one error of its own, at its path, in the table\'s words', (key) => {
    const sample = REFUSED_SAMPLES[key];
    const { services: extraServices, ...extraTop } = (sample.extra ?? {}) as { services?: Record<string, unknown> };
    const web = key === 'provider' ? { ...sample.set } : { image: 'busybox', ...sample.set };
    const yaml = stringify({ services: { web, ...(extraServices ?? {}) }, ...extraTop });
    const { project } = loadProject({ files: ['-'], readStdin: () => yaml, workingDir: '/tmp', environment: {}, projectName: 'app' });
    const errors = errorsOf(() => translateProject(project, { vip: true }));
    const at = `services.web.${sample.at ?? key}`;
    const mine = errors.filter((e) => formatKeyPath(e.location?.path ?? []) === at);
    expect(mine.map((e) => e.detail)).toEqual([SERVICE_KEYS[key].note]);
    expect(mine[0].message).toBe(`${at}: ${SERVICE_KEYS[key].note}`);
  });

  it('are all reported together, sorted', () => {
    const yaml = stringify({ services: { web: { image: 'busybox', privileged: true, pid: 'host', cap_add: ['NET_ADMIN'], devices: ['/dev/null:/dev/xnull'] } } });
    const { project } = loadProject({ files: ['-'], readStdin: () => yaml, workingDir: '/tmp', environment: {}, projectName: 'app' });
    const errors = errorsOf(() => translateProject(project, { vip: true }));
    expect(errors.map((e) => e.message)).toEqual([
      'services.web.devices: Swarm services cannot map host devices; remove it or deploy with --engine docker',
      'services.web.pid: Swarm services cannot share or choose a PID namespace; remove it or deploy with --engine docker',
      'services.web.privileged: Swarm services cannot run privileged containers; remove it or deploy with --engine docker',
    ]);
  });
});
