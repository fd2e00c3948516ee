// The engine's settings from dockerd's places: a JSON config file (`--config-file`, else
// `<root>/daemon.json` when it exists) with dockerd's keys, and flags. Registry flags add to the
// file (`--registry-mirror`, `--insecure-registry`, `--max-concurrent-downloads`,
// `--max-concurrent-uploads`); loopback registries are insecure without saying so, as in Docker.
// Access settings (`-H`, `--group`, `--tls*`; listen-config.ts says what they mean) are either
// flags or file keys: set in both, they are refused, as dockerd refuses them.
//
//   {
//     "registry-mirrors": ["https://mirror.example"],                  mirrors of docker.io, as dockerd
//     "registry-mirrors": {"docker.io": [...], "host:5000": [...]},    or per registry (berth)
//     "insecure-registries": ["host:5000", "10.0.0.0/8"],
//     "max-concurrent-downloads": 4, "max-concurrent-uploads": 4,
//     "proxies": {"http-proxy": "...", "https-proxy": "...", "no-proxy": "a,b"},
//     "hosts": ["unix:///run/berth/engine.sock", "tcp://127.0.0.1:2376"], "group": "docker",
//     "tlsverify": true, "tlscacert": "/etc/berth/ca.pem", "tlscert": "...", "tlskey": "..."
//   }
//
// A key berth does not know is refused with its name, so a setting never silently does nothing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../errors.js';
import type { RegistryConfig } from '../distribution/index.js';
import type { AccessSettings } from './listen-config.js';

export class DaemonConfigError extends BerthError {}

export interface DaemonSettings {
  registry: RegistryConfig;
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  /** Hosts, socket group and TLS: only what the file or the flags set. */
  access: AccessSettings;
}

export interface DaemonFlags {
  configFile?: string;
  registryMirror?: string[];
  insecureRegistry?: string[];
  maxConcurrentDownloads?: string;
  maxConcurrentUploads?: string;
  /** `-H` (repeatable). */
  host?: string[];
  group?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** daemon.json key → the AccessSettings field, the flag and the value's type. */
const ACCESS_KEYS = {
  hosts: { field: 'hosts', flag: '-H', type: 'strings' },
  group: { field: 'group', flag: '--group', type: 'string' },
  tls: { field: 'tls', flag: '--tls', type: 'boolean' },
  tlsverify: { field: 'tlsVerify', flag: '--tlsverify', type: 'boolean' },
  tlscacert: { field: 'tlsCaCert', flag: '--tlscacert', type: 'string' },
  tlscert: { field: 'tlsCert', flag: '--tlscert', type: 'string' },
  tlskey: { field: 'tlsKey', flag: '--tlskey', type: 'string' },
} as const satisfies Record<string, { field: keyof AccessSettings; flag: string; type: 'string' | 'strings' | 'boolean' }>;

const KEYS = new Set(['registry-mirrors', 'insecure-registries', 'max-concurrent-downloads', 'max-concurrent-uploads', 'proxies', ...Object.keys(ACCESS_KEYS)]);

function accessFromFile(c: Record<string, unknown>, file: string): AccessSettings {
  const access: Record<string, unknown> = {};
  for (const [key, { field, type }] of Object.entries(ACCESS_KEYS)) {
    const value = c[key];
    if (value === undefined) continue;
    if (type === 'strings') access[field] = stringList(value, `${file}: ${key}`);
    else if (typeof value !== type) throw new DaemonConfigError(`${file}: ${key} must be a ${type}`);
    else access[field] = value;
  }
  return access as AccessSettings;
}

/** The access flags as settings, refusing one the file sets too. */
function accessWithFlags(fromFile: AccessSettings, flags: DaemonFlags, file: string): AccessSettings {
  const given: Record<keyof typeof ACCESS_KEYS, unknown> = { hosts: flags.host?.length ? flags.host : undefined, group: flags.group, tls: flags.tls, tlsverify: flags.tlsverify, tlscacert: flags.tlscacert, tlscert: flags.tlscert, tlskey: flags.tlskey };
  const out: Record<string, unknown> = { ...fromFile };
  for (const [key, { field, flag }] of Object.entries(ACCESS_KEYS)) {
    const value = given[key as keyof typeof ACCESS_KEYS];
    if (value === undefined) continue;
    if (fromFile[field] !== undefined) throw new DaemonConfigError(`${flag} and "${key}" in ${file} both set ${key}: keep one`);
    out[field] = value;
  }
  return out as AccessSettings;
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new DaemonConfigError(`${where} must be a list of strings`);
  return value;
}

function positive(value: unknown, where: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 64) throw new DaemonConfigError(`${where} must be a whole number from 1 to 64`);
  return n;
}

