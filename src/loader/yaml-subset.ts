// A fast parser for the YAML that compose files are written in: block mappings and sequences,
// single-line plain and quoted scalars, flow collections, comments, anchors, aliases, merge
// keys and the !reset / !override tags. It builds plain values and key-path offsets in one
// pass, with no document tree in between (the general parser costs ~10x more on a large stack).
// It is long because it is one hand-written recursive-descent parser: its states share the
// scanner's position and the offsets table, and splitting them would pass both everywhere.
//
// It is an accelerator, never an authority: on anything outside that subset, and on anything
// that is or might be an error (duplicate keys, odd indentation, unknown aliases, documents
// markers, tabs...), it gives up and returns UNSUPPORTED, and parse.ts runs the general parser,
// which produces the value, positions and error messages users see. Where it does answer, its
// result is the general path's exactly: same values (core schema, go-yaml octals, merge key
// order), same offsets for the same key paths; test/loader/yaml-subset.test.ts checks that on
// every file of the corpus and on the cases below.
import { MAX_NESTING, nestingOf } from './limits.js';
import { OverrideTag, ResetTag } from './tags.js';

export const UNSUPPORTED = Symbol('unsupported YAML');

/** Thrown internally to abandon the fast path; never escapes this module. */
class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

/** More than any real file; past it the general parser decides (it refuses alias bombs at 1,000,000). */
const MAX_NODES = 500_000;

/** Characters the general parser might treat specially anywhere: tabs, CR, BOM, controls. */
const AWKWARD_TEXT = /[\x00-\x09\x0b-\x1f\x7f\ufeff\u0085\u2028\u2029]/;

export interface SubsetResult {
  /** undefined for an empty document (comments only). */
  value: unknown;
  /** Key path (segments joined by NUL, as SourceMap keys them) → offset of the node or key. */
  offsets: Map<string, number>;
}

/**
 * `recordOffsets` false skips the offsets (an empty map): they are only needed when a position
 * is asked for, and the parse is deterministic, so SourceMap can ask for a second run then.
 */
export function parseYamlSubset(text: string, recordOffsets = true): SubsetResult | typeof UNSUPPORTED {
  if (AWKWARD_TEXT.test(text)) return UNSUPPORTED;
  try {
    const parser = new SubsetParser(text, recordOffsets);
    const result = parser.document();
    // An alias repeats its anchor's collections where it is used: the sum may nest past the
    // limit, which the general parser then reports at the alias.
    if (parser.usedAliases && nestingOf(result.value) > MAX_NESTING) return UNSUPPORTED;
    return result;
  } catch (e) {
    if (e instanceof Unsupported) return UNSUPPORTED;
    throw e;
  }
}

const SP = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;

interface Anchor {
  value: unknown;
  size: number;
  done: boolean;
}

class SubsetParser {
  private i = 0;
  /** Offset where the line holding `i` starts. */
  private lineStart = 0;
  private nodes = 0;
  /** Collections open around i; past MAX_NESTING the general parser reports where. */
  private depth = 0;
  usedAliases = false;
  private readonly anchors = new Map<string, Anchor>();
  readonly offsets = new Map<string, number>();

  constructor(
    private readonly s: string,
    private readonly recording: boolean,
  ) {}

  /** The key of a child node; '' everywhere when offsets are not recorded. */
  private child(parent: string, seg: string | number): string {
    return this.recording ? joinKey(parent, seg) : '';
  }

  document(): SubsetResult {
    const s = this.s;
    // Leading comments and blank lines, then at most one `---` line on its own.
    let indent = this.nextContentLine(true);
    if (indent === 0 && s.startsWith('---', this.i) && this.endsToken(this.i + 3)) {
      this.i += 3;
      this.skipSpaces();
      if (!this.atLineEnd()) unsupported();
      indent = this.nextContentLine(false);
    }
    if (indent === -1) return { value: undefined, offsets: this.offsets };
    const value = this.blockNodeHere(-1, '');
    if (this.i < s.length) unsupported();
    return { value, offsets: this.offsets };
  }

