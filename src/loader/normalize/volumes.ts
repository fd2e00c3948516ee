// Service `volumes`: the short syntax `[source:]target[:options]` becomes the long form, as
// compose-go's format.ParseVolume does; then host paths are resolved (`~` → home, relative →
// project directory) and tmpfs sizes become bytes.
import path from 'node:path';
import type { KeyPath } from '../../errors.js';
import type { ServiceVolume } from '../../model/project.js';
import { parseSize, SizeError } from '../sizes.js';
import { errorAt, type Rule, type RuleContext } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

const PROPAGATIONS = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);
const SELINUX = new Set(['z', 'Z']);

export class VolumeSpecError extends Error {}

/** `C:` at the start of a Windows path is not a separator. */
function isWindowsDrive(buffer: string, char: string): boolean {
  return char === ':' && buffer.length === 1 && /\p{L}/u.test(buffer);
}

/** Sources that name a host path rather than a volume. */
export function isFilePath(source: string): boolean {
  if (source === '') return false;
  if ('./~'.includes(source[0])) return true;
  if (source.startsWith('\\\\')) return true; // Windows named pipe
  const chars = [...source];
  return chars.length > 1 && isWindowsDrive(chars[0], chars[1]);
}

/** One short-syntax volume → its long form, before host paths are resolved. */
export function parseVolumeSpec(spec: string): ServiceVolume {
  if (spec.length === 0) throw new VolumeSpecError('invalid empty volume spec');
  if (spec.length <= 2) return { type: 'volume', target: spec };

  const vol: Partial<ServiceVolume> & { source?: string } = {};
  let buffer = '';
  let depth = 0; // inside `${…}`: a colon there belongs to the variable's default
  const END = '\0';
  const chars = [...spec, END];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    if (char === '$' && chars[i + 1] === '{') {
      depth++;
      buffer += char;
      continue;
    }
    if (char === '}' && depth > 0) {
      depth--;
      buffer += char;
      continue;
    }
    if (isWindowsDrive(buffer, char)) {
      buffer += char;
    } else if ((char === ':' || char === END) && depth === 0) {
      const problem = populateField(char === END, buffer, vol);
      if (problem) throw new VolumeSpecError(`invalid spec: ${spec}: ${problem}`);
      buffer = '';
    } else {
      buffer += char;
    }
  }

  if (vol.source !== undefined && isFilePath(vol.source)) {
    vol.type = 'bind';
    // Short syntax creates a missing host path, for compatibility with docker-compose v1.
    vol.bind = { ...vol.bind, create_host_path: true };
  } else {
    vol.type = 'volume';
    vol.volume ??= {};
  }
  if (vol.target) vol.target = path.posix.normalize(vol.target).replace(/(.)\/$/, '$1');
  return vol as ServiceVolume;
}

/** Fills the next field; returns what is wrong, if anything. */
function populateField(atEnd: boolean, buffer: string, vol: Partial<ServiceVolume>): string | undefined {
  if (buffer === '') return 'empty section between colons';
  if (vol.source === undefined && atEnd) {
    vol.target = buffer; // anonymous volume
    return undefined;
  }
  if (vol.source === undefined) {
    vol.source = buffer;
    return undefined;
  }
  if (vol.target === undefined) {
    vol.target = buffer;
    return undefined;
  }
  if (!atEnd) return 'too many colons';
  for (const option of buffer.split(',')) {
    if (option === 'ro') vol.read_only = true;
    else if (option === 'rw') vol.read_only = false;
    else if (option === 'nocopy') vol.volume = { nocopy: true };
    else if (PROPAGATIONS.has(option)) vol.bind = { ...vol.bind, propagation: option };
    else if (SELINUX.has(option)) vol.bind = { ...vol.bind, selinux: option as 'z' | 'Z' };
    // Unknown options are ignored, as in compose.
  }
  return undefined;
}

/** `~`, `~/x` → under the home directory; relative → under the project directory. */
export function resolveHostPath(p: string, ctx: RuleContext): string {
  // compose-go joins whatever follows `~` to the home directory (`~x` → `<home>/x`).
  if (p.startsWith('~')) return path.join(ctx.homeDir, p.slice(1));
  if (path.isAbsolute(p) || p.startsWith('\\\\') || /^[a-z]:[\\/]/i.test(p) || p.includes('${')) return p;
  return path.resolve(ctx.projectDir, p);
}

/** `services.*.volumes.*`: short → long; bind sources absolute; tmpfs size in bytes. */
export const normalizeServiceVolume: Rule = (value, at, ctx) => {
  let vol: Record<string, unknown>;
  if (typeof value === 'string') {
    if (value.includes('${')) return value; // not interpolated (`--no-interpolate`)
    try {
      vol = { ...parseVolumeSpec(value) };
    } catch (e) {
      if (e instanceof VolumeSpecError) throw errorAt(at, e.message, 'use "[source:]target[:ro|rw,…]", e.g. "./data:/data:ro"');
      throw e;
    }
  } else if (isPlainObject(value)) {
    vol = { ...value };
    // A long-syntax `bind:` mapping also creates the host path unless it says otherwise.
    if (isPlainObject(vol.bind) && vol.bind.create_host_path === undefined) vol.bind = { ...vol.bind, create_host_path: true };
  } else {
    throw errorAt(at, `invalid type for a service volume: expected a string or a mapping`);
  }

  if (vol.type === 'bind') {
    if (typeof vol.source !== 'string' || vol.source === '') {
      throw errorAt(at, 'invalid mount config for type "bind": field Source must not be empty', 'set `source:` to a host path');
    }
    vol.source = resolveHostPath(vol.source, ctx);
  }
  if (isPlainObject(vol.tmpfs) && vol.tmpfs.size !== undefined) {
    vol.tmpfs = { ...vol.tmpfs, size: sizeAt([...at, 'tmpfs', 'size'], vol.tmpfs.size) };
  }
  return vol;
};

export function sizeAt(at: KeyPath, value: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  try {
    return parseSize(value);
  } catch (e) {
    if (e instanceof SizeError) throw errorAt(at, e.message);
    throw e;
  }
}

/** `volumes.*` (top level): a local volume that is really a bind mount gets an absolute device. */
export const normalizeTopLevelVolume: Rule = (value, _at, ctx) => {
  if (!isPlainObject(value) || value.driver !== 'local' || !isPlainObject(value.driver_opts)) return value;
  const opts = value.driver_opts;
  if (opts.o !== 'bind' || typeof opts.device !== 'string') return value;
  return { ...value, driver_opts: { ...opts, device: resolveHostPath(opts.device, ctx) } };
};
