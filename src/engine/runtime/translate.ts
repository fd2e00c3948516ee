// Pure translation of a Docker create request into what the runtime needs: the image config merged
// in the way dockerd merges it (moby daemon/commit.go `merge`), and HostConfig turned into berth's
// ContainerSpec pieces (mounts, resources, rlimits, namespaces). No I/O: the engine resolves users,
// images and other containers' pids, and passes the answers in.

import path from 'node:path';
import { constants as osConstants } from 'node:os';
import type { ApiErrorKind, ContainerConfig, HealthConfig, HostConfig, MountSpec as ApiMount } from '../backend.js';
import type { MountSpec, Propagation } from './oci-spec.js';
import type { HostsEntry } from './etc-files.js';

/** A problem with the request: the engine answers 400 (or 501 for `notImplemented`). */
export class TranslateError extends Error {
  constructor(
    readonly problems: string[],
    readonly notImplemented = false,
  ) {
    super(problems.join('; '));
    this.name = 'TranslateError';
  }

  get apiKind(): ApiErrorKind {
    return this.notImplemented ? 'not-implemented' : 'invalid';
  }
}

const envKey = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
const nonEmpty = <T>(a: readonly T[] | null | undefined): a is readonly T[] => Array.isArray(a) && a.length > 0;

/**
 * The container's effective Config: user values win; image Env entries whose key the user did not
 * set are appended; the image's Cmd is only used when the user set neither Cmd nor Entrypoint;
 * ExposedPorts and Volumes are unions; image Labels are overridden key by key.
 */
export function mergeImageConfig(given: ContainerConfig, image: ContainerConfig | undefined): ContainerConfig {
  // `--entrypoint ''` arrives as [""]: "reset to no entrypoint" — none, and not the image's either.
  const user: ContainerConfig = given.Entrypoint && given.Entrypoint.length === 1 && given.Entrypoint[0] === '' ? { ...given, Entrypoint: [] } : given;
  const out: ContainerConfig = { ...user };
  if (!image) return out;
  if (!out.User && image.User) out.User = image.User;
  if (nonEmpty(image.Env)) {
    const env = [...(user.Env ?? [])];
    const keys = new Set(env.map(envKey));
    for (const e of image.Env) if (!keys.has(envKey(e))) env.push(e);
    out.Env = env;
  }
  // moby daemon/commit.go merge: an entrypoint the user set (even an empty one) is not replaced.
  if (!nonEmpty(user.Entrypoint)) {
    if (!nonEmpty(user.Cmd)) out.Cmd = image.Cmd ? [...image.Cmd] : user.Cmd;
    if ((user.Entrypoint === undefined || user.Entrypoint === null) && nonEmpty(image.Entrypoint)) out.Entrypoint = [...image.Entrypoint];
  }
  if (!out.WorkingDir && image.WorkingDir) out.WorkingDir = image.WorkingDir;
  if (image.ExposedPorts && Object.keys(image.ExposedPorts).length > 0) {
    out.ExposedPorts = { ...image.ExposedPorts, ...(user.ExposedPorts ?? {}) };
  }
  if (image.Volumes && Object.keys(image.Volumes).length > 0) out.Volumes = { ...image.Volumes, ...(user.Volumes ?? {}) };
  if (image.Labels && Object.keys(image.Labels).length > 0) out.Labels = { ...image.Labels, ...(user.Labels ?? {}) };
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  if (image.Healthcheck) {
    const u = user.Healthcheck ?? {};
    const i = image.Healthcheck;
    // dockerd fills each unset field of the container's check from the image's.
    out.Healthcheck = {
      Test: nonEmpty(u.Test) ? [...u.Test] : i.Test,
      Interval: u.Interval || i.Interval,
      Timeout: u.Timeout || i.Timeout,
      StartPeriod: u.StartPeriod || i.StartPeriod,
      StartInterval: u.StartInterval || i.StartInterval,
      Retries: u.Retries || i.Retries,
    };
    for (const k of Object.keys(out.Healthcheck) as (keyof HealthConfig)[]) {
      if (out.Healthcheck[k] === undefined || out.Healthcheck[k] === 0) delete out.Healthcheck[k];
    }
  }
  if (!out.Shell && image.Shell) out.Shell = [...image.Shell];
  return out;
}