  // ------------------------------------------------------------------------------------------
  // Lines

  private col(): number {
    return this.i - this.lineStart;
  }

  private skipSpaces(): void {
    const s = this.s;
    while (s.charCodeAt(this.i) === SP) this.i++;
  }

  /** At a newline, the end of the text, or a comment (which must follow a space). */
  private atLineEnd(): boolean {
    const c = this.s.charCodeAt(this.i);
    if (Number.isNaN(c) || c === NL) return true;
    if (c === HASH) {
      const before = this.s.charCodeAt(this.i - 1);
      if (this.i === 0 || before === SP || before === NL) return true;
    }
    return false;
  }

  /** Whether the character at j ends a token: space, newline or end of text. */
  private endsToken(j: number): boolean {
    const c = this.s.charCodeAt(j);
    return Number.isNaN(c) || c === SP || c === NL;
  }

  /**
   * From a line end (or the start), moves to the first character of the next line that has
   * content other than a comment and returns its column; -1 at the end of the text (i = length).
   */
  private nextContentLine(atStart: boolean): number {
    const s = this.s;
    const n = s.length;
    if (!atStart) {
      const nl = s.indexOf('\n', this.i);
      if (nl === -1) {
        this.i = n;
        return -1;
      }
      this.i = nl + 1;
      this.lineStart = this.i;
    }
    for (;;) {
      this.skipSpaces();
      const c = s.charCodeAt(this.i);
      if (Number.isNaN(c)) return -1;
      if (c === NL) {
        this.i++;
        this.lineStart = this.i;
        continue;
      }
      if (c === HASH) {
        const nl = s.indexOf('\n', this.i);
        if (nl === -1) {
          this.i = n;
          return -1;
        }
        this.i = nl + 1;
        this.lineStart = this.i;
        continue;
      }
      const col = this.i - this.lineStart;
      // Document markers and directives belong to the general parser (and to its errors).
      if (col === 0 && !atStart && (c === DASH || c === 0x2e) && (s.startsWith('---', this.i) || s.startsWith('...', this.i))) unsupported();
      if (col === 0 && c === 0x25 /* % */) unsupported();
      return col;
    }
  }

  /** After an inline value: nothing but a comment may follow on the line; then the next content line. */
  private finishLine(): number {
    this.skipSpaces();
    if (!this.atLineEnd()) unsupported();
    return this.nextContentLine(false);
  }

  private record(key: string, offset: number): void {
    if (this.recording && !this.offsets.has(key)) this.offsets.set(key, offset);
  }

