// Where the engine serves its API and who may reach it, from dockerd's settings: the hosts (`-H`,
// "hosts"), the unix sockets' group (`-G/--group`, "group") and the TLS material (`--tlsverify`,
// `--tlscacert`, `--tlscert`, `--tlskey`), turned into the API server's listen addresses.
//
// As dockerd: the default host is the unix socket; `-H` may be repeated and, when given, only the
// listed hosts are served; the socket is mode 0660, owned by root and by the group `docker` when
// that group exists (when it does not, the socket stays root's with a warning; a group named
// explicitly must exist; `--group ""` keeps it root's without a word).
// Unlike dockerd, TCP is served only with mutual TLS: dockerd also serves plain TCP (with a
// warning) and server-only TLS (`--tls`), either of which hands root on this host to anyone who can
// reach the port. Both are refused here.

import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { BerthError } from '../../errors.js';
import type { ListenAddress } from '../api/server.js';

export class ListenConfigError extends BerthError {}

/** The settings as given (flags merged with daemon.json by daemon-config.ts). */
export interface AccessSettings {
  /** `unix:///path` (`unix://` alone: the default socket) or `tcp://host:port`. */
  hosts?: string[];
  /** The unix sockets' group: a name or a gid; `''` keeps root's group. Default `docker` when it exists. */
  group?: string;
  /** `--tls`: TLS without client certificates, which berth refuses (see above). */
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const DEFAULT_SOCKET_GROUP = 'docker';
/** dockerd's port for TLS (2375, its plain-TCP port, has no use here). */
export const DEFAULT_TLS_PORT = 2376;

const TCP_NEEDS = 'TCP needs --tlsverify with --tlscacert, --tlscert and --tlskey';

type ParsedHost = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** One `-H` value; `unix://` alone means the default socket, as in dockerd. */
export function parseHost(value: string, defaultSocket: string): ParsedHost {
  const unix = /^unix:\/\/(.*)$/.exec(value);
  if (unix) {
    if (unix[1] === '') return { kind: 'unix', path: defaultSocket };
    if (!unix[1].startsWith('/')) throw new ListenConfigError(`-H ${value}: the socket path must be absolute (unix:///path/to/engine.sock)`);
    return { kind: 'unix', path: unix[1] };
  }
  const tcp = /^tcp:\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]*))(?::(\d{1,5}))?\/?$/.exec(value);
  if (tcp) {
    const host = tcp[1] ?? tcp[2];
    if (!host) throw new ListenConfigError(`-H ${value}: name the address to listen on, e.g. tcp://127.0.0.1:${DEFAULT_TLS_PORT}`);
    const port = tcp[3] === undefined ? DEFAULT_TLS_PORT : Number(tcp[3]);
    if (port > 65535) throw new ListenConfigError(`-H ${value}: port ${port} is out of range`);
    return { kind: 'tcp', host, port };
  }
  if (/^fd:\/\//.test(value)) throw new ListenConfigError(`-H ${value}: systemd socket activation (fd://) is not supported by the berth engine; use unix:///path or tcp://host:port`);
  throw new ListenConfigError(`-H ${value}: expected unix:///path or tcp://host:port`);
}

/**
 * The gid of a group named by name or number in `/etc/group` (dockerd reads the same file). A
 * number the file does not list is taken as it is, as dockerd does; an unknown name is undefined.
 */
export async function lookupGroup(nameOrGid: string, groupFile = '/etc/group'): Promise<number | undefined> {
  const text = await readFile(groupFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (gid === undefined || !/^\d+$/.test(gid)) continue;
    if (name === nameOrGid || gid === nameOrGid) return Number(gid);
  }
  return /^\d+$/.test(nameOrGid) ? Number(nameOrGid) : undefined;
}

