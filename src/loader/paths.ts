// Relative paths in a raw model are relative to the file (or include project directory) that
// declared them. Before a model from another directory is merged into the main one (include,
// extends of another file) its paths are made absolute here, so normalisation can resolve
// what is left against the main project directory.
import path from 'node:path';
import { isPlainObject } from '../lib/object.js';

/** Remote build contexts are left as they are. */
export function isRemoteContext(ctx: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) || ctx.startsWith('git@') || /^github\.com\//.test(ctx);
}

function absolute(base: string, p: unknown): unknown {
  if (typeof p !== 'string' || p === '' || path.isAbsolute(p) || p.startsWith('~') || p.includes('${')) return p;
  return path.resolve(base, p);
}

/** A short volume spec `./src:/dst[:mode]` with its host part made absolute; named volumes untouched. */
function absoluteVolume(base: string, spec: unknown): unknown {
  if (typeof spec === 'string') {
    if (!spec.startsWith('.')) return spec;
    const colon = spec.indexOf(':');
    const src = colon === -1 ? spec : spec.slice(0, colon);
    return `${absolute(base, src)}${colon === -1 ? '' : spec.slice(colon)}`;
  }
  if (isPlainObject(spec) && spec.type === 'bind' && typeof spec.source === 'string') {
    return { ...spec, source: absolute(base, spec.source) };
  }
  return spec;
}

function absoluteEnvFiles(base: string, v: unknown): unknown {
  if (typeof v === 'string') return absolute(base, v);
  if (Array.isArray(v)) {
    return v.map((e) => (isPlainObject(e) ? { ...e, path: absolute(base, e.path) } : absolute(base, e)));
  }
  return v;
}

function resolveService(base: string, svc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...svc };
  if (typeof out.build === 'string') {
    out.build = isRemoteContext(out.build) ? out.build : absolute(base, out.build);
  } else if (isPlainObject(out.build)) {
    const build = { ...out.build };
    if (typeof build.context === 'string' && !isRemoteContext(build.context)) build.context = absolute(base, build.context);
    if (build.context === undefined) build.context = base;
    if (isPlainObject(build.additional_contexts)) {
      const extra: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(build.additional_contexts)) {
        extra[k] = typeof v === 'string' && !isRemoteContext(v) && !v.includes(':') ? absolute(base, v) : v;
      }
      build.additional_contexts = extra;
    }
    out.build = build;
  }
  if (out.env_file !== undefined) out.env_file = absoluteEnvFiles(base, out.env_file);
  if (out.label_file !== undefined) out.label_file = absoluteEnvFiles(base, out.label_file);
  if (Array.isArray(out.volumes)) out.volumes = out.volumes.map((v) => absoluteVolume(base, v));
  if (isPlainObject(out.extends) && typeof out.extends.file === 'string') {
    out.extends = { ...out.extends, file: absolute(base, out.extends.file) };
  }
  if (isPlainObject(out.develop) && Array.isArray(out.develop.watch)) {
    out.develop = {
      ...out.develop,
      watch: out.develop.watch.map((w) => (isPlainObject(w) ? { ...w, path: absolute(base, w.path) } : w)),
    };
  }
  return out;
}

/** The model with every relative path that belongs to `baseDir` made absolute. Pure. */
export function resolveRelativePaths(model: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...model };
  if (isPlainObject(model.services)) {
    const services: Record<string, unknown> = {};
    for (const [name, svc] of Object.entries(model.services)) {
      services[name] = isPlainObject(svc) ? resolveService(baseDir, svc) : svc;
    }
    out.services = services;
  }
  for (const kind of ['configs', 'secrets'] as const) {
    const section = model[kind];
    if (!isPlainObject(section)) continue;
    const resolved: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(section)) {
      resolved[name] = isPlainObject(def) && typeof def.file === 'string' ? { ...def, file: absolute(baseDir, def.file) } : def;
    }
    out[kind] = resolved;
  }
  return out;
}
