// Where each key of a parsed file came from, so that any later stage can point a user at
// file:line:column for a key path, even after interpolation and merging rewrote the values.
import type { KeyPath, Location } from '../errors.js';

export interface Position {
  line: number;
  column: number;
}

/** The key of a path in a SourceMap: its segments joined by NUL (the root is ''). */
export function keyOf(path: KeyPath): string {
  return path.join('\u0000');
}

/**
 * Positions of one file's nodes, keyed by key path (mapping keys point at the key). The parser
 * records offsets; line and column are computed only when a position is asked for (an error
 * or a warning), from the offsets where lines start.
 */
export class SourceMap {
  private offsetsOrLoader: Map<string, number> | (() => Map<string, number>);
  private lineStartsOrLoader: readonly number[] | (() => readonly number[]);
  /**
   * @param lineStarts ascending offsets where lines start (yaml's LineCounter.lineStarts), or
   *   how to compute them when first needed
   * @param offsets key (see keyOf) → offset when the parser built them itself, or how to
   *   build them when first needed (the fast parser skips them: most loads never ask)
   */
  constructor(
    readonly file: string,
    lineStarts: readonly number[] | (() => readonly number[]) = [],
    offsets?: Map<string, number> | (() => Map<string, number>),
  ) {
    this.lineStartsOrLoader = lineStarts;
    this.offsetsOrLoader = offsets ?? new Map();
  }

  private get offsets(): Map<string, number> {
    if (typeof this.offsetsOrLoader === 'function') this.offsetsOrLoader = this.offsetsOrLoader();
    return this.offsetsOrLoader;
  }

  private get lineStarts(): readonly number[] {
    if (typeof this.lineStartsOrLoader === 'function') this.lineStartsOrLoader = this.lineStartsOrLoader();
    return this.lineStartsOrLoader;
  }

  /** Records where the node at `key` starts; the first record of a key wins. */
  setOffset(key: string, offset: number): void {
    if (!this.offsets.has(key)) this.offsets.set(key, offset);
  }

  /** Every recorded key (see keyOf) and offset: lets tests compare two parsers' maps. */
  recordedOffsets(): ReadonlyMap<string, number> {
    return this.offsets;
  }

  get(path: KeyPath): Position | undefined {
    const offset = this.offsets.get(keyOf(path));
    return offset === undefined ? undefined : this.position(offset);
  }

  /** The position of `path`, or of its nearest ancestor that has one. */
  nearest(path: KeyPath): { pos: Position; depth: number } | undefined {
    for (let n = path.length; n >= 0; n--) {
      const offset = this.offsets.get(keyOf(path.slice(0, n)));
      if (offset !== undefined) return { pos: this.position(offset), depth: n };
    }
    return undefined;
  }

  locate(path: KeyPath): Location {
    const found = this.nearest(path);
    return { file: this.file, line: found?.pos.line, column: found?.pos.column, path };
  }

  /** 1-based line and column of an offset, as yaml's LineCounter.linePos computes them. */
  private position(offset: number): Position {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (starts[mid] < offset) low = mid + 1;
      else high = mid;
    }
    if (starts[low] === offset) return { line: low + 1, column: 1 };
    if (low === 0) return { line: 0, column: offset };
    return { line: low, column: offset - starts[low - 1] + 1 };
  }
}

/** Offsets where the lines of `text` start, as yaml's LineCounter records them. */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * The source maps of every file that shaped a model. A path is located in the file that
 * defines it most precisely; among equals the later file wins, as it does in a merge.
 */
export class SourceIndex {
  private readonly maps: SourceMap[] = [];

  add(map: SourceMap): void {
    this.maps.push(map);
  }

  get files(): readonly string[] {
    return this.maps.map((m) => m.file);
  }

  locate(path: KeyPath): Location {
    let best: { map: SourceMap; pos: Position; depth: number } | undefined;
    for (const map of this.maps) {
      const found = map.nearest(path);
      if (found && (!best || found.depth >= best.depth)) best = { map, ...found };
    }
    if (!best) return { path };
    return { file: best.map.file, line: best.pos.line, column: best.pos.column, path };
  }
}