/** `Entrypoint + Cmd`, the process a container runs (Docker's Path and Args). */
export function commandOf(config: ContainerConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

/** A volume a container asks for: named (`name:/path`, type volume with a Source) or anonymous (`''`). */
export interface PlannedVolume {
  name: string;
  target: string;
  readonly: boolean;
  /** `nocopy` / VolumeOptions.NoCopy: do not fill an empty volume with the image's content. */
  noCopy: boolean;
  /** VolumeOptions.Labels and DriverConfig, used when the volume has to be created. */
  labels?: Record<string, string>;
  driver?: string;
  driverOpts?: Record<string, string>;
}

/** A mount as the engine will realise it, plus what Docker reports in inspect's `Mounts`. */
export type PlannedMount =
  | {
      volume?: undefined;
      spec: MountSpec;
      /** Bind sources created when missing (Binds only, as Docker does). */
      createSource?: boolean;
      /** Sources that must exist (Mounts of type bind: Docker refuses a missing one). */
      requireSource?: boolean;
      /** HostConfig.Tmpfs: mounted, but not listed in inspect's Mounts (dockerd lists only --mount ones). */
      unlisted?: boolean;
    }
  | { volume: PlannedVolume; spec?: undefined };

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function parseBind(bind: string): { plan?: PlannedMount; problem?: string } {
  const parts = bind.split(':');
  if (parts.length === 1 && bind.startsWith('/')) {
    // `-v /path` arrives as Config.Volumes from the CLI; an API client may put it in Binds too.
    return { plan: { volume: { name: '', target: path.normalize(bind), readonly: false, noCopy: false } } };
  }
  if (parts.length < 2 || parts.length > 3) return { problem: `invalid volume specification: '${bind}'` };
  const [source, target, modeText = ''] = parts;
  if (!target.startsWith('/')) return { problem: `invalid mount config for type "${source.startsWith('/') ? 'bind' : 'volume'}": invalid mount path: '${target}' mount path must be absolute` };
  const modes = modeText === '' ? [] : modeText.split(',');
  let readonly = false;
  let noCopy = false;
  let propagation: Propagation | undefined;
  for (const m of modes) {
    if (m === 'ro') readonly = true;
    else if (m === 'nocopy') noCopy = true;
    else if (m === 'rw' || m === 'z' || m === 'Z' || m === 'consistent' || m === 'cached' || m === 'delegated') continue;
    else if (m === 'private' || m === 'rprivate' || m === 'shared' || m === 'rshared' || m === 'slave' || m === 'rslave') propagation = m;
    else return { problem: `invalid mode: ${m}` };
  }
  if (!source.startsWith('/')) {
    if (!VOLUME_NAME.test(source)) {
      return { problem: `create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path` };
    }
    if (propagation) return { problem: `invalid mode: ${propagation}: propagation applies to bind mounts only` };
    return { plan: { volume: { name: source, target: path.normalize(target), readonly, noCopy } } };
  }
  return {
    plan: {
      spec: { type: 'bind', source: path.normalize(source), target: path.normalize(target), readonly, ...(propagation ? { propagation } : {}) },
      createSource: true,
    },
  };
}

/** `size=64m,mode=1777,noexec` → tmpfs mount fields; sizes with k/m/g suffixes as Docker accepts. */
export function parseTmpfsOptions(text: string): { sizeBytes?: number; mode?: number; readonly?: boolean; options: string[] } {
  const out: { sizeBytes?: number; mode?: number; readonly?: boolean; options: string[] } = { options: [] };
  for (const raw of text.split(',')) {
    const o = raw.trim();
    if (o === '') continue;
    if (o.startsWith('size=')) out.sizeBytes = parseBytes(o.slice(5));
    else if (o.startsWith('mode=')) out.mode = Number.parseInt(o.slice(5), 8);
    else if (o === 'ro') out.readonly = true;
    else if (o === 'rw') continue;
    else out.options.push(o);
  }
  return out;
}

export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new TranslateError([`invalid size: '${text}'`]);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

/** Binds, Mounts and Tmpfs of a HostConfig; every problem is collected. */
export function planMounts(hc: HostConfig): PlannedMount[] {
  const problems: string[] = [];
  let notImplemented = false;
  const out: PlannedMount[] = [];
  for (const b of hc.Binds ?? []) {
    const r = parseBind(b);
    if (r.problem) problems.push(r.problem);
    else if (r.plan) out.push(r.plan);
  }
  for (const m of hc.Mounts ?? []) out.push(...planApiMount(m, problems, () => (notImplemented = true)));
  for (const [target, options] of Object.entries(hc.Tmpfs ?? {})) {
    if (!target.startsWith('/')) {
      problems.push(`invalid tmpfs mount path: '${target}' mount path must be absolute`);
      continue;
    }
    try {
      out.push({ spec: { type: 'tmpfs', target, ...parseTmpfsOptions(options) }, unlisted: true });
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  const seen = new Set<string>();
  for (const m of out) {
    const target = m.volume ? m.volume.target : m.spec.target;
    if (seen.has(target)) problems.push(`Duplicate mount point: ${target}`);
    seen.add(target);
  }
  if (problems.length > 0) throw new TranslateError(problems, notImplemented && problems.length === 1);
  return out;
}

function planApiMount(m: ApiMount, problems: string[], unsupported: () => void): PlannedMount[] {
  const target = m.Target ?? '';
  if (!target.startsWith('/')) {
    problems.push(`invalid mount config for type "${m.Type ?? ''}": invalid mount path: '${target}' mount path must be absolute`);
    return [];
  }
  if (m.Type === 'bind') {
    const source = m.Source ?? '';
    if (!source.startsWith('/')) {
      problems.push(`invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`);
      return [];
    }
    const o = (m.BindOptions ?? {}) as { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
    const propagation = o.Propagation || undefined;
    if (propagation && !['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].includes(propagation)) {
      problems.push(`invalid mount config for type "bind": invalid propagation mode: ${propagation}`);
      return [];
    }
    return [
      {
        spec: {
          type: 'bind',
          source: path.normalize(source),
          target: path.normalize(target),
          readonly: m.ReadOnly === true,
          ...(propagation ? { propagation: propagation as Propagation } : {}),
          ...(o.NonRecursive ? { nonRecursive: true } : {}),
        },
        // API 1.42's CreateMountpoint asks for Binds' behaviour: make a missing source.
        ...(o.CreateMountpoint ? { createSource: true } : { requireSource: true }),
      },
    ];
  }
  if (m.Type === 'volume') {
    const source = m.Source ?? '';
    if (source !== '' && !VOLUME_NAME.test(source)) {
      problems.push(`invalid mount config for type "volume": invalid volume name: '${source}'`);
      return [];
    }
    const o = (m.VolumeOptions ?? {}) as { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null };
    const driver = o.DriverConfig?.Name;
    const driverOpts = o.DriverConfig?.Options;
    return [
      {
        volume: {
          name: source,
          target: path.normalize(target),
          readonly: m.ReadOnly === true,
          noCopy: o.NoCopy === true,
          ...(o.Labels ? { labels: { ...o.Labels } } : {}),
          ...(driver ? { driver } : {}),
          ...(driverOpts ? { driverOpts: { ...driverOpts } } : {}),
        },
      },
    ];
  }
  if (m.Type === 'tmpfs') {
    if (m.Source) {
      problems.push(`invalid mount config for type "tmpfs": Source must not be specified`);
      return [];
    }
    const o = m.TmpfsOptions ?? {};
    return [{ spec: { type: 'tmpfs', target, readonly: m.ReadOnly === true, ...(o.SizeBytes ? { sizeBytes: o.SizeBytes } : {}), ...(o.Mode ? { mode: o.Mode } : {}) } }];
  }
  if (m.Type === 'npipe' || m.Type === 'cluster' || m.Type === 'image') {
    unsupported();
    problems.push(`mount type "${m.Type}" is not supported by the built-in engine yet`);
  } else problems.push(`invalid mount config for type "${m.Type ?? ''}": mount type unknown`);
  return [];
}

/**
 * `name:ip` (Docker's form) or `name=ip` (compose's); one name per entry. `host-gateway` is the
 * host's address on the container's network (its gateway), when it has one.
 */
export function parseExtraHosts(entries: readonly string[], hostGateway?: string): HostsEntry[] {
  const problems: string[] = [];
  const out: HostsEntry[] = [];
  for (const e of entries) {
    // The address may itself contain colons (IPv6): split at the first separator.
    const sep = e.includes('=') ? e.indexOf('=') : e.indexOf(':');
    const name = sep > 0 ? e.slice(0, sep) : '';
    const ip = sep > 0 ? e.slice(sep + 1).replace(/^\[(.*)\]$/, '$1') : '';
    if (name === '' || ip === '') problems.push(`invalid argument "${e}" for "--add-host" flag: invalid host:ip mapping`);
    else if (ip === 'host-gateway' && hostGateway) out.push({ ip: hostGateway, names: [name] });
    else if (ip === 'host-gateway') problems.push(`"host-gateway" in extra host "${e}" needs a bridge network (the container has none)`);
    else out.push({ ip, names: [name] });
  }
  if (problems.length > 0) throw new TranslateError(problems);
  return out;
}

/** What NetworkMode asks for: the host's stack, a sandbox of our own (attached to networks or not), or another container's. */
export type NetworkChoice = { kind: 'host' } | { kind: 'none' } | { kind: 'network'; network: string } | { kind: 'container'; ref: string };

/**
 * NetworkMode → NetworkChoice. Empty and `default` mean the default `bridge` network, as in
 * dockerd; any other name is a network the engine must know (checked by the engine).
 */
export function networkChoice(mode: string | undefined): NetworkChoice {
  const m = mode ?? '';
  if (m === 'host') return { kind: 'host' };
  if (m === 'none') return { kind: 'none' };
  if (m === '' || m === 'default' || m === 'bridge') return { kind: 'network', network: 'bridge' };
  if (m.startsWith('container:')) {
    const ref = m.slice('container:'.length);
    if (ref === '') throw new TranslateError([`invalid network mode "${m}": container: needs a container name or id`]);
    return { kind: 'container', ref };
  }
  return { kind: 'network', network: m };
}

/** `SIGTERM`, `TERM`, `15` → 15; undefined for an unknown name. */
export function signalNumber(signal: string): number | undefined {
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return Number(s);
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  return (osConstants.signals as Record<string, number>)[name];
}

/** Docker's units.HumanDuration (what `Up 5 seconds` and `Exited (0) 2 minutes ago` use). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** Restart policy name and retry limit; `on-failure:3` is the CLI's spelling of both. */
export function restartPolicyOf(hc: HostConfig): { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; max: number } {
  const name = hc.RestartPolicy?.Name || 'no';
  const max = hc.RestartPolicy?.MaximumRetryCount ?? 0;
  if (name !== 'no' && name !== 'always' && name !== 'unless-stopped' && name !== 'on-failure') {
    throw new TranslateError([`invalid restart policy '${name}'`]);
  }
  if (name !== 'on-failure' && max !== 0) throw new TranslateError([`maximum retry count cannot be used with restart policy '${name}'`]);
  if (max < 0) throw new TranslateError(['invalid restart policy: maximum retry count cannot be negative']);
  if (name !== 'no' && hc.AutoRemove) throw new TranslateError(['can\'t create \'AutoRemove\' container with restart policy']);
  return { name, max };
}
