// Interpolation stage: substitutes `${VAR}` in every value of one parsed file (keys are
// never templates), then casts the values that must not stay strings — `read_only: ${RO}`
// must become a boolean before schema validation sees it. compose-go's `interpolation/`
// package plus the cast table of its `loader/interpolate.go`.
import { ComposeError, formatKeyPath, throwIfAny, type KeyPath, type Location, type Warning } from '../errors.js';
import { PatternTable, type PatternCursor } from './key-pattern.js';
import type { SourceMap } from './source-map.js';
import { OverrideTag, ResetTag } from './tags.js';
import { isPlainObject } from '../lib/object.js';
import { substitute, TemplateError, type Lookup } from './template.js';

export interface InterpolateOptions {
  lookup: Lookup;
  sourceMap?: SourceMap;
}

/** A failed cast: what the value should have been, and how to write one. */
class CastError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Turns a substituted string into its typed value; may add warnings (lenient YAML 1.1 booleans). */
type Cast = (value: string, warn: (message: string) => void) => unknown;

const toInt: Cast = (value) => {
  if (!/^[+-]?\d+$/.test(value)) throw new CastError(`${JSON.stringify(value)} is not an integer`, 'write a whole number such as 3');
  return Number(value);
};

const toNumber: Cast = (value) => {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    throw new CastError(`${JSON.stringify(value)} is not a number`, 'write a number such as 0.5');
  }
  return Number(value);
};

const toBoolean: Cast = (value, warn) => {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  // YAML 1.1 spellings still work, as in compose-go, but are on their way out.
  if (['y', 'yes', 'on'].includes(lower)) {
    warn(`${JSON.stringify(value)} for boolean is not supported by YAML 1.2, please use \`true\``);
    return true;
  }
  if (['n', 'no', 'off'].includes(lower)) {
    warn(`${JSON.stringify(value)} for boolean is not supported by YAML 1.2, please use \`false\``);
    return false;
  }
  throw new CastError(`invalid boolean: ${value}`, 'use true or false');
};

/**
 * Which values are typed. compose-go's table first (container, workload and service-only
 * attributes), then berth's additions: attributes berth's schema types as booleans that
 * compose-go's table lacks. Sizes, durations and `ports[].published` (which may be a range)
 * stay strings here: normalization owns them.
 */
const CASTS = new PatternTable<Cast>({
  'networks.*.external': toBoolean,
  'networks.*.internal': toBoolean,
  'networks.*.attachable': toBoolean,
  'networks.*.enable_ipv4': toBoolean,
  'networks.*.enable_ipv6': toBoolean,
  'volumes.*.external': toBoolean,
  'secrets.*.external': toBoolean,
  'configs.*.external': toBoolean,

  'services.*.cpu_count': toInt,
  'services.*.cpu_percent': toNumber,
  'services.*.cpu_period': toInt,
  'services.*.cpu_quota': toInt,
  'services.*.cpu_rt_period': toInt,
  'services.*.cpu_rt_runtime': toInt,
  'services.*.cpus': toNumber,
  'services.*.cpu_shares': toInt,
  'services.*.init': toBoolean,
  'services.*.oom_kill_disable': toBoolean,
  'services.*.oom_score_adj': toInt,
  'services.*.pids_limit': toInt,
  'services.*.privileged': toBoolean,
  'services.*.read_only': toBoolean,
  'services.*.ulimits.*': toInt,
  'services.*.ulimits.*.hard': toInt,
  'services.*.ulimits.*.soft': toInt,
  'services.*.volumes.*.read_only': toBoolean,
  'services.*.volumes.*.volume.nocopy': toBoolean,
  'services.*.pre_start.*.privileged': toBoolean,

  'services.*.depends_on.*.required': toBoolean,
  'services.*.depends_on.*.restart': toBoolean,
  'services.*.healthcheck.retries': toInt,
  'services.*.healthcheck.disable': toBoolean,
  'services.*.ports.*.target': toInt,
  'services.*.stdin_open': toBoolean,
  'services.*.tty': toBoolean,

  'services.*.deploy.replicas': toInt,
  'services.*.deploy.update_config.parallelism': toInt,
  'services.*.deploy.update_config.max_failure_ratio': toNumber,
  'services.*.deploy.rollback_config.parallelism': toInt,
  'services.*.deploy.rollback_config.max_failure_ratio': toNumber,
  'services.*.deploy.restart_policy.max_attempts': toInt,
  'services.*.deploy.placement.max_replicas_per_node': toInt,
  'services.*.scale': toInt,

  // berth's additions.
  'services.*.attach': toBoolean,
  'services.*.use_api_socket': toBoolean,
  'services.*.build.no_cache': toBoolean,
  'services.*.build.privileged': toBoolean,
  'services.*.build.pull': toBoolean,
  'services.*.env_file.*.required': toBoolean,
  'services.*.volumes.*.bind.create_host_path': toBoolean,
  'services.*.pre_start.*.per_replica': toBoolean,
  'services.*.post_start.*.privileged': toBoolean,
  'services.*.pre_stop.*.privileged': toBoolean,
  'services.*.develop.watch.*.initial_sync': toBoolean,
  'services.*.develop.watch.*.exec.privileged': toBoolean,
});

