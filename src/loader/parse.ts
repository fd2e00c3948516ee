// Stage 1: YAML text → plain values plus a source map. Anchors, aliases and merge keys (`<<`)
// are expanded here; `!reset` / `!override` become tag markers for the merge stage.
// We walk the yaml AST ourselves (rather than toJS) so every node keeps its position.
import { createRequire } from 'node:module';
import type { CST, Node } from 'yaml';
import { ComposeError, throwIfAny, type KeyPath } from '../errors.js';
import { MAX_NESTING } from './limits.js';
import { keyOf, lineStartsOf, SourceMap, type Position } from './source-map.js';
import { OverrideTag, ResetTag } from './tags.js';
import { parseYamlSubset, UNSUPPORTED, type SubsetResult } from './yaml-subset.js';

export interface ParsedFile {
  file: string;
  /** The document's content; `undefined` for an empty file (comments only). */
  value: unknown;
  sourceMap: SourceMap;
}

/** More nodes than any real stack file has; stops "billion laughs" alias bombs. */
const MAX_EXPANDED_NODES = 1_000_000;

export function parseYaml(text: string, file: string): ParsedFile {
  // Compose files are nearly always in the subset the fast parser reads; anything else (and
  // every error) goes through the general parser below, which has the last word.
  const fast = parseYamlSubset(text, false);
  if (fast !== UNSUPPORTED) {
    // Positions are computed on the first question (an error, a warning): a second parse, recording.
    const offsets = () => (parseYamlSubset(text, true) as SubsetResult).offsets;
    return { file, value: fast.value, sourceMap: new SourceMap(file, () => lineStartsOf(text), offsets) };
  }
  return parseYamlDocument(text, file);
}

// yaml (70-odd modules) is loaded only when a file needs the general parser: most loads never do.
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= require('yaml') as typeof import('yaml'));

/** The general path: yaml's parser, then a walk of its document. */
export function parseYamlDocument(text: string, file: string): ParsedFile {
  const YAML = yaml();
  const lineCounter = new YAML.LineCounter();
  const sourceMap = new SourceMap(file, lineCounter.lineStarts);
  const posOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // parseAllDocuments in two steps, so the depth is checked between them: yaml's parser is
  // iterative, its composer recursive (it overflows the stack at 800–900 levels).
  const tokens = Array.from(new YAML.Parser(lineCounter.addNewLine).parse(text));
  const tooDeep = tokenPastNesting(tokens);
  if (tooDeep !== undefined) {
    throw new ComposeError(`collections nest more than ${MAX_NESTING} levels deep`, {
      location: { file, ...posOf(tooDeep) },
      hint: 'flatten the structure; berth reads at most that depth',
    });
  }
  // Duplicate keys are the walker's to find: yaml's uniqueKeys compares each key with every
  // earlier one of its mapping, quadratic in a mapping's size (20,000 keys: 12 s).
  const list = Array.from(new YAML.Composer({ merge: true, prettyErrors: false, uniqueKeys: false }).compose(tokens));
  const errors: ComposeError[] = [];
  for (const doc of list) {
    for (const e of doc.errors) {
      const pos = posOf(e.pos[0]);
      errors.push(new ComposeError(`invalid YAML: ${firstLine(e.message)}`, { location: { file, ...pos } }));
    }
  }
  throwIfAny(errors);

  const nonEmpty = list.filter((d) => d.contents !== null);
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1].contents as Node;
    throw new ComposeError('the file holds several YAML documents; berth reads one document per file', {
      location: { file, ...posOf(second.range?.[0] ?? 0) },
      hint: 'split them into separate files and pass each with -f, in merge order',
    });
  }
  const doc = nonEmpty[0];
  if (!doc) return { file, value: undefined, sourceMap };

  const walker = new Walker(file, sourceMap, posOf, YAML);
  const value = walker.toValue(doc.contents as Node, []);
  return { file, value, sourceMap };
}

