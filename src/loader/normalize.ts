// Normalisation: the merged, validated model → the canonical Project that `berth config`
// prints. This module only sequences the stages; each attribute family has its own module
// under normalize/ and its rule is registered below, keyed by path pattern:
//   1. canonical syntax (short → long, per-attribute rules, one walk over the model)
//   2. project-level defaults: default network, implicit depends_on, scale/replicas,
//      resource names
//   3. bind to the Project shape, keys sorted.
import { ComposeError, throwIfAny, type KeyPath, type Location } from '../errors.js';
import { PatternTable } from './key-pattern.js';
import type { Project } from '../model/project.js';
import { normalizeAdditionalContexts, normalizeBuild } from './normalize/build.js';
import { normalizeCommand, normalizeHealthcheckTest } from './normalize/command.js';
import { normalizeDependsOn, withImplicitDependencies } from './normalize/depends-on.js';
import { normalizeEnvFile } from './normalize/env-file.js';
import {
  fileReference,
  mappingOfStrings,
  mappingWithNulls,
  networkList,
  normalizeExtraHosts,
  normalizeUlimit,
  stringList,
  stringOrList,
} from './normalize/lists.js';
import { normalizePorts } from './normalize/ports.js';
import { attachDefaultNetwork, nameResources } from './normalize/resources.js';
import { bytes, decimal, duration } from './normalize/units.js';
import { normalizeServiceVolume, normalizeTopLevelVolume } from './normalize/volumes.js';
import { walk, type Rule, type RuleContext } from './normalize/walk.js';
import { sortKeysDeep } from './stable-json.js';
import { isPlainObject } from '../lib/object.js';

export interface NormalizeContext {
  projectName: string;
  projectDir: string;
  homeDir: string;
  /** Where a key path was written, for error locations (the loader's SourceIndex). */
  locate?: (path: KeyPath) => Location | undefined;
}

const DURATIONS = ['interval', 'timeout', 'start_period', 'start_interval'];

/** One rule per attribute; the first matching pattern wins, so specific ones come first. */
const RULES: Record<string, Rule> = {
  'services.*.build': normalizeBuild,
  'services.*.build.args': mappingWithNulls,
  'services.*.build.labels': mappingOfStrings,
  'services.*.build.additional_contexts': normalizeAdditionalContexts,
  'services.*.build.ulimits.*': normalizeUlimit,
  'services.*.build.shm_size': bytes,
  'services.*.build.extra_hosts': normalizeExtraHosts,
  'services.*.build.secrets.*': fileReference(),
  'services.*.command': normalizeCommand,
  'services.*.entrypoint': normalizeCommand,
  'services.*.depends_on': normalizeDependsOn,
  'services.*.env_file': normalizeEnvFile,
  'services.*.environment': mappingWithNulls,
  'services.*.labels': mappingOfStrings,
  'services.*.deploy.labels': mappingOfStrings,
  'services.*.annotations': mappingOfStrings,
  'services.*.sysctls': mappingOfStrings,
  'services.*.extra_hosts': normalizeExtraHosts,
  'services.*.ulimits.*': normalizeUlimit,
  'services.*.expose': stringList,
  'services.*.dns': stringOrList,
  'services.*.dns_search': stringOrList,
  'services.*.tmpfs': stringOrList,
  'services.*.label_file': stringOrList,
  'services.*.networks': networkList,
  'services.*.ports': normalizePorts,
  'services.*.volumes.*': normalizeServiceVolume,
  'services.*.secrets.*': fileReference((source) => `/run/secrets/${source}`),
  'services.*.configs.*': fileReference(),
  'services.*.healthcheck.test': normalizeHealthcheckTest,
  ...Object.fromEntries(DURATIONS.map((d) => [`services.*.healthcheck.${d}`, duration])),
  'services.*.stop_grace_period': duration,
  'services.*.deploy.restart_policy.delay': duration,
  'services.*.deploy.restart_policy.window': duration,
  'services.*.deploy.update_config.delay': duration,
  'services.*.deploy.update_config.monitor': duration,
  'services.*.deploy.rollback_config.delay': duration,
  'services.*.deploy.rollback_config.monitor': duration,
  'services.*.deploy.resources.limits.memory': bytes,
  'services.*.deploy.resources.reservations.memory': bytes,
  'services.*.mem_limit': bytes,
  'services.*.mem_reservation': bytes,
  'services.*.memswap_limit': bytes,
  'services.*.shm_size': bytes,
  'services.*.cpus': decimal,
  'services.*.deploy.resources.limits.cpus': decimal,
  'services.*.deploy.resources.reservations.cpus': decimal,
  'networks.*.labels': mappingOfStrings,
  // Driver options reach the engine as strings (compose-go: map[string]string): `baz: 1` → "1".
  'networks.*.driver_opts': mappingOfStrings,
  'volumes.*.driver_opts': mappingOfStrings,
  'volumes.*.labels': mappingOfStrings,
  'secrets.*.labels': mappingOfStrings,
  'configs.*.labels': mappingOfStrings,
  'volumes.*': normalizeTopLevelVolume,
};

