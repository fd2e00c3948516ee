// The loader only sequences the stages; each stage lives in its own module:
//   discover → per file: parse → interpolate → include → extends → merge files → strip tags
//   → validate (schema) → name → normalize → resolve environment → profiles → validate (semantics)
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ComposeError, throwIfAny, type KeyPath, type Warning } from '../errors.js';
import { discover, invalidProjectNameMessage, isFile, normalizeProjectName, VALID_PROJECT_NAME, type Discovery, type DiscoveryOptions } from './discover.js';
import { EnvFileUnreadableError, readEnvFile } from './dotenv.js';
import { resolveServiceEnvironment } from './environment.js';
import { resolveExtends, type LoadedFile } from './extends.js';
import { interpolateModel } from './interpolate.js';
import { enforceUnicity, mergeModels } from './merge.js';
import type { Project } from '../model/project.js';
import { normalizeModel } from './normalize.js';
import { parseYaml } from './parse.js';
import { resolveRelativePaths } from './paths.js';
import { applyProfiles } from './profiles.js';
import { SourceIndex, type SourceMap } from './source-map.js';
import { stripTags } from './tags.js';
import { isPlainObject } from '../lib/object.js';
import { substitute, type Lookup } from './template.js';
import { validateSchema } from './validate-schema.js';
import { validateSemantics } from './validate-semantics.js';

export interface LoadOptions extends DiscoveryOptions {
  /** `--profile`; when absent COMPOSE_PROFILES is used. */
  profiles?: string[];
  /** Services named on the command line: they enable themselves whatever their profiles. */
  explicitServices?: string[];
  /** `--no-interpolate` sets this to false. */
  interpolate?: boolean;
  /** Content of `-f -`. */
  readStdin?: () => string;
  homeDir?: string;
  /**
   * false skips the semantic checks (references, cycles, unique names and ports), like
   * compose-go's SkipConsistencyCheck: for replaying its tests on fragments. Default true.
   */
  consistencyCheck?: boolean;
}

export interface LoadedProject {
  project: Project;
  warnings: Warning[];
  discovery: Discovery;
  /**
   * Every file that shaped the model, absolute and sorted: compose files, `.env`/--env-file, includes
   * and their env files, extends targets, env_file and label_file entries, config and secret `file:`
   * sources. What `berth watch` watches, recomputed on every load.
   */
  inputs: string[];
  /** The files as parsed, before interpolation: what `config --variables` reads. */
  rawModels: unknown[];
  sourceIndex: SourceIndex;
}

interface LoadContext {
  lookup: Lookup;
  interpolate: boolean;
  warnings: Warning[];
  inputs: Set<string>;
  rawModels: unknown[];
  index: SourceIndex;
  /** Parsed files, shared by every context: parsing does not depend on the environment. */
  parsed: Map<string, ParsedModelFile>;
  workingDir: string;
  /** Files being included, outermost first: a file met again is a cycle. */
  includeStack: string[];
  cache: Map<string, LoadedFile>;
  readStdin: () => string;
  /** Set inside an include: its project_directory, against which `extends.file` resolves. */
  extendsBaseDir?: string;
}

