// Stage: `extends`. A service may name a base service, in the same file (`extends: base`) or
// in another one (`extends: {file: other.yaml, service: base}`); the base (itself resolved
// first, chains allowed) is merged under the service with the merge rules, and `extends` is
// dropped. Pure but for reading the other files through the injected `loadFile`.
//
// Paths inside a service taken from another file stay relative to that file: its services are
// rebased (made absolute) before they are merged in. Tags of a base are its own file's
// business and are stripped before merging; the extending service's own tags are kept, so its
// `!reset`/`!override` still apply when it is later merged with earlier compose files.
import path from 'node:path';
import { ComposeError, throwIfAny, type KeyPath, type Location } from '../errors.js';
import { mergeService } from './merge.js';
import { resolveRelativePaths } from './paths.js';
import type { SourceMap } from './source-map.js';
import { isOverride, isReset, stripTags } from './tags.js';
import { isPlainObject } from '../lib/object.js';

type Mapping = Record<string, unknown>;

export interface LoadedFile {
  file: string;
  value: Record<string, unknown>;
  sourceMap: SourceMap;
}

/** Parses and interpolates another file (injected by the loader, which caches). */
export type LoadFile = (absolutePath: string) => LoadedFile;

export interface ExtendsOptions {
  /** The file that holds `model`; `extends.file` is relative to it. */
  file: string;
  loadFile: LoadFile;
  sourceMap?: SourceMap;
  /**
   * Service names defined elsewhere in the project (other `-f` files). A base taken from
   * another file may refer (depends_on, volumes_from, `service:` network_mode/ipc) to these
   * as well as to the services of `model`.
   */
  knownServices?: readonly string[];
  /**
   * Where the relative `extends.file` of `model`'s own services starts, when not the file's
   * directory: an included file's `project_directory` (compose-go resolves against the
   * include's working directory). Files reached through extends keep their own directory.
   */
  baseDir?: string;
}

/** One file's services, as extends sees them. */
interface FileScope {
  /** Absolute path (or the display name for stdin), the identity used for cycles. */
  key: string;
  display: string;
  services: Mapping;
  locate: (path: KeyPath) => Location;
  isRoot: boolean;
}

interface Node {
  scope: FileScope;
  service: string;
}

/** A cycle met while resolving; reported once, at the root, whatever service led to it. */
class ExtendsCycle extends Error {
  constructor(readonly chain: Node[]) {
    super('extends cycle');
  }
}

export function resolveExtends(model: Record<string, unknown>, opts: ExtendsOptions): Record<string, unknown> {
  const services = model.services;
  if (!isPlainObject(services)) return model;
  if (!Object.values(services).some((s) => isPlainObject(s) && 'extends' in s)) return model;

  const root: FileScope = {
    key: fileKey(opts.file),
    display: opts.file,
    services,
    locate: (p) => opts.sourceMap?.locate(p) ?? { file: opts.file, path: p },
    isRoot: true,
  };
  const resolver = new Resolver(root, opts);
  const out: Mapping = {};
  const errors: ComposeError[] = [];
  const reported = new Set<string>();
  const report = (e: ComposeError): void => {
    if (reported.has(e.message)) return;
    reported.add(e.message);
    errors.push(e);
  };
  for (const name of Object.keys(services)) {
    try {
      define(out, name, resolver.resolve(root, name));
    } catch (e) {
      if (e instanceof ExtendsCycle) report(resolver.cycleError(e.chain));
      else if (e instanceof ComposeError) report(e);
      else throw e;
      define(out, name, services[name]);
    }
  }
  throwIfAny(errors);
  return { ...model, services: out };
}

class Resolver {
  private readonly done = new Map<string, unknown>();
  private readonly scopes = new Map<string, FileScope>();

  constructor(
    private readonly root: FileScope,
    private readonly opts: ExtendsOptions,
  ) {
    this.scopes.set(root.key, root);
  }

