// Path patterns drive the per-attribute rule tables (merge rules, normalizers, type casts):
// `services.*.ports` matches the key path ['services', 'web', 'ports']; `*` matches one
// segment (a key or a sequence index), `**` matches any number of segments.
import type { KeyPath } from '../errors.js';

export type KeyPattern = readonly string[];

export function compilePattern(pattern: string): KeyPattern {
  return pattern === '' ? [] : pattern.split('.');
}

export function matchesPattern(pattern: KeyPattern, path: KeyPath): boolean {
  return matchFrom(pattern, 0, path, 0);
}

function matchFrom(pattern: KeyPattern, pi: number, path: KeyPath, ki: number): boolean {
  if (pi === pattern.length) return ki === path.length;
  const seg = pattern[pi];
  if (seg === '**') {
    for (let k = ki; k <= path.length; k++) if (matchFrom(pattern, pi + 1, path, k)) return true;
    return false;
  }
  if (ki === path.length) return false;
  if (seg === '*' || seg === String(path[ki])) return matchFrom(pattern, pi + 1, path, ki + 1);
  return false;
}

interface TrieNode {
  literal: Map<string, TrieNode>;
  star?: TrieNode;
  globstar?: TrieNode;
  /** Indexes of the rules whose pattern ends here. */
  rules: number[];
  /** Reached through `**`: it also absorbs any further segment (the `**` goes on). */
  isGlobstar: boolean;
}

const newNode = (isGlobstar = false): TrieNode => ({ literal: new Map(), rules: [], isGlobstar });

/**
 * A table of rules keyed by path pattern; the first pattern (in declaration order) that
 * matches a path wins. Every stage looks up every node of a model, so the patterns are
 * compiled into a trie: a lookup costs the path's depth, not the table's size.
 */
export class PatternTable<R> {
  private readonly rules: R[] = [];
  private readonly root = newNode();

  constructor(entries: Record<string, R>) {
    for (const [pattern, rule] of Object.entries(entries)) {
      let node = this.root;
      for (const seg of compilePattern(pattern)) {
        if (seg === '**') node = node.globstar ??= newNode(true);
        else if (seg === '*') node = node.star ??= newNode();
        else {
          let next = node.literal.get(seg);
          if (!next) node.literal.set(seg, (next = newNode()));
          node = next;
        }
      }
      node.rules.push(this.rules.length);
      this.rules.push(rule);
    }
  }

  /** The cursor at the root path `[]`; walkers step it one segment at a time (see PatternCursor). */
  start(): PatternCursor<R> {
    return (this.startCursor ??= new PatternCursor(this, closure([this.root])));
  }

  private startCursor?: PatternCursor<R>;

  /** @internal the rule of the smallest index among `nodes`' own rules. */
  ruleOf(nodes: readonly TrieNode[]): R | undefined {
    let best = Infinity;
    for (const n of nodes) for (const r of n.rules) if (r < best) best = r;
    return best === Infinity ? undefined : this.rules[best];
  }

  lookup(path: KeyPath): R | undefined {
    const best = this.search(this.root, path, 0, Infinity);
    return best === Infinity ? undefined : this.rules[best];
  }

  /** The smallest rule index matching path[i..] from node, or `best` if none is smaller. */
  private search(node: TrieNode, path: KeyPath, i: number, best: number): number {
    if (node.globstar) {
      for (let k = i; k <= path.length; k++) best = this.search(node.globstar, path, k, best);
    }
    if (i === path.length) {
      for (const r of node.rules) if (r < best) best = r;
      return best;
    }
    const lit = node.literal.get(String(path[i]));
    if (lit) best = this.search(lit, path, i + 1, best);
    if (node.star) best = this.search(node.star, path, i + 1, best);
    return best;
  }
}

/** The nodes plus every `**` node reachable from them without consuming a segment. */
function closure(nodes: TrieNode[]): TrieNode[] {
  const out: TrieNode[] = [];
  const add = (n: TrieNode): void => {
    if (out.includes(n)) return;
    out.push(n);
    if (n.globstar) add(n.globstar);
  };
  for (const n of nodes) add(n);
  return out;
}

/**
 * Where a walk stands in a PatternTable: the rule for the path walked so far (`rule`), and
 * whether any pattern can match below it (`dead` when none can: a walker skips the subtree).
 * Stepping is cached per cursor, so a walk over a model costs a map lookup per node instead
 * of a trie search per node; the cursors form the table's (lazily built) automaton.
 */
export class PatternCursor<R> {
  readonly rule: R | undefined;
  readonly dead: boolean;
  /** No pattern goes deeper than this path: every step from here is dead. */
  readonly leaf: boolean;
  private readonly literals = new Set<string>();
  private readonly next = new Map<string, PatternCursor<R>>();
  private other?: PatternCursor<R>;

  constructor(
    private readonly table: PatternTable<R>,
    private readonly nodes: TrieNode[],
  ) {
    this.rule = table.ruleOf(nodes);
    this.dead = nodes.length === 0;
    this.leaf = nodes.every((n) => n.literal.size === 0 && !n.star && !n.globstar && !n.isGlobstar);
    for (const n of nodes) for (const k of n.literal.keys()) this.literals.add(k);
  }

  /** The cursor for the path extended by `segment` (a key, or a sequence index). */
  step(segment: string | number): PatternCursor<R> {
    if (this.dead) return this;
    const key = typeof segment === 'number' ? String(segment) : segment;
    if (this.literals.has(key)) {
      let found = this.next.get(key);
      if (!found) this.next.set(key, (found = this.advance(key)));
      return found;
    }
    return (this.other ??= this.advance(undefined));
  }

  /** `key` undefined: a segment that no literal of these nodes names. */
  private advance(key: string | undefined): PatternCursor<R> {
    const reached: TrieNode[] = [];
    for (const n of this.nodes) {
      if (key !== undefined) {
        const lit = n.literal.get(key);
        if (lit) reached.push(lit);
      }
      if (n.star) reached.push(n.star);
      if (n.isGlobstar) reached.push(n);
    }
    return new PatternCursor(this.table, closure(reached));
  }
}