/** Parses daemon.json's text (`file` for messages). */
export function parseDaemonConfig(text: string, file: string): DaemonSettings {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DaemonConfigError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DaemonConfigError(`${file}: must be a JSON object`);
  const c = doc as Record<string, unknown>;
  const unknown = Object.keys(c).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) throw new DaemonConfigError(`${file}: ${unknown.map((k) => JSON.stringify(k)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not supported by the berth engine (it knows ${[...KEYS].join(', ')})`);
  const registry: RegistryConfig = {};
  const out: DaemonSettings = { registry, access: accessFromFile(c, file) };
  const mirrors = c['registry-mirrors'];
  if (mirrors !== undefined) {
    if (Array.isArray(mirrors)) registry.mirrors = { 'docker.io': stringList(mirrors, `${file}: registry-mirrors`) };
    else if (typeof mirrors === 'object' && mirrors !== null) {
      registry.mirrors = Object.fromEntries(Object.entries(mirrors).map(([domain, list]) => [domain, stringList(list, `${file}: registry-mirrors.${domain}`)]));
    } else throw new DaemonConfigError(`${file}: registry-mirrors must be a list of mirror URLs, or an object of them per registry`);
  }
  if (c['insecure-registries'] !== undefined) registry.insecureRegistries = stringList(c['insecure-registries'], `${file}: insecure-registries`);
  if (c['max-concurrent-downloads'] !== undefined) out.maxConcurrentDownloads = positive(c['max-concurrent-downloads'], `${file}: max-concurrent-downloads`);
  if (c['max-concurrent-uploads'] !== undefined) out.maxConcurrentUploads = positive(c['max-concurrent-uploads'], `${file}: max-concurrent-uploads`);
  const proxies = c.proxies;
  if (proxies !== undefined) {
    if (typeof proxies !== 'object' || proxies === null || Array.isArray(proxies)) throw new DaemonConfigError(`${file}: proxies must be an object`);
    const p = proxies as Record<string, unknown>;
    const bad = Object.keys(p).filter((k) => !['http-proxy', 'https-proxy', 'no-proxy'].includes(k));
    if (bad.length > 0) throw new DaemonConfigError(`${file}: proxies.${bad[0]} is not one of http-proxy, https-proxy, no-proxy`);
    for (const k of Object.keys(p)) if (typeof p[k] !== 'string') throw new DaemonConfigError(`${file}: proxies.${k} must be a string`);
    registry.proxy = {
      ...(p['http-proxy'] ? { http: p['http-proxy'] as string } : {}),
      ...(p['https-proxy'] ? { https: p['https-proxy'] as string } : {}),
      ...(p['no-proxy'] ? { noProxy: (p['no-proxy'] as string).split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    };
  }
  return out;
}

/**
 * The settings for an engine under `root`: the config file (the one named must exist; the default
 * one may not), then the flags. `--registry-mirror URL` mirrors docker.io;
 * `--registry-mirror host:5000=URL` mirrors another registry.
 */
export async function daemonSettings(root: string, flags: DaemonFlags): Promise<DaemonSettings> {
  const file = flags.configFile ?? path.join(root, 'daemon.json');
  let settings: DaemonSettings = { registry: {}, access: {} };
  try {
    settings = parseDaemonConfig(await readFile(file, 'utf8'), file);
  } catch (e) {
    // No daemon.json in the root (or no root yet) is no configuration; a named file must exist.
    const absent = (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';
    if (!absent || flags.configFile) {
      if (e instanceof DaemonConfigError) throw e;
      throw new DaemonConfigError(`cannot read the engine config ${file}: ${(e as Error).message}`);
    }
  }
  const registry = settings.registry;
  for (const m of flags.registryMirror ?? []) {
    const eq = /^([^=/]+)=(.+)$/.exec(m);
    const [domain, url] = eq ? [eq[1], eq[2]] : ['docker.io', m];
    registry.mirrors = { ...registry.mirrors, [domain]: [...(registry.mirrors?.[domain] ?? []), url] };
  }
  if (flags.insecureRegistry?.length) registry.insecureRegistries = [...(registry.insecureRegistries ?? []), ...flags.insecureRegistry];
  if (flags.maxConcurrentDownloads !== undefined) settings.maxConcurrentDownloads = positive(flags.maxConcurrentDownloads, '--max-concurrent-downloads');
  if (flags.maxConcurrentUploads !== undefined) settings.maxConcurrentUploads = positive(flags.maxConcurrentUploads, '--max-concurrent-uploads');
  settings.access = accessWithFlags(settings.access, flags, file);
  return settings;
}