/**
 * Interpolates a parsed model. Walks through `!override` values (keeping the tag) and leaves
 * `!reset` alone. Every failure of the file is collected and thrown together, each naming
 * its key path in compose-go's words and located at file:line:column through `sourceMap`.
 * Variables used without a value and without a default yield docker compose's warning.
 */
export function interpolateModel(model: unknown, opts: InterpolateOptions): { value: unknown; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const errors: ComposeError[] = [];
  const where = (path: KeyPath): Location => opts.sourceMap?.locate(path) ?? { path };
  // The detail names the key path already (compose-go's wording), so errors carry only
  // file:line:column; warnings do not name it and keep the whole location.
  const errorAt = (path: KeyPath, detail: string, hint?: string) => {
    const loc = opts.sourceMap?.locate(path);
    const location = loc ? { file: loc.file, line: loc.line, column: loc.column } : undefined;
    errors.push(new ComposeError(detail, { location, hint }));
  };

  // The path of the value being visited, one array for the whole walk: errors and warnings get copies.
  const path: (string | number)[] = [];
  const visit = (value: unknown, cursor: PatternCursor<Cast>): unknown => {
    if (typeof value === 'string') return interpolateString(value, cursor.rule);
    if (value instanceof OverrideTag) {
      const inner = visit(value.value, cursor);
      return inner === value.value ? value : new OverrideTag(inner);
    }
    if (value instanceof ResetTag) return value;
    // A container is copied only when one of its values changed; later stages never mutate
    // their input (with --no-interpolate they get the parsed model itself), so sharing the
    // unchanged parts with the parsed model (rawModels) is safe.
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const v = visit(value[i], cursor.step(i));
        path.pop();
        if (out === undefined && v !== value[i]) out = value.slice(0, i);
        if (out !== undefined) out.push(v);
      }
      return out ?? value;
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      // An own `__proto__` key (the general parser keeps one) is always rebuilt, as before.
      let out: Record<string, unknown> | undefined = Object.prototype.hasOwnProperty.call(value, '__proto__') ? {} : undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        path.push(k);
        const v = visit(value[k], cursor.step(k));
        path.pop();
        if (out === undefined && v !== value[k]) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]] = value[keys[j]];
        }
        if (out !== undefined) out[k] = v;
      }
      return out ?? value;
    }
    return value;
  };

  const interpolateString = (text: string, cast: Cast | undefined): unknown => {
    let substituted = text;
    if (text.includes('$')) {
      try {
        const result = substitute(text, opts.lookup);
        substituted = result.value;
        for (const name of result.unset) {
          warnings.push({ message: `The ${JSON.stringify(name)} variable is not set. Defaulting to a blank string.`, location: where(path.slice()) });
        }
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        const at = formatKeyPath(path);
        if (e.kind === 'invalid') {
          // compose-go's words on one line (its message spans three), the template cut short.
          const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
          errorAt(path.slice(), `invalid interpolation format for ${at}: ${shown}${e.reason ? `: ${e.reason}` : ''}`, 'escape a literal $ as $$');
        } else {
          errorAt(path.slice(), `error while interpolating ${at}: ${e.message}`, `set ${e.variable} in the shell environment or in the project's .env file`);
        }
        return text;
      }
    }
    if (!cast) return substituted;
    try {
      return cast(substituted, (message) => warnings.push({ message, location: where(path.slice()) }));
    } catch (e) {
      if (!(e instanceof CastError)) throw e;
      errorAt(path.slice(), `error while interpolating ${formatKeyPath(path)}: failed to cast to expected type: ${e.message}`, e.hint);
      return substituted;
    }
  };

  const value = visit(model, CASTS.start());
  throwIfAny(errors);
  return { value, warnings };
}