  /**
   * The service with its extends chain applied. Iterative: first down the chain to a service
   * already resolved (or extending nothing), then merging back up, so a chain of any length
   * costs no stack.
   */
  resolve(scope: FileScope, name: string): unknown {
    const links: { node: Node; own: Mapping; baseScope: FileScope; baseName: string }[] = [];
    const onChain = new Map<string, number>();
    let node: Node = { scope, service: name };
    for (;;) {
      const id = nodeId(node);
      if (this.done.has(id)) break;
      const service = node.scope.services[node.service];
      if (!isPlainObject(service) || !('extends' in service)) break;
      const at = onChain.get(id);
      if (at !== undefined) throw new ExtendsCycle(links.slice(at).map((l) => l.node));
      const ref = this.reference(node.scope, node.service, service.extends);
      // `extends: !reset` (or an `!override` tag on it) is for the file merge, not for us.
      if (!ref) break;
      const baseScope = ref.file === undefined ? node.scope : this.scopeOf(node.scope, node.service, ref.file);
      if (!Object.prototype.hasOwnProperty.call(baseScope.services, ref.service)) {
        const where = baseScope === node.scope ? '' : ` in ${baseScope.display}`;
        throw new ComposeError(`cannot extend service "${node.service}" in ${node.scope.display}: service "${ref.service}" not found${where}`, {
          location: node.scope.locate(['services', node.service, 'extends']),
          hint: `define "${ref.service}" there, or fix the name`,
        });
      }
      const { extends: _extends, ...own } = service;
      onChain.set(id, links.length);
      links.push({ node, own, baseScope, baseName: ref.service });
      node = { scope: baseScope, service: ref.service };
    }
    const bottom = nodeId(node);
    let value: unknown = this.done.has(bottom) ? this.done.get(bottom) : node.scope.services[node.service];
    for (const link of links.reverse()) {
      const base = value;
      // A null base (`nil:` left empty) adds nothing, as in compose-go.
      const merged = isPlainObject(base) ? mergeService(stripTags(base) as Mapping, link.own, { locate: link.node.scope.locate }) : link.own;
      if (link.node.scope.isRoot && link.baseScope !== link.node.scope && isPlainObject(base)) this.checkReferences(link.node.service, merged, base, link.baseName, link.baseScope);
      this.done.set(nodeId(link.node), merged);
      value = merged;
    }
    return value;
  }

  private reference(scope: FileScope, name: string, value: unknown): { service: string; file?: string } | undefined {
    if (isReset(value) || isOverride(value)) return undefined;
    if (typeof value === 'string') return { service: value };
    const at: KeyPath = ['services', name, 'extends'];
    if (!isPlainObject(value)) {
      throw new ComposeError(`services.${name}.extends must be a string or a mapping`, {
        location: scope.locate(at),
        hint: 'write `extends: base` or `extends: {file: other.yaml, service: base}`',
      });
    }
    if (typeof value.service !== 'string') {
      throw new ComposeError(`extends.${name}.service is required`, {
        location: scope.locate(at),
        hint: 'name the service to extend with `service:`',
      });
    }
    if (value.file !== undefined && value.file !== null && typeof value.file !== 'string') {
      throw new ComposeError(`services.${name}.extends.file must be a string`, { location: scope.locate([...at, 'file']) });
    }
    return { service: value.service, file: typeof value.file === 'string' ? value.file : undefined };
  }

  /** The services of the file `extends.file` names, rebased to absolute paths; loaded once. */
  private scopeOf(from: FileScope, name: string, file: string): FileScope {
    const base = from.isRoot && this.opts.baseDir ? this.opts.baseDir : from.key === '<stdin>' ? '.' : path.dirname(from.key);
    const target = path.resolve(base, file);
    const known = this.scopes.get(target);
    if (known) return known;

    const at: KeyPath = ['services', name, 'extends', 'file'];
    let loaded: LoadedFile;
    try {
      loaded = this.opts.loadFile(target);
    } catch (e) {
      // A file we cannot read is the extending service's problem; errors inside it keep their own location.
      if (e instanceof ComposeError && e.location?.line === undefined) {
        throw new ComposeError(`cannot extend service "${name}": cannot read ${target}: ${e.detail}`, {
          location: from.locate(at),
          hint: 'the path is relative to the file that declares extends',
          cause: e,
        });
      }
      throw e;
    }
    const services = loaded.value.services;
    if (!isPlainObject(services)) {
      throw new ComposeError(
        services === undefined
          ? `cannot extend service "${name}" in ${from.display}: ${loaded.file} has no services section`
          : `cannot extend service "${name}" in ${from.display}: services must be a mapping in ${loaded.file}`,
        { location: from.locate(at) },
      );
    }
    const scope: FileScope = {
      key: target,
      display: loaded.file,
      services: rebaseServices(services, path.dirname(target)),
      locate: (p) => loaded.sourceMap.locate(p),
      isRoot: false,
    };
    this.scopes.set(target, scope);
    return scope;
  }