  private count(): void {
    if (++this.nodes > MAX_NODES) unsupported();
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) unsupported();
  }

  // ------------------------------------------------------------------------------------------
  // Block context

  /**
   * The node starting at i (its first character, mid-line or not). `parent` is the column of
   * the enclosing block collection. Returns with i at the next content line (or the end).
   */
  private blockNodeHere(parent: number, key: string): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    const column = this.col();
    if (c === DASH && this.endsToken(this.i + 1)) return this.blockSequence(column, key);
    if (this.lineHasMappingKey()) return this.blockMapping(column, key);
    const value = this.inlineValue(parent, key, false);
    if (this.pendingBlock) {
      this.pendingBlock = false;
      return value;
    }
    this.finishLine();
    return value;
  }

  /** Set by inlineValue when the value continued on the following lines (props, then a block). */
  private pendingBlock = false;

  private blockSequence(column: number, key: string): unknown[] {
    this.enter();
    const out = this.blockSequenceItems(column, key);
    this.depth--;
    return out;
  }

  private blockSequenceItems(column: number, key: string): unknown[] {
    const s = this.s;
    this.count();
    this.record(key, this.i);
    const out: unknown[] = [];
    for (;;) {
      // i is at the `-` of an entry.
      const k = this.child(key, out.length);
      this.i++;
      this.skipSpaces();
      let value: unknown;
      if (this.atLineEnd()) {
        const at = this.i;
        const indent = this.nextContentLine(false);
        if (indent > column) value = this.blockNodeHere(column, k);
        else {
          this.count();
          this.record(k, at);
          value = null;
        }
      } else {
        value = this.blockNodeHere(column, k);
      }
      out.push(value);
      // i is at the next content line, or the end.
      if (this.i >= s.length) return out;
      const indent = this.col();
      if (indent < column) return out;
      if (indent > column) unsupported();
      if (!(s.charCodeAt(this.i) === DASH && this.endsToken(this.i + 1))) return out; // the parent decides
    }
  }

  private blockMapping(column: number, key: string): Record<string, unknown> {
    this.enter();
    const out = this.blockMappingEntries(column, key);
    this.depth--;
    return out;
  }

  private blockMappingEntries(column: number, key: string): Record<string, unknown> {
    const s = this.s;
    this.count();
    this.record(key, this.i);
    const out: Record<string, unknown> = {};
    let merged: Record<string, unknown>[] | undefined;
    for (;;) {
      const keyAt = this.i;
      const name = this.blockKey();
      // i is just past the `:`.
      this.skipSpaces();
      const isMerge = name === MERGE;
      const childKey = isMerge ? key : this.child(key, name);
      if (!isMerge) {
        if (Object.prototype.hasOwnProperty.call(out, name)) unsupported();
        this.record(childKey, keyAt);
      } else if (merged) {
        unsupported(); // two merge keys: the general parser's business
      }
      let value: unknown;
      if (isMerge) {
        // parse.ts converts `<<: [*a, *b]` items at the mapping's own path: same here.
        if (this.atLineEnd()) unsupported();
        value = s.charCodeAt(this.i) === 0x5b ? this.flowNode(column, key, true) : this.inlineValue(column, childKey, true);
        if (this.pendingBlock) unsupported();
        this.finishLine();
      } else if (this.atLineEnd()) {
        const indent = this.nextContentLine(false);
        if (indent > column) value = this.blockNodeHere(column, childKey);
        else if (indent === column && s.charCodeAt(this.i) === DASH && this.endsToken(this.i + 1)) value = this.blockSequence(column, childKey);
        else {
          this.count();
          value = null;
        }
      } else {
        value = this.inlineValue(column, childKey, true);
        if (this.pendingBlock) this.pendingBlock = false;
        else this.finishLine();
      }
      if (isMerge) merged = mergeSources(value);
      else out[name] = value;
      if (this.i >= s.length) break;
      const indent = this.col();
      if (indent < column) break;
      if (indent > column) unsupported();
    }
    if (!merged) return out;
    // As parse.ts does it: explicit keys win, then earlier sources in `<<: [*a, *b]` over later.
    const result: Record<string, unknown> = {};
    for (const src of [...merged].reverse()) Object.assign(result, src);
    for (const [k, v] of Object.entries(out)) result[k] = v;
    return result;
  }

  /** Whether the line from i holds `key:` (a plain or single-line quoted key, then `: `). */
  private lineHasMappingKey(): boolean {
    const s = this.s;
    let j = this.i;
    const c = s.charCodeAt(j);
    if (c === 0x22 || c === 0x27) {
      j = this.quotedEnd(j);
      while (s.charCodeAt(j) === SP) j++;
      return s.charCodeAt(j) === COLON && this.endsToken(j + 1);
    }
    if (c === 0x5b || c === 0x7b || c === 0x26 || c === 0x21 || c === 0x2a || c === 0x7c || c === 0x3e) return false;
    for (; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === NL) return false;
      if (d === COLON && this.endsToken(j + 1)) return true;
      if (d === HASH && s.charCodeAt(j - 1) === SP) return false;
    }
    return false;
  }

  /** A mapping key at i, up to and including its `:`. Returns the key text. */
  private blockKey(): string {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    let name: string;
    if (c === 0x22 || c === 0x27) {
      const end = this.quotedEnd(this.i);
      name = c === 0x22 ? this.doubleQuoted(this.i, end) : singleQuoted(s, this.i, end);
      this.i = end;
      if (name === '<<') unsupported(); // whether a quoted "<<" merges is the general parser's call
    } else {
      if (!plainStart(s, this.i, false)) unsupported();
      const start = this.i;
      let j = start;
      for (;;) {
        const d = s.charCodeAt(j);
        if (Number.isNaN(d) || d === NL) unsupported();
        if (d === COLON && this.endsToken(j + 1)) break;
        if (d === HASH && s.charCodeAt(j - 1) === SP) unsupported();
        j++;
      }
      let end = j;
      while (s.charCodeAt(end - 1) === SP) end--;
      const text = s.slice(start, end);
      this.i = end;
      if (text === '<<') name = MERGE;
      else {
        // Keys are resolved like any scalar; only string keys are accepted (parse.ts).
        if (typeof resolvePlain(text) !== 'string') unsupported();
        name = text;
      }
    }
    if (name.length > 1000 || name === '__proto__' || name === '') unsupported();
    this.skipSpaces();
    if (s.charCodeAt(this.i) !== COLON || !this.endsToken(this.i + 1)) unsupported();
    this.i++;
    return name;
  }

  /**
   * A value written after `key: ` or `- ` that is not itself a block collection started on
   * this line: properties, alias, flow collection, quoted or plain scalar. Properties alone on
   * the line take the block below (sets pendingBlock: i is then at the next content line).
   */
  private inlineValue(parent: number, key: string, mapValue: boolean): unknown {
    const s = this.s;
    let anchor: string | undefined;
    let tag: string | undefined;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x26 /* & */) {
        if (anchor !== undefined) unsupported();
        anchor = this.readName();
      } else if (c === 0x21 /* ! */) {
        if (tag !== undefined) unsupported();
        const start = this.i;
        while (!this.endsToken(this.i)) this.i++;
        tag = s.slice(start, this.i);
        if (tag !== '!reset' && tag !== '!override') unsupported();
      } else break;
      this.skipSpaces();
    }
    let entry: Anchor | undefined;
    if (anchor !== undefined) {
      if (this.anchors.has(anchor)) unsupported(); // redefined anchors: the general parser's order rules
      entry = { value: undefined, size: 0, done: false };
      this.anchors.set(anchor, entry);
    }
    const before = this.nodes;
    let value: unknown;
    if (this.atLineEnd()) {
      if (anchor === undefined && tag === undefined) unsupported(); // callers handle a bare empty value
      const at = this.i;
      const indent = this.nextContentLine(false);
      // Under !reset parse.ts looks at nothing below; under !override a scalar would stay a
      // string (an unknown tag): both are the general parser's business.
      const below = indent > parent || (mapValue && indent === parent && s.charCodeAt(this.i) === DASH && this.endsToken(this.i + 1));
      if (below && tag !== undefined && (tag === '!reset' || !this.collectionAhead())) unsupported();
      if (indent > parent) value = this.blockNodeHere(parent, key);
      else if (below) value = this.blockSequence(parent, key);
      else {
        if (tag === '!override') unsupported(); // an empty string under an unknown tag: leave it to the general parser
        this.count();
        this.record(key, at);
        value = null;
      }
      this.pendingBlock = true;
    } else {
      value = this.scalarOrFlow(parent, key, tag === '!override');
      // parse.ts does not look inside a !reset node: only an empty collection is the same.
      if (tag === '!reset' && typeof value === 'object' && value !== null && Object.keys(value).length > 0) unsupported();
    }
    if (tag === '!reset') value = new ResetTag();
    else if (tag === '!override') value = new OverrideTag(value);
    if (entry) {
      entry.value = value;
      entry.size = this.nodes - before;
      entry.done = true;
    }
    return value;
  }

  /** Whether the content line at i starts a block sequence or mapping (not a scalar). */
  private collectionAhead(): boolean {
    const s = this.s;
    if (s.charCodeAt(this.i) === DASH && this.endsToken(this.i + 1)) return true;
    return this.lineHasMappingKey();
  }

  private readName(): string {
    const s = this.s;
    const start = ++this.i;
    while (!this.endsToken(this.i) && !isFlowIndicator(s.charCodeAt(this.i))) this.i++;
    if (this.i === start || !this.endsToken(this.i)) unsupported();
    return s.slice(start, this.i);
  }

  private alias(key: string, flow: boolean): unknown {
    const at = this.i;
    const name = this.readNameIn(flow);
    const entry = this.anchors.get(name);
    if (!entry || !entry.done) unsupported(); // unknown, or inside its own anchor: reported by the general parser
    this.count();
    this.usedAliases = true;
    this.nodes += (entry as Anchor).size;
    if (this.nodes > MAX_NODES) unsupported();
    this.record(key, at);
    return cloneValue((entry as Anchor).value);
  }

  /** An alias name; in flow context a flow indicator may end it. */
  private readNameIn(flow: boolean): string {
    const s = this.s;
    const start = ++this.i;
    while (!this.endsToken(this.i) && !isFlowIndicator(s.charCodeAt(this.i))) this.i++;
    if (this.i === start) unsupported();
    if (!flow && !this.endsToken(this.i)) unsupported();
    return s.slice(start, this.i);
  }

  /** Alias, flow collection, quoted or plain scalar on the current line (block context). */
  private scalarOrFlow(parent: number, key: string, raw: boolean): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x2a /* * */) {
      if (raw) unsupported();
      return this.alias(key, false);
    }
    if (c === 0x5b || c === 0x7b) {
      const value = this.flowNode(parent, key);
      this.skipSpaces();
      if (s.charCodeAt(this.i) === COLON) unsupported(); // a flow collection as a key
      return value;
    }
    this.count();
    this.record(key, this.i);
    if (c === 0x22 || c === 0x27) {
      const end = this.quotedEnd(this.i);
      const value = c === 0x22 ? this.doubleQuoted(this.i, end) : singleQuoted(s, this.i, end);
      this.i = end;
      this.skipSpaces();
      if (s.charCodeAt(this.i) === COLON) unsupported(); // `a: "b": c`
      return value;
    }
    if (c === 0x7c /* | */) return this.literalBlock(parent);
    if (!plainStart(s, this.i, false)) unsupported();
    const start = this.i;
    let j = start;
    let end = start;
    for (;;) {
      const d = s.charCodeAt(j);
      if (Number.isNaN(d) || d === NL) break;
      if (d === HASH && s.charCodeAt(j - 1) === SP) break;
      if (d === COLON && this.endsToken(j + 1)) unsupported(); // a mapping in a compact value
      if (d !== SP) end = j + 1;
      j++;
    }
    this.i = end;
    const text = s.slice(start, end);
    return raw ? text : resolvePlain(text);
  }

  /**
   * A literal block scalar (`|`, `|-`, `|+`) at i, its content indentation found from its
   * first line. Folded scalars, indentation indicators, leading empty lines and lines of
   * spaces only deeper than the content are left to the general parser. Leaves i at the end
   * of the scalar's last line, so the caller's finishLine moves on to the next one.
   */
  private literalBlock(parent: number): string {
    const s = this.s;
    let j = this.i + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    if (s.charCodeAt(j) === DASH) chomp = 'strip';
    else if (s.charCodeAt(j) === 0x2b /* + */) chomp = 'keep';
    if (chomp !== 'clip') j++;
    this.i = j;
    if (!this.endsToken(j)) unsupported(); // an indentation indicator, or text after the header
    this.skipSpaces();
    if (!this.atLineEnd()) unsupported();
    const headerEnd = s.indexOf('\n', this.i);
    if (headerEnd === -1) unsupported();
    const lines: string[] = [];
    let indent = -1;
    let lastContent = -1;
    let lineStart = headerEnd + 1;
    let consumedEnd = headerEnd;
    let consumedLineStart = this.lineStart;
    while (lineStart < s.length) {
      let nl = s.indexOf('\n', lineStart);
      const end = nl === -1 ? s.length : nl;
      let sp = lineStart;
      while (sp < end && s.charCodeAt(sp) === SP) sp++;
      const spaces = sp - lineStart;
      if (sp === end) {
        // A line of spaces only: an empty line of the scalar, unless it needs rules we skip.
        if (indent === -1 || spaces > indent || nl === -1) unsupported();
        lines.push('');
      } else {
        if (indent === -1) {
          if (spaces <= parent || spaces === 0) unsupported(); // an empty scalar: the general parser's business
          indent = spaces;
        }
        if (spaces < indent) break;
        lines.push(s.slice(lineStart + indent, end));
        lastContent = lines.length - 1;
      }
      consumedEnd = end;
      consumedLineStart = lineStart;
      if (nl === -1) break;
      lineStart = nl + 1;
      nl = -1;
    }
    if (lastContent === -1) unsupported();
    this.i = consumedEnd;
    this.lineStart = consumedLineStart;
    const body = lines.slice(0, lastContent + 1).join('\n');
    if (chomp === 'strip') return body;
    // yaml ends a clipped or kept scalar with a line break even at the very end of the text.
    if (chomp === 'clip') return `${body}\n`;
    return `${body}\n${'\n'.repeat(lines.length - lastContent - 1)}`;
  }

  // ------------------------------------------------------------------------------------------
  // Flow context

  /**
   * Skips spaces, newlines and comments inside a flow collection. Continuation lines must be
   * indented past the enclosing block collection (a closing bracket may sit at its column).
   */
  private flowSpace(parent: number): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === SP) this.i++;
      else if (c === NL) {
        this.i++;
        this.lineStart = this.i;
        this.skipSpaces();
        const d = s.charCodeAt(this.i);
        if (d === NL || d === HASH) continue;
        const column = this.col();
        const closing = d === 0x5d || d === 0x7d;
        if (column < parent || (column === parent && !closing)) unsupported();
        if (column === 0 && (s.startsWith('---', this.i) || s.startsWith('...', this.i))) unsupported();
      } else if (c === HASH && (s.charCodeAt(this.i - 1) === SP || s.charCodeAt(this.i - 1) === NL)) {
        const nl = s.indexOf('\n', this.i);
        if (nl === -1) unsupported();
        this.i = nl;
      } else return;
    }
  }

  /** `itemsAtKey`: the sequence's items are located at its own key path (merge sources). */
  private flowNode(parent: number, key: string, itemsAtKey = false): unknown {
    this.enter();
    const out = this.flowCollection(parent, key, itemsAtKey);
    this.depth--;
    return out;
  }

  private flowCollection(parent: number, key: string, itemsAtKey: boolean): unknown {
    const s = this.s;
    const open = s.charCodeAt(this.i);
    this.count();
    this.record(key, this.i);
    this.i++;
    if (open === 0x5b) {
      const out: unknown[] = [];
      for (;;) {
        this.flowSpace(parent);
        if (s.charCodeAt(this.i) === 0x5d) {
          this.i++;
          return out;
        }
        out.push(this.flowValue(parent, itemsAtKey ? key : this.child(key, out.length)));
        this.flowSpace(parent);
        const c = s.charCodeAt(this.i);
        if (c === 0x2c) this.i++;
        else if (c !== 0x5d) unsupported(); // `[a: b]`, a multi-line scalar, a missing comma...
      }
    }
    const out: Record<string, unknown> = {};
    for (;;) {
      this.flowSpace(parent);
      if (s.charCodeAt(this.i) === 0x7d) {
        this.i++;
        return out;
      }
      const keyAt = this.i;
      const c = s.charCodeAt(this.i);
      let name: string;
      let quoted = false;
      if (c === 0x22 || c === 0x27) {
        const end = this.quotedEnd(this.i);
        name = c === 0x22 ? this.doubleQuoted(this.i, end) : singleQuoted(s, this.i, end);
        this.i = end;
        quoted = true;
      } else {
        if (!plainStart(s, this.i, true)) unsupported();
        const text = this.flowPlainText();
        if (typeof resolvePlain(text) !== 'string') unsupported();
        name = text;
      }
      if (name === '__proto__' || name === '<<' || name === '' || name.length > 1000) unsupported();
      if (Object.prototype.hasOwnProperty.call(out, name)) unsupported();
      const childKey = this.child(key, name);
      this.record(childKey, keyAt);
      this.skipSpaces();
      let value: unknown = null;
      if (s.charCodeAt(this.i) === COLON) {
        // After a plain key the `:` must be followed by a space (else it was part of the key);
        // after a quoted one it may touch the value.
        if (!quoted && !this.endsToken(this.i + 1)) unsupported();
        this.i++;
        this.flowSpace(parent);
        const d = s.charCodeAt(this.i);
        if (d === 0x2c || d === 0x7d) {
          this.count();
          value = null;
        } else value = this.flowValue(parent, childKey);
      } else {
        this.count();
      }
      out[name] = value;
      this.flowSpace(parent);
      const d = s.charCodeAt(this.i);
      if (d === 0x2c) this.i++;
      else if (d !== 0x7d) unsupported();
    }
  }

  private flowValue(parent: number, key: string): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x5b || c === 0x7b) return this.flowNode(parent, key);
    if (c === 0x2a) {
      return this.alias(key, true);
    }
    this.count();
    this.record(key, this.i);
    if (c === 0x22 || c === 0x27) {
      const end = this.quotedEnd(this.i);
      const value = c === 0x22 ? this.doubleQuoted(this.i, end) : singleQuoted(s, this.i, end);
      this.i = end;
      return value;
    }
    if (!plainStart(s, this.i, true)) unsupported();
    return resolvePlain(this.flowPlainText());
  }

  /** A plain scalar in flow context, single-line; i ends just past its last non-space character. */
  private flowPlainText(): string {
    const s = this.s;
    const start = this.i;
    let j = start;
    let end = start;
    for (;;) {
      const d = s.charCodeAt(j);
      if (Number.isNaN(d) || d === NL) break;
      if (isFlowIndicator(d)) break;
      if (d === HASH && s.charCodeAt(j - 1) === SP) break;
      if (d === COLON) {
        const e = s.charCodeAt(j + 1);
        if (Number.isNaN(e) || e === SP || e === NL || isFlowIndicator(e)) break;
      }
      if (d !== SP) end = j + 1;
      j++;
    }
    this.i = end;
    return s.slice(start, end);
  }

  // ------------------------------------------------------------------------------------------
  // Quoted scalars (single-line only)

  /** The offset just past the closing quote of the scalar opening at j, on the same line. */
  private quotedEnd(j: number): number {
    const s = this.s;
    const q = s.charCodeAt(j);
    let k = j + 1;
    for (;;) {
      const c = s.charCodeAt(k);
      if (Number.isNaN(c) || c === NL) unsupported();
      if (q === 0x22 && c === 0x5c) {
        k += 2;
        continue;
      }
      if (c === q) {
        if (q === 0x27 && s.charCodeAt(k + 1) === 0x27) {
          k += 2;
          continue;
        }
        return k + 1;
      }
      k++;
    }
  }

  private doubleQuoted(start: number, end: number): string {
    const s = this.s;
    const body = s.slice(start + 1, end - 1);
    if (!body.includes('\\')) return body;
    let out = '';
    for (let k = 0; k < body.length; k++) {
      const c = body[k];
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = body[++k];
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      const width = e === 'x' ? 2 : e === 'u' ? 4 : 0;
      if (width === 0) unsupported();
      const hex = body.slice(k + 1, k + 1 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) unsupported();
      const code = parseInt(hex, 16);
      if (code >= 0xd800 && code <= 0xdfff) unsupported();
      out += String.fromCharCode(code);
      k += width;
    }
    return out;
  }
}