/** The offset of the first collection nested past MAX_NESTING in yaml's token tree, if any; no recursion. */
function tokenPastNesting(tokens: readonly CST.Token[]): number | undefined {
  const stack: [CST.Token | undefined, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push([token.value, depth]);
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MAX_NESTING) return token.offset;
      for (const item of token.items) {
        if ('key' in item) stack.push([item.key ?? undefined, depth + 1]);
        stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

class Walker {
  private expanded = 0;
  private readonly aliasSizes = new Map<Node, number>();
  private readonly anchors = new Map<string, Node>();
  /** The nodes being converted, outermost first: an alias to one of them is a cycle. */
  private readonly open = new Set<Node>();
  constructor(
    private readonly file: string,
    private readonly sourceMap: SourceMap,
    private readonly posOf: (offset: number) => Position,
    private readonly yaml: typeof import('yaml'),
  ) {}

  private fail(message: string, node: Node | null | undefined, path: KeyPath, hint?: string): never {
    const pos = node?.range ? this.posOf(node.range[0]) : undefined;
    throw new ComposeError(message, { location: { file: this.file, ...pos, path }, hint });
  }

  toValue(node: Node | null | undefined, path: KeyPath, aliasDepth = 0, depth = 0): unknown {
    if (++this.expanded > MAX_EXPANDED_NODES) {
      this.fail(`the document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases`, node, path);
    }
    if (node === null || node === undefined) return null;
    // Inside an alias expansion positions are not recorded: errors there point at the
    // place the alias is used (the nearest recorded ancestor), which is where a user looks.
    if (aliasDepth === 0 && node.range) this.sourceMap.setOffset(keyOf(path), node.range[0]);
    if (this.yaml.isAlias(node)) {
      if (aliasDepth > 100) this.fail('aliases nest too deeply', node, path);
      // An alias names the latest anchor of that name before it; the walk goes in document
      // order, so the anchors seen so far are exactly the candidates. (yaml's own resolve()
      // searches the whole document per alias: quadratic on large files.)
      const target = this.anchors.get(node.source);
      if (!target) this.fail(`unknown alias *${node.source}`, node, path);
      // An alias inside the node its own anchor marks would expand forever.
      if (this.open.has(target as Node)) {
        this.fail(`cycle detected: alias *${node.source} is used inside its own anchor`, node, path, 'an anchor cannot contain an alias to itself');
      }
      // Each expansion of an anchor costs what its first one did: refuse before doing the work.
      const known = this.aliasSizes.get(target as Node);
      if (known !== undefined && this.expanded + known > MAX_EXPANDED_NODES) {
        this.fail(`the document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases`, node, path);
      }
      const before = this.expanded;
      const value = this.toValue(target as Node, path, aliasDepth + 1, depth);
      this.aliasSizes.set(target as Node, this.expanded - before);
      return value;
    }
    if (node.anchor) this.anchors.set(node.anchor, node);
    const tag = node.tag;
    if (tag === '!reset') return new ResetTag();
    if ((this.yaml.isSeq(node) || this.yaml.isMap(node)) && depth + 1 > MAX_NESTING) {
      this.fail(`collections nest more than ${MAX_NESTING} levels deep${aliasDepth > 0 ? ' once aliases are expanded' : ''}`, node, path, 'flatten the structure; berth reads at most that depth');
    }
    this.open.add(node);
    const value = this.untagged(node, path, aliasDepth, depth + 1);
    this.open.delete(node);
    return tag === '!override' ? new OverrideTag(value) : value;
  }

  /** `depth`: the collections around node's children, node included when it is one. */
  private untagged(node: Node, path: KeyPath, aliasDepth: number, depth: number): unknown {
    if (this.yaml.isScalar(node)) {
      // Compose files write file modes as `0440`; go-yaml (compose's parser) reads a plain
      // scalar with a leading zero as octal, YAML 1.2 as decimal. Follow compose.
      if (typeof node.value === 'number' && node.type === 'PLAIN' && /^[-+]?0[0-7]+$/.test(node.source ?? '')) {
        return parseInt(node.source as string, 8);
      }
      return node.value;
    }
    if (this.yaml.isSeq(node)) return node.items.map((item, i) => this.toValue(item as Node, [...path, i], aliasDepth, depth));
    if (this.yaml.isMap(node)) {
      const out: Record<string, unknown> = {};
      const keyNodes = new Map<string, Node | null>();
      const merged: Record<string, unknown>[] = [];
      for (const pair of node.items) {
        if (!this.yaml.isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        if (this.yaml.isScalar(keyNode) && typeof keyNode.value === 'symbol') {
          merged.push(...this.mergeSources(pair.value as Node, path, aliasDepth, depth));
          continue;
        }
        const key = this.keyString(keyNode, path);
        if (keyNodes.has(key)) {
          const first = keyNodes.get(key)?.range;
          this.fail(`invalid YAML: mapping key ${JSON.stringify(key)} already defined${first ? ` at line ${this.posOf(first[0]).line}` : ''}`, keyNode, path);
        }
        keyNodes.set(key, keyNode);
        const childPath = [...path, key];
        if (aliasDepth === 0 && keyNode?.range) this.sourceMap.setOffset(keyOf(childPath), keyNode.range[0]);
        defineKey(out, key, this.toValue(pair.value as Node, childPath, aliasDepth, depth));
      }
      // Merge keys: explicit keys win, then earlier sources in `<<: [*a, *b]` win over later.
      if (merged.length === 0) return out;
      const result: Record<string, unknown> = {};
      for (const src of [...merged].reverse()) Object.assign(result, src);
      for (const [k, v] of Object.entries(out)) defineKey(result, k, v);
      return result;
    }
    this.fail('unsupported YAML node', node, path);
  }

  private mergeSources(node: Node | null, path: KeyPath, aliasDepth: number, depth: number): Record<string, unknown>[] {
    const mapping = (n: Node | null, v: unknown): Record<string, unknown> => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        this.fail('a merge key (<<) takes a mapping or a sequence of mappings', n, path);
      }
      return v as Record<string, unknown>;
    };
    if (this.yaml.isSeq(node)) return node.items.map((n) => mapping(n as Node, this.toValue(n as Node, path, aliasDepth, depth)));
    // `<<: *list`, an alias to a sequence of mappings, means what writing that sequence would (as in go-yaml).
    const value = this.toValue(node, path, aliasDepth, depth);
    return Array.isArray(value) ? value.map((v) => mapping(node, v)) : [mapping(node, value)];
  }

  private keyString(keyNode: Node | null, path: KeyPath): string {
    if (this.yaml.isScalar(keyNode) && typeof keyNode.value === 'string') return keyNode.value;
    const where = path.length === 0 ? 'at top level' : `in ${formatPathForKeys(path)}`;
    const shown = this.yaml.isScalar(keyNode) ? String(keyNode.value) : keyNode ? String(keyNode) : 'null';
    this.fail(`non-string key ${where}: ${shown}`, keyNode, path, 'quote the key to make it a string');
  }
}

function formatPathForKeys(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Sets a key even when it is `__proto__`, which plain assignment would swallow. */
function defineKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