export function loadProject(opts: LoadOptions): LoadedProject {
  const discovery = discover(opts);
  const ctx: LoadContext = {
    lookup: (k) => discovery.environment[k],
    parsed: new Map(),
    workingDir: path.resolve(opts.workingDir),
    interpolate: opts.interpolate !== false,
    warnings: [],
    inputs: new Set([...discovery.files.filter((f) => f !== '-'), ...discovery.envFiles]),
    rawModels: [],
    index: new SourceIndex(),
    includeStack: [],
    cache: new Map(),
    readStdin: opts.readStdin ?? (() => readFileSync(0, 'utf8')),
  };

  // The name is known before interpolation, so files can use ${COMPOSE_PROJECT_NAME} (as in compose).
  const name = projectName(discovery, ctx);
  const lookup: Lookup = (k) => discovery.environment[k] ?? (k === 'COMPOSE_PROJECT_NAME' ? name : undefined);
  ctx.lookup = lookup;

  // A base service pulled in by `extends` may name services that only a later -f file
  // defines; those are known, not undefined.
  const knownServices = discovery.files.flatMap((f) => {
    const services = readModelFile(f, ctx).value.services;
    return isPlainObject(services) ? Object.keys(services) : [];
  });
  let merged: Record<string, unknown> | undefined;
  let anyContent = false;
  for (const file of discovery.files) {
    const { model, empty } = loadComposeFile(file, ctx, knownServices);
    anyContent ||= !empty;
    merged = merged === undefined ? model : (mergeModels(merged, model) as Record<string, unknown>);
  }
  if (!anyContent || merged === undefined) {
    throw new ComposeError('empty compose file', { location: { file: discovery.files.join(', ') }, hint: 'define at least one service' });
  }
  let model = stripTags(merged) as Record<string, unknown>;
  if ('version' in model) {
    ctx.warnings.push({ message: '`version` is obsolete and ignored; remove it', location: ctx.index.locate(['version']) });
    const { version: _ignored, ...rest } = model;
    model = rest;
  }

  throwIfAny(validateSchema(model, (p) => ctx.index.locate(p)));

  let project = normalizeModel(model, {
    projectName: name,
    projectDir: discovery.projectDir,
    homeDir: opts.homeDir ?? os.homedir(),
    locate: (p) => ctx.index.locate(p),
  });
  project = withResolvedEnvironment(project, lookup, ctx, discovery.projectDir);
  // Config and secret files shape what containers get (their contents are in the config hash),
  // so they are inputs too: `berth watch` reloads when one of them is edited.
  for (const def of [...Object.values(project.configs), ...Object.values(project.secrets)]) {
    if (def.file && !def.external) ctx.inputs.add(def.file);
  }

  const profiles = opts.profiles?.length
    ? opts.profiles
    : (discovery.environment.COMPOSE_PROFILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  project = applyProfiles(project, { profiles, explicitServices: opts.explicitServices, locate: (p) => ctx.index.locate(p) });

  if (opts.consistencyCheck !== false) throwIfAny(validateSemantics(project, (p) => ctx.index.locate(p)));

  return {
    project,
    warnings: ctx.warnings,
    discovery,
    inputs: [...ctx.inputs].sort(),
    rawModels: ctx.rawModels,
    sourceIndex: ctx.index,
  };
}

/**
 * -p or COMPOSE_PROJECT_NAME, else the last `name:` of the files (itself interpolated, then
 * normalised), else the project directory's name, normalised.
 */
function projectName(discovery: Discovery, ctx: LoadContext): string {
  if (discovery.explicitName) return discovery.explicitName;
  let fromModel = '';
  for (const file of discovery.files) {
    const raw = parseModelFile(file, ctx).value?.name;
    if (typeof raw !== 'string') continue;
    let value = raw;
    if (ctx.interpolate) {
      try {
        value = substitute(raw, ctx.lookup).value;
      } catch {
        continue; // interpolating the whole file reports it, located
      }
    }
    // As compose-go: a name written in the file must already be valid (only the directory's
    // name is normalised); an empty one falls back to the directory.
    if (value !== '' && !VALID_PROJECT_NAME.test(value)) {
      throw new ComposeError(invalidProjectNameMessage(value), {
        location: ctx.index.locate(['name']),
        hint: 'write it in lower case, e.g. ' + JSON.stringify(normalizeProjectName(value) || 'my-project'),
      });
    }
    if (value !== '') fromModel = value;
  }
  if (fromModel) return fromModel;
  const fromDir = normalizeProjectName(path.basename(discovery.projectDir));
  if (!fromDir) {
    throw new ComposeError('project name must not be empty', {
      location: { file: discovery.projectDir },
      hint: 'set `name:` in the compose file, or pass -p NAME',
    });
  }
  return fromDir;
}

interface ParsedModelFile {
  display: string;
  /** undefined for an empty file. */
  value: Record<string, unknown> | undefined;
  sourceMap: SourceMap;
}

/** Reads and parses one file, once per load whatever the environment. */
function parseModelFile(file: string, ctx: LoadContext): ParsedModelFile {
  const cached = ctx.parsed.get(file);
  if (cached) return cached;
  let text: string;
  try {
    text = file === '-' ? ctx.readStdin() : readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? `permission denied (${code})` : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e));
    throw new ComposeError(`cannot read the compose file: ${why}`, {
      location: { file },
      hint: code === 'EACCES' || code === 'EPERM' ? `check its permissions: this user (uid ${process.getuid?.() ?? '?'}) must be able to read it` : 'check that the file exists and is readable',
    });
  }
  const display = file === '-' ? '<stdin>' : file;
  const parsed = parseYaml(text, display);
  ctx.index.add(parsed.sourceMap);
  if (file !== '-') ctx.inputs.add(file);
  if (parsed.value !== undefined && parsed.value !== null && !isPlainObject(parsed.value)) {
    throw new ComposeError('top-level object must be a mapping', {
      location: { file: display, line: 1, column: 1 },
      hint: 'a compose file is a mapping with keys such as `services:`',
    });
  }
  const result: ParsedModelFile = { display, value: (parsed.value ?? undefined) as Record<string, unknown> | undefined, sourceMap: parsed.sourceMap };
  if (result.value) ctx.rawModels.push(result.value);
  ctx.parsed.set(file, result);
  return result;
}