const MERGE = '\u0000<<';

const ESCAPES: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  v: '\v',
  ' ': ' ',
};

function singleQuoted(s: string, start: number, end: number): string {
  const body = s.slice(start + 1, end - 1);
  return body.includes("''") ? body.replace(/''/g, "'") : body;
}

/** SourceMap's key of a child: the path's segments joined by NUL; the root's key is ''. (Empty keys are refused, so '' is only the root.) */
function joinKey(parent: string, seg: string | number): string {
  return parent === '' ? String(seg) : `${parent}\u0000${seg}`;
}

function isFlowIndicator(c: number): boolean {
  return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}

/** Whether a plain scalar may start at j (YAML 1.2 ns-plain-first). */
function plainStart(s: string, j: number, flow: boolean): boolean {
  const c = s.charCodeAt(j);
  switch (c) {
    case 0x2d: // -
    case 0x3f: // ?
    case 0x3a: {
      // :
      const d = s.charCodeAt(j + 1);
      return !(Number.isNaN(d) || d === SP || d === NL || (flow && isFlowIndicator(d)));
    }
    case 0x2c:
    case 0x5b:
    case 0x5d:
    case 0x7b:
    case 0x7d:
    case 0x23:
    case 0x26:
    case 0x2a:
    case 0x21:
    case 0x7c:
    case 0x3e:
    case 0x27:
    case 0x22:
    case 0x25:
    case 0x40:
    case 0x60:
      return false;
    default:
      return !(Number.isNaN(c) || c === SP || c === NL);
  }
}

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const GO_OCTAL_RE = /^[-+]?0[0-7]+$/;

