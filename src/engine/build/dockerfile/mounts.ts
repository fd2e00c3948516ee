// `RUN --mount=<csv>` as BuildKit's parseMount reads it (commands_runmount.go). The parser calls
// it without an expander: literal values are checked now, values holding `$` are left for the
// planner, which calls it again with the stage's variables. Then the defaults the solver needs
// (cache ids, secret and ssh targets) are filled in by `mountDefaults`.
import type { CacheSharing, MountType, RunMount } from './model.js';
import { editDistance } from './suggest.js';

export class MountError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const KEYS = [
  'type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw',
  'required', 'size', 'id', 'sharing', 'mode', 'uid', 'gid', 'env',
];

/** Go's encoding/csv for one record: `,` separates, `"` quotes, `""` is a quote inside quotes. */
export function csvFields(value: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) throw new MountError('failed to parse csv mounts: extraneous or missing " in quoted-field');
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += value[i++];
      }
      if (i < value.length && value[i] !== ',') throw new MountError('failed to parse csv mounts: extraneous or missing " in quoted-field');
    } else {
      while (i < value.length && value[i] !== ',') {
        if (value[i] === '"') throw new MountError('failed to parse csv mounts: bare " in non-quoted-field');
        field += value[i++];
      }
    }
    fields.push(field);
    if (i >= value.length) return fields;
    i++; // the comma
  }
}

/** go-units RAMInBytes: `64m`, `1.5GiB`, `100` → bytes (binary multiples). */
export function ramInBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (!m) throw new MountError(`invalid size: '${value}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(parseFloat(m[1]) * mult);
}

function parseBool(key: string, value: string): boolean {
  // Go's strconv.ParseBool.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new MountError(`invalid value for ${key}: ${value}`, 'use true or false');
}

function parseUint(key: string, value: string, base: 8 | 10): number {
  const re = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  const n = re.test(value) ? parseInt(value, base) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new MountError(`invalid value ${value} for ${key}`);
  return n;
}

/**
 * Parses one `--mount` value. Without `expand`, a value holding `$` is left as written and not
 * checked (the planner checks it once expanded); `from` never takes variables.
 */
export function parseMount(spec: string, expand?: (value: string) => string): RunMount {
  const fields = csvFields(spec);
  const m: RunMount = { type: 'bind', readonly: true, required: false };
  let roAuto = true;
  let typeKnown = true;

  const valueOf = (key: string, raw: string): string | undefined => {
    if (expand) return expand(raw);
    if (key === 'from') {
      const idx = raw.indexOf('$');
      if (idx !== -1 && idx !== raw.length - 1) {
        throw new MountError(`'${key}' doesn't support variable expansion`, 'define an alias stage (FROM <image> AS <name>) and mount from it');
      }
      return raw;
    }
    return raw.includes('$') ? undefined : raw;
  };

  // The type first, so `required,type=secret` means the same as `type=secret,required`.
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0 || field.slice(0, eq).toLowerCase() !== 'type') continue;
    const value = valueOf('type', field.slice(eq + 1));
    if (value === undefined) {
      typeKnown = false;
      continue;
    }
    const t = value.toLowerCase() as MountType;
    if (!TYPES.includes(t)) throw new MountError(`unsupported mount type ${JSON.stringify(value)}`, `use one of ${TYPES.join(', ')}`);
    m.type = t;
  }

  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        m.readonly = true;
        roAuto = false;
      } else if (key === 'readwrite' || key === 'rw') {
        m.readonly = false;
        roAuto = false;
      } else if (key === 'required') {
        if (typeKnown && m.type !== 'secret' && m.type !== 'ssh') throw new MountError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = true;
      } else {
        throw new MountError(`invalid field '${field}' must be a key=value pair`);
      }
      continue;
    }
    if (key === 'type') continue;
    const value = valueOf(key, field.slice(eq + 1));
    if (!KEYS.includes(key)) {
      const near = suggestKey(key);
      throw new MountError(`unexpected key '${key}' in '${field}'`, near ? `did you mean ${near}?` : `keys are ${KEYS.join(', ')}`);
    }
    if (value === undefined) continue;
    switch (key) {
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readonly = parseBool(key, value);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readonly = !parseBool(key, value);
        roAuto = false;
        break;
      case 'required':
        if (typeKnown && m.type !== 'secret' && m.type !== 'ssh') throw new MountError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = parseBool(key, value);
        break;
      case 'size':
        if (typeKnown && m.type !== 'tmpfs') throw new MountError(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.size = ramInBytes(value);
        } catch {
          throw new MountError(`invalid value for ${key}: ${value}`, 'use a size such as 64m or 1g');
        }
        break;
      case 'id':
        m.id = value;
        break;
      case 'sharing': {
        const s = value.toLowerCase() as CacheSharing;
        if (!SHARING.includes(s)) throw new MountError(`unsupported sharing value ${JSON.stringify(value)}`, `use one of ${SHARING.join(', ')}`);
        m.sharing = s;
        break;
      }
      case 'mode':
        m.mode = parseUint(key, value, 8);
        break;
      case 'uid':
        m.uid = parseUint(key, value, 10);
        break;
      case 'gid':
        m.gid = parseUint(key, value, 10);
        break;
      case 'env':
        m.env = value;
        break;
    }
  }

  if (!typeKnown) return m;
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw new MountError(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readonly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== undefined) throw new MountError('secret mount should not have a from');
    if (m.sharing !== undefined) throw new MountError('secret mount should not define sharing');
    if (m.source === undefined && m.target === undefined && m.id === undefined && m.env === undefined) {
      throw new MountError('invalid secret mount. one of source, target required', 'name the secret with id=<id>');
    }
    if (m.source !== undefined && m.id !== undefined) throw new MountError("both source and id can't be set");
  }
  if (m.sharing !== undefined && m.type !== 'cache') throw new MountError(`invalid cache sharing set for ${m.type} mount`);
  if (m.env !== undefined && m.type !== 'secret') throw new MountError(`unexpected key 'env' for mount type '${m.type}'`);
  return m;
}

function suggestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of KEYS) {
    const d = editDistance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The mount the solver sets up: defaults filled in as BuildKit's convert_runmount does. `index`
 * numbers ssh mounts within the RUN for their default socket path.
 */
export function mountDefaults(m: RunMount, sshIndex: number): RunMount {
  const out: RunMount = { ...m };
  switch (m.type) {
    case 'cache':
      out.id = m.id ?? m.target;
      out.sharing = m.sharing ?? 'shared';
      break;
    case 'secret': {
      const id = m.id ?? m.source ?? (m.target ? m.target.split('/').filter(Boolean).pop() : undefined);
      out.id = id;
      delete out.source;
      if (m.target === undefined && m.env === undefined && id !== undefined) out.target = `/run/secrets/${id}`;
      break;
    }
    case 'ssh':
      out.id = m.id ?? 'default';
      out.target = m.target ?? `/run/buildkit/ssh_agent.${sshIndex}`;
      out.mode = m.mode ?? 0o600;
      break;
    default:
      break;
  }
  return out;
}