  /**
   * A base from another file may refer to services of that file. Those references must name
   * services of the extending project, or they dangle (compose-go reports this at its
   * consistency check, with the same words).
   */
  private checkReferences(name: string, merged: Mapping, base: Mapping, baseName: string, baseScope: FileScope): void {
    const inherited = serviceReferences(base);
    const known = new Set([...Object.keys(this.root.services), ...(this.opts.knownServices ?? [])]);
    const missing = [...serviceReferences(merged)].filter((r) => inherited.has(r) && !known.has(r)).sort();
    if (missing.length === 0) return;
    throw new ComposeError(`service "${name}" depends on undefined service "${missing[0]}"`, {
      location: this.root.locate(['services', name, 'extends']),
      hint:
        `${missing.map((m) => `"${m}"`).join(', ')} ${missing.length === 1 ? 'comes' : 'come'} from service "${baseName}" in ` +
        `${baseScope.display}; define ${missing.length === 1 ? 'it' : 'them'} in this project or override the reference`,
    });
  }

  cycleError(chain: Node[]): ComposeError {
    // Start the cycle at its smallest member, so the message is the same whichever service led to it.
    const labels = chain.map((n) => this.label(n));
    let start = 0;
    labels.forEach((l, i) => {
      if (l < labels[start]) start = i;
    });
    const ordered = [...chain.slice(start), ...chain.slice(0, start)];
    const text = [...ordered, ordered[0]].map((n) => this.label(n)).join(' -> ');
    const first = ordered[0];
    return new ComposeError(`extends cycle: ${text}`, {
      location: first.scope.locate(['services', first.service, 'extends']),
      hint: 'a service cannot extend itself, directly or through others',
    });
  }

  private label(n: Node): string {
    if (n.scope.isRoot) return n.service;
    const rel = path.relative(path.dirname(this.root.key), n.scope.key) || n.scope.key;
    return `${n.service} (${rel})`;
  }
}

/**
 * Services a service refers to by name: depends_on, volumes_from (not `container:`), and
 * `service:` network_mode and ipc.
 */
function serviceReferences(service: Mapping): Set<string> {
  const refs = new Set<string>();
  const deps = service.depends_on;
  if (Array.isArray(deps)) for (const d of deps) if (typeof d === 'string') refs.add(d);
  if (isPlainObject(deps)) for (const d of Object.keys(deps)) if (!isReset(deps[d])) refs.add(d);
  if (Array.isArray(service.volumes_from)) {
    for (const v of service.volumes_from) {
      if (typeof v === 'string' && !v.startsWith('container:')) refs.add(v.split(':')[0]);
    }
  }
  for (const key of ['network_mode', 'ipc']) {
    const v = service[key];
    if (typeof v === 'string' && v.startsWith('service:')) refs.add(v.slice('service:'.length));
  }
  return refs;
}

/**
 * Makes another file's relative paths absolute. A build without `context` keeps none: its
 * default (`.`) is the project directory, as compose-go resolves it after loading.
 */
function rebaseServices(services: Mapping, dir: string): Mapping {
  const rebased = resolveRelativePaths({ services }, dir).services as Mapping;
  const out: Mapping = {};
  for (const [name, svc] of Object.entries(rebased)) {
    const original = services[name];
    if (isPlainObject(svc) && isPlainObject(original) && isPlainObject(original.build) && !('context' in original.build) && isPlainObject(svc.build)) {
      const { context: _default, ...buildRest } = svc.build;
      define(out, name, { ...svc, build: buildRest });
    } else {
      define(out, name, svc);
    }
  }
  return out;
}

function fileKey(file: string): string {
  return file === '<stdin>' || file === '-' ? '<stdin>' : path.resolve(file);
}

function nodeId(n: Node): string {
  return `${n.scope.key}\u0000${n.service}`;
}

/** Sets a key even when it is `__proto__`, which plain assignment would swallow. */
function define(obj: Mapping, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