/** A plain scalar by yaml's core schema (the tests in its order), then go-yaml's octals (parse.ts). */
export function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  // Most scalars start with a letter that no typed form can start with: a quick exit.
  const maybeTyped = Number.isNaN(c) || c === 0x7e || c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0x4e || c === 0x6e || c === 0x54 || c === 0x74 || c === 0x46 || c === 0x66;
  if (!maybeTyped) return text;
  if (NULL_RE.test(text)) return null;
  if (BOOL_RE.test(text)) return c === 0x74 || c === 0x54;
  let n: number | undefined;
  if (OCT_RE.test(text)) n = parseInt(text.substring(2), 8);
  else if (INT_RE.test(text)) n = parseInt(text, 10);
  else if (HEX_RE.test(text)) n = parseInt(text.substring(2), 16);
  else if (NAN_RE.test(text)) n = text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity;
  else if (EXP_RE.test(text) || FLOAT_RE.test(text)) n = parseFloat(text);
  if (n === undefined) return text;
  return GO_OCTAL_RE.test(text) ? parseInt(text, 8) : n;
}

/** `<<: *a`, `<<: [*a, *b]`, `<<: {…}`: the mappings to merge, or the general parser decides. */
function mergeSources(value: unknown): Record<string, unknown>[] {
  const mapping = (v: unknown): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof ResetTag || v instanceof OverrideTag) unsupported();
    return v as Record<string, unknown>;
  };
  return Array.isArray(value) ? value.map(mapping) : [mapping(value)];
}

/** Each use of an alias is a value of its own, as the general parser's re-conversion makes it. */
function cloneValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  if (v instanceof ResetTag) return new ResetTag();
  if (v instanceof OverrideTag) return new OverrideTag(cloneValue(v.value));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = cloneValue((v as Record<string, unknown>)[k]);
  return out;
}