/** Reads, parses and interpolates one file: the unit that include and extends load too. */
/** One file parsed and interpolated with the context's environment: the unit include and extends load too. */
function readModelFile(file: string, ctx: LoadContext): LoadedFile & { empty: boolean } {
  const parsed = parseModelFile(file, ctx);
  if (parsed.value === undefined) return { file: parsed.display, value: {}, sourceMap: parsed.sourceMap, empty: true };
  const cached = ctx.cache.get(file);
  if (cached) return { ...cached, empty: false };
  let value = parsed.value;
  if (ctx.interpolate) {
    const result = interpolateModel(value, { lookup: ctx.lookup, sourceMap: parsed.sourceMap });
    ctx.warnings.push(...result.warnings);
    value = result.value as Record<string, unknown>;
  }
  const loaded: LoadedFile = { file: parsed.display, value, sourceMap: parsed.sourceMap };
  ctx.cache.set(file, loaded);
  return { ...loaded, empty: false };
}

function loadComposeFile(
  file: string,
  ctx: LoadContext,
  knownServices?: readonly string[],
): { model: Record<string, unknown>; empty: boolean } {
  const loaded = readModelFile(file, ctx);
  let model = applyIncludes(loaded.value, file, ctx);
  model = resolveExtends(model, {
    file: loaded.file,
    sourceMap: loaded.sourceMap,
    knownServices,
    baseDir: ctx.extendsBaseDir ?? (file === '-' ? ctx.workingDir : undefined),
    loadFile: (p) => {
      ctx.inputs.add(p);
      return readModelFile(p, ctx);
    },
  });
  // Repeated entries (the same port twice, a volume target twice) collapse even in a single file.
  return { model: enforceUnicity(model) as Record<string, unknown>, empty: loaded.empty };
}

/**
 * `include:` loads each entry as its own sub-project (its directory, its env file), makes
 * its relative paths absolute, and puts its resources under the including file, which may
 * override them. Two includes defining the same resource differently is an error.
 */
function applyIncludes(model: Record<string, unknown>, file: string, ctx: LoadContext): Record<string, unknown> {
  const entries = model.include;
  if (entries === undefined) return model;
  const { include: _include, ...own } = model;
  if (!Array.isArray(entries)) return model; // the schema reports the shape
  const baseDir = file === '-' ? ctx.workingDir : path.dirname(file);
  const here = ctx.includeStack.length ? ctx.includeStack : [file];

  let included: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  entries.forEach((entry, i) => {
    const spec = typeof entry === 'string' ? { path: entry } : isPlainObject(entry) ? entry : undefined;
    if (!spec) return;
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => path.resolve(baseDir, String(p)));
    for (const p of paths) {
      if (!isFile(p)) {
        throw new ComposeError(`included file ${p} does not exist`, { location: ctx.index.locate(['include', i]), hint: 'fix the include path, relative to the including file' });
      }
      if ([...here, file].includes(p)) {
        const chain = [...here, file, p].filter((f, j, all) => j === 0 || f !== all[j - 1]);
        throw new ComposeError(`include cycle detected: ${chain.join(' -> ')}`, { location: ctx.index.locate(['include', i]) });
      }
    }
    const projectDir = typeof spec.project_directory === 'string' ? path.resolve(baseDir, spec.project_directory) : path.dirname(paths[0]);
    const envFiles =
      spec.env_file === undefined
        ? [path.join(projectDir, '.env')].filter(isFile)
        : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((f) => path.resolve(baseDir, String(f)));
    const includeEnv: Record<string, string> = {};
    for (const envFile of envFiles) {
      const values = readEnvFile(envFile, { lookup: ctx.lookup, fallback: (k) => includeEnv[k], required: true });
      for (const [k, v] of values ?? []) includeEnv[k] = v;
      ctx.inputs.add(envFile);
    }
    // The project environment beats the include's env file, as in compose.
    const sub: LoadContext = {
      ...ctx,
      lookup: (k) => ctx.lookup(k) ?? includeEnv[k],
      includeStack: [...here, file],
      cache: new Map(),
      extendsBaseDir: projectDir,
    };
    let subModel: Record<string, unknown> | undefined;
    for (const p of paths) {
      const { model: m } = loadComposeFile(p, sub);
      subModel = subModel === undefined ? m : (mergeModels(subModel, m) as Record<string, unknown>);
    }
    const { name: _name, ...resources } = resolveRelativePaths(stripTags(subModel ?? {}) as Record<string, unknown>, projectDir);
    included = mergeIncluded(included, resources, paths.join(', '), origin, ctx, i);
  });
  return mergeModels(included, own) as Record<string, unknown>;
}