const TABLE = new PatternTable<Rule>(RULES);

/**
 * The canonical Project. Pure: the input model is not changed. Every problem found is
 * reported at once (ComposeError, or ComposeErrors for several).
 */
export function normalizeModel(model: Record<string, unknown>, ctx: NormalizeContext): Project {
  const rules: RuleContext = { projectName: ctx.projectName, projectDir: ctx.projectDir, homeDir: ctx.homeDir };
  const located = (e: ComposeError): ComposeError => {
    const at = e.location?.path;
    return at && ctx.locate ? e.withLocation({ ...ctx.locate(at), path: at }) : e;
  };

  const { value, errors } = walk(withoutVersion(model), TABLE, rules, ctx.locate);
  let canonical = value as Record<string, unknown>;

  const projectErrors: ComposeError[] = [];
  canonical = mapServices(canonical, (name, svc) => {
    let out = withImplicitDependencies(svc);
    out = withPreStartImage(out);
    try {
      out = withReplicas(name, out);
    } catch (e) {
      if (!(e instanceof ComposeError)) throw e;
      projectErrors.push(e);
    }
    return out;
  });
  canonical = attachDefaultNetwork(canonical);
  canonical = nameResources(canonical, rules, projectErrors);
  throwIfAny([...errors, ...projectErrors.map(located)]);

  return bindProject(canonical, ctx.projectName);
}

/** `version` is obsolete; the loader warns about it, the model never carries it. */
function withoutVersion(model: Record<string, unknown>): Record<string, unknown> {
  const { version: _version, ...rest } = model;
  return rest;
}

function mapServices(
  model: Record<string, unknown>,
  fn: (name: string, svc: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  if (!isPlainObject(model.services)) return model;
  const services: Record<string, unknown> = {};
  for (const [name, svc] of Object.entries(model.services)) services[name] = isPlainObject(svc) ? fn(name, svc) : svc;
  return { ...model, services };
}

/** A whole number written as a number or a numeric string, else undefined. */
function asCount(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

/** `scale` and `deploy.replicas` say the same thing: both carry the value when either is set. */
function withReplicas(name: string, svc: Record<string, unknown>): Record<string, unknown> {
  const deploy = isPlainObject(svc.deploy) ? svc.deploy : undefined;
  const scale = asCount(svc.scale);
  const replicas = asCount(deploy?.replicas);
  if (scale === undefined && replicas === undefined) return svc;
  if (scale !== undefined && replicas !== undefined && scale !== replicas) {
    throw new ComposeError(`services.${name}: can't set distinct values on 'scale' and 'deploy.replicas'`, {
      location: { path: ['services', name, 'scale'] },
      hint: 'keep one of them (deploy.replicas is preferred)',
    });
  }
  const count = (scale ?? replicas) as number;
  return { ...svc, scale: count, deploy: { ...(deploy ?? {}), replicas: count } };
}

/** `pre_start` hooks without an image run in the service's image. */
function withPreStartImage(svc: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(svc.pre_start) || typeof svc.image !== 'string') return svc;
  const image = svc.image;
  return { ...svc, pre_start: svc.pre_start.map((h) => (isPlainObject(h) && h.image === undefined ? { ...h, image } : h)) };
}

const SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'] as const;

/** The typed shape: known sections, top-level `x-*` keys as extensions, every mapping key-sorted. */
function byName(section: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(section).sort()) out[k] = section[k];
  return out;
}

function bindProject(model: Record<string, unknown>, name: string): Project {
  // Resources are ordered by name so every listing is deterministic; deeper keys are sorted
  // where the model is printed or hashed, not on every load.
  const section = (key: (typeof SECTIONS)[number]) => (isPlainObject(model[key]) ? byName(model[key]) : {}) as Record<string, never>;
  const extensions: Record<string, unknown> = {};
  for (const key of Object.keys(model).sort()) if (key.startsWith('x-')) extensions[key] = sortKeysDeep(model[key]);
  return {
    name,
    services: section('services'),
    networks: section('networks'),
    volumes: section('volumes'),
    secrets: section('secrets'),
    configs: section('configs'),
    extensions,
  };
}

/** Mapping keys sorted at every depth: the same model always prints the same way. */
export const sortKeys = sortKeysDeep;
