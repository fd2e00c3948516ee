// BuildKit's line parsers (frontend/dockerfile/parser/line_parsers.go and split_command.go): how
// the text after a keyword becomes flags and arguments, per instruction. Quotes are kept here
// and removed later by the lexer, as in BuildKit. Every piece carries its offset in the logical
// line so errors can point at it.
import { isSpace, type EscapeToken } from './lex.js';

/** A piece of the logical line: its text and where it starts. */
export interface Span {
  text: string;
  start: number;
}

const cp = (s: string, i: number): number => s.codePointAt(i)!;
const width = (s: string, i: number): number => (cp(s, i) > 0xffff ? 2 : 1);

/** BuildKit's reWhitespace: `[\t\v\f\r ]+` (newlines are not in it: heredoc lines never reach here). */
const WHITESPACE = /[\t\v\f\r ]+/g;

/** The keyword and the rest, like splitCommand: trims, splits on the first whitespace run. */
export function splitKeyword(line: string): { keyword: Span; rest: Span } {
  const lead = line.length - line.trimStart().length;
  const trimmed = line.trim();
  const m = /[\t\v\f\r ]+/.exec(trimmed);
  if (!m) return { keyword: { text: trimmed, start: lead }, rest: { text: '', start: lead + trimmed.length } };
  return {
    keyword: { text: trimmed.slice(0, m.index), start: lead },
    rest: { text: trimmed.slice(m.index + m[0].length), start: lead + m.index + m[0].length },
  };
}

/**
 * Leading `--flag[=value]` words (extractBuilderFlags): quotes are removed and `\` escapes the
 * next character inside flags whatever the escape directive says. Stops at the first word that
 * does not start with `--`, or after a bare `--`.
 */
export function extractFlags(rest: Span): { flags: Span[]; args: Span } {
  const line = rest.text;
  const flags: Span[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos] : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpace(cp(line, pos))) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') {
        return { flags, args: trimSpan({ text: line.slice(pos), start: rest.start + pos }) };
      }
      phase = 'word';
      wordStart = pos;
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push({ text: word, start: rest.start + wordStart });
      break;
    }
    if (phase === 'word') {
      if (isSpace(cp(line, pos))) {
        phase = 'spaces';
        if (word === '--') return { flags, args: trimSpan({ text: line.slice(pos), start: rest.start + pos }) };
        if (blankOK || word.length > 0) flags.push({ text: word, start: rest.start + wordStart });
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        c = line[++pos];
      }
      word += c;
      continue;
    }
    // phase === 'quote'
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      c = line[++pos];
    }
    word += c;
  }
  return { flags, args: { text: '', start: rest.start + line.length } };
}

function trimSpan(s: Span): Span {
  const lead = s.text.length - s.text.trimStart().length;
  return { text: s.text.trim(), start: s.start + lead };
}

/**
 * Words separated by unquoted whitespace, quotes and escapes kept (parseWords): the escape token
 * protects the next character outside quotes and inside double quotes, never inside single ones.
 */
export function parseWords(rest: Span, escape: EscapeToken): Span[] {
  const s = rest.text;
  const words: Span[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let start = 0;
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= s.length; ) {
    const w = pos < s.length ? width(s, pos) : 1;
    let ch = pos < s.length ? String.fromCodePoint(cp(s, pos)) : '';
    if (phase === 'spaces') {
      if (pos === s.length) break;
      if (isSpace(cp(s, pos))) {
        pos += w;
        continue;
      }
      phase = 'word';
      start = pos;
    }
    if (pos === s.length) {
      if (blankOK || word.length > 0) words.push({ text: word, start: rest.start + start });
      break;
    }
    if (phase === 'word') {
      if (isSpace(cp(s, pos))) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push({ text: word, start: rest.start + start });
        word = '';
        blankOK = false;
        pos += w;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      let step = w;
      if (ch === escape) {
        if (pos + w === s.length) {
          pos += w;
          continue;
        }
        word += ch;
        const nw = width(s, pos + w);
        ch = String.fromCodePoint(cp(s, pos + w));
        step = w + nw;
      }
      word += ch;
      pos += step;
      continue;
    }
    // phase === 'quote'
    if (ch === quote) phase = 'word';
    let step = w;
    if (ch === escape && quote !== "'") {
      if (pos + w === s.length) {
        phase = 'word';
        pos += w;
        continue;
      }
      word += ch;
      const nw = width(s, pos + w);
      ch = String.fromCodePoint(cp(s, pos + w));
      step = w + nw;
    }
    word += ch;
    pos += step;
  }
  return words;
}

/** `[\t\v\f\r ]+`-separated fields, quotes not special (parseStringsWhitespaceDelimited). */
export function splitWhitespace(rest: Span): Span[] {
  if (rest.text === '') return [];
  const out: Span[] = [];
  let last = 0;
  WHITESPACE.lastIndex = 0;
  for (let m = WHITESPACE.exec(rest.text); m; m = WHITESPACE.exec(rest.text)) {
    out.push({ text: rest.text.slice(last, m.index), start: rest.start + last });
    last = m.index + m[0].length;
  }
  out.push({ text: rest.text.slice(last), start: rest.start + last });
  return out;
}

/** A problem in a line, with the offset of the piece it is about. */
export class LineError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * The JSON-array form (parseJSON): undefined when the text is not a JSON array, so the caller
 * falls back to the shell form; an array holding anything but strings is an error.
 */
export function parseJsonArray(rest: Span): string[] | undefined {
  const text = rest.text.trimStart();
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) {
    throw new LineError('when using JSON array syntax, arrays must be comprised of strings only', rest.start + rest.text.length - text.length);
  }
  return value as string[];
}

export interface NameValue {
  key: Span;
  value: Span;
  /** `ENV key value` without `=`: the value is the rest of the line. */
  legacy: boolean;
}

/**
 * ENV and LABEL (parseNameVal): `key=value ...`, or the legacy `key value` where the value is
 * everything after the first whitespace. Throws with a message naming the bad word.
 */
export function parseNameValues(rest: Span, keyword: string, escape: EscapeToken): NameValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0].text.includes('=')) {
    const parts = splitWhitespace(rest);
    if (parts.length < 2) throw new LineError(`${keyword} must have two arguments`, rest.start);
    const valueStart = parts[1].start - rest.start;
    return [{ key: parts[0], value: { text: rest.text.slice(valueStart), start: parts[1].start }, legacy: true }];
  }
  return words.map((w) => {
    const eq = w.text.indexOf('=');
    if (eq < 0) {
      throw new LineError(`Syntax error - can't find = in ${JSON.stringify(w.text)}. Must be of the form: name=value`, w.start);
    }
    return {
      key: { text: w.text.slice(0, eq), start: w.start },
      value: { text: w.text.slice(eq + 1), start: w.start + eq + 1 },
      legacy: false,
    };
  });
}
