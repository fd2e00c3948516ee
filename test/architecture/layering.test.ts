// The source tree's shape, checked: no import cycles between files or between rooms (folders),
// imports that point one way (cli → watch/compare → compose → plan/apply → observe → client →
// loader/model, the engine never importing the compose side), and no file over ~600 lines
// without its opening comment saying why. Read from the files themselves, static and lazy
// (`await import(...)`) imports alike, so a lazily loaded module cannot hide a cycle.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = sourceFiles(SRC);
const rel = (f: string): string => path.relative(SRC, f);

/** Relative imports of a file, resolved to source files (type-only imports included: they couple too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
    out.push(path.resolve(path.dirname(file), m[1]).replace(/\.js$/, '.ts'));
  }
  return out.filter((t) => t.startsWith(SRC));
}

/** A file's room: the folder under src/ (under src/engine/, the engine's room). */
function roomOf(file: string): string {
  const parts = rel(file).split(path.sep);
  if (parts.length === 1) return '.';
  if (parts[0] === 'engine') return parts.length === 2 ? 'engine' : `engine/${parts[1]}`;
  return parts[0];
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Strongly connected components with more than one member (Tarjan), as sorted name lists. */
function cycles(nodes: string[], edges: (n: string) => string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || edges(v).includes(v)) out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// The compose side, bottom to top: a room may import rooms of its own rank or below (never above).
const RANK: Record<string, number> = {
  '.': 0, lib: 0, model: 0,
  graph: 1,
  loader: 2,
  client: 3,
  observe: 4,
  plan: 5,
  apply: 6,
  swarm: 6,
  compose: 7,
  watch: 8,
  compare: 8,
  cli: 9,
};

describe('the source tree', () => {
  it('has no import cycle between files', () => {
    const found = cycles([...graph.keys()], (f) => graph.get(f) ?? []).map((c) => c.map(rel));
    expect(found).toEqual([]);
  });

  it('has no import cycle between rooms', () => {
    const rooms = new Map<string, Set<string>>();
    for (const [f, targets] of graph) {
      for (const t of targets) {
        const a = roomOf(f);
        const b = roomOf(t);
        if (a !== b) (rooms.get(a) ?? rooms.set(a, new Set()).get(a)!).add(b);
      }
    }
    expect(cycles([...rooms.keys()], (r) => [...(rooms.get(r) ?? [])])).toEqual([]);
  });

  it('imports one way: the engine never imports the compose side, and the compose side points down', () => {
    const wrong: string[] = [];
    for (const [f, targets] of graph) {
      const a = roomOf(f);
      for (const t of targets) {
        const b = roomOf(t);
        if (a === b) continue;
        const engineSide = (r: string): boolean => r === 'engine' || r.startsWith('engine/');
        if (engineSide(a)) {
          if (!engineSide(b) && b !== 'lib' && b !== '.') wrong.push(`${rel(f)} → ${rel(t)} (the engine imports ${b})`);
          continue;
        }
        // The compose side reaches the engine only to start the built-in one (client) or run it (cli).
        if (engineSide(b)) {
          if (a !== 'client' && a !== 'cli') wrong.push(`${rel(f)} → ${rel(t)} (${a} imports the engine)`);
          continue;
        }
        if (RANK[a] === undefined || RANK[b] === undefined) wrong.push(`${rel(f)} → ${rel(t)} (room ${RANK[a] === undefined ? a : b} has no place in the layering: add it)`);
        else if (RANK[b] > RANK[a]) wrong.push(`${rel(f)} → ${rel(t)} (${a} imports ${b}, which sits above it)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no file over ~600 lines whose opening comment does not say why', () => {
    const long = files
      .map((f) => ({ f, text: readFileSync(f, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > 620)
      .filter(({ text }) => !/^(\/\/.*\n)*\/\/.*\blong\b/i.test(text.slice(0, 3000)))
      .map(({ f, text }) => `${rel(f)} (${text.split('\n').length} lines)`);
    expect(long).toEqual([]);
  });
});