const RESOURCE_SECTIONS = ['services', 'networks', 'volumes', 'configs', 'secrets', 'models'];

function mergeIncluded(
  acc: Record<string, unknown>,
  next: Record<string, unknown>,
  from: string,
  origin: Map<string, string>,
  ctx: LoadContext,
  index: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...acc };
  for (const [section, value] of Object.entries(next)) {
    if (!RESOURCE_SECTIONS.includes(section) || !isPlainObject(value)) {
      out[section] = section in out ? mergeModels(out[section], value) : value;
      continue;
    }
    const target: Record<string, unknown> = { ...(isPlainObject(out[section]) ? out[section] : {}) };
    for (const [name, def] of Object.entries(value)) {
      const key = `${section}.${name}`;
      if (name in target && JSON.stringify(target[name]) !== JSON.stringify(def)) {
        throw new ComposeError(`${key} is defined differently by two included files: ${origin.get(key)} and ${from}`, {
          location: ctx.index.locate(['include', index]),
          hint: 'rename one of them, or define it once in the including file',
        });
      }
      target[name] = def;
      origin.set(key, from);
    }
    out[section] = target;
  }
  return out;
}

/**
 * Runs `read`; an env or label file that cannot be read at all is reported where the compose file
 * names it (`services.web.env_file[1]`, its line and column), the file's own path in the message.
 */
function atEntry<T>(list: KeyPath, indexOf: (file: string) => number, ctx: LoadContext, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof EnvFileUnreadableError) || !e.location?.file) throw e;
    const i = indexOf(e.location.file);
    const at: KeyPath = i >= 0 ? [...list, i] : list;
    // A single `env_file: x.env` is normalised into a list: the index then points at the key itself.
    throw new ComposeError(e.detail, { location: ctx.index.locate(at), hint: e.hint });
  }
}

/**
 * env_file contents go into `environment` (explicit entries win) and label_file contents into
 * `labels` (explicit labels win), so the printed model is what containers get.
 */
function withResolvedEnvironment(project: Project, lookup: Lookup, ctx: LoadContext, projectDir: string): Project {
  const services: Project['services'] = {};
  for (const [name, svc] of Object.entries(project.services)) {
    let out = svc;
    for (const f of svc.env_file ?? []) ctx.inputs.add(f.path);
    if (svc.environment || svc.env_file) {
      const envFiles = svc.env_file ?? [];
      const environment = atEntry(['services', name, 'env_file'], (file) => envFiles.findIndex((f) => f.path === file), ctx, () =>
        resolveServiceEnvironment(svc.environment, svc.env_file, lookup),
      );
      out = { ...out, environment };
    }
    if (svc.label_file?.length) {
      const files = svc.label_file.map((f) => path.resolve(projectDir, f));
      const fromFiles: Record<string, string> = {};
      for (const file of files) {
        ctx.inputs.add(file);
        const values = atEntry(['services', name, 'label_file'], (f) => files.indexOf(f), ctx, () => readEnvFile(file, { required: true }));
        for (const [k, v] of values ?? []) fromFiles[k] = v;
      }
      out = { ...out, label_file: files, labels: { ...fromFiles, ...svc.labels } };
    }
    services[name] = out;
  }
  return { ...project, services };
}