/** The unix sockets' gid: undefined keeps this process's group. */
async function socketGid(group: string | undefined, warn: (message: string) => void, groupFile?: string): Promise<number | undefined> {
  const name = group ?? DEFAULT_SOCKET_GROUP;
  if (name === '') return undefined;
  const gid = await lookupGroup(name, groupFile);
  if (gid !== undefined) return gid;
  if (group !== undefined) throw new ListenConfigError(`socket group "${group}" does not exist: create it (groupadd ${group}) or name another with --group ("" keeps the socket root's)`);
  warn(`the socket group "${DEFAULT_SOCKET_GROUP}" does not exist: the socket stays root:root 0660 (create the group, or name another with --group)`);
  return undefined;
}

async function readPem(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new ListenConfigError(`cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The TLS material for TCP, checked to be complete and to load (a mismatched key fails here, not at the first client). */
async function serverTls(s: AccessSettings): Promise<{ ca: Buffer; cert: Buffer; key: Buffer }> {
  if (s.tls && !s.tlsVerify) {
    throw new ListenConfigError(`--tls without --tlsverify would admit clients without a certificate, and the berth engine requires one: ${TCP_NEEDS}`);
  }
  const missing = [
    ...(s.tlsVerify ? [] : ['--tlsverify']),
    ...(s.tlsCaCert ? [] : ['--tlscacert']),
    ...(s.tlsCert ? [] : ['--tlscert']),
    ...(s.tlsKey ? [] : ['--tlskey']),
  ];
  if (missing.length > 0) {
    throw new ListenConfigError(`${TCP_NEEDS} (missing: ${missing.join(', ')}): the berth engine serves TCP only over mutual TLS, never plain (dockerd would allow it with a warning)`);
  }
  const material = { ca: await readPem(s.tlsCaCert!, '--tlscacert'), cert: await readPem(s.tlsCert!, '--tlscert'), key: await readPem(s.tlsKey!, '--tlskey') };
  try {
    createSecureContext(material);
  } catch (e) {
    throw new ListenConfigError(`the TLS material does not load (${(e as Error).message}): --tlscert and --tlskey must be a PEM certificate and its key, --tlscacert the PEM CA that signs the clients' certificates`);
  }
  return material;
}

/**
 * The API server's addresses for these settings. `defaultSocket` is served when no host is given;
 * `warn` hears what dockerd would log as a warning (the default group missing).
 */
export async function listenAddresses(settings: AccessSettings, defaultSocket: string, warn: (message: string) => void, groupFile?: string): Promise<ListenAddress[]> {
  const hosts = (settings.hosts?.length ? settings.hosts : [`unix://${defaultSocket}`]).map((h) => parseHost(h, defaultSocket));
  const seen = new Set<string>();
  for (const h of hosts) {
    const key = h.kind === 'unix' ? h.path : `${h.host}:${h.port}`;
    if (seen.has(key)) throw new ListenConfigError(`-H names ${h.kind === 'unix' ? `unix://${key}` : `tcp://${key}`} twice`);
    seen.add(key);
  }
  const hasTcp = hosts.some((h) => h.kind === 'tcp');
  const tlsGiven = [settings.tls && '--tls', settings.tlsVerify && '--tlsverify', settings.tlsCaCert && '--tlscacert', settings.tlsCert && '--tlscert', settings.tlsKey && '--tlskey'].filter(Boolean);
  if (!hasTcp && tlsGiven.length > 0) throw new ListenConfigError(`${tlsGiven.join(', ')} ${tlsGiven.length === 1 ? 'applies' : 'apply'} to tcp:// hosts, and none is given (add -H tcp://host:port)`);
  const tls = hasTcp ? await serverTls(settings) : undefined;
  const hasUnix = hosts.some((h) => h.kind === 'unix');
  if (!hasUnix && settings.group !== undefined && settings.group !== '') throw new ListenConfigError(`--group ${settings.group} sets the group of unix sockets, and no unix:// host is given`);
  const gid = hasUnix ? await socketGid(settings.group, warn, groupFile) : undefined;
  return hosts.map((h): ListenAddress => (h.kind === 'unix' ? { kind: 'unix', path: h.path, ...(gid !== undefined ? { gid } : {}) } : { ...h, tls: tls! }));
}
