// `.env` and `env_file` parsing, as compose-go's `dotenv/` package (itself derived from
// joho/godotenv) reads them:
//   KEY=value   KEY: value   export KEY=value   KEY (inherited from the lookup, if set)
//   unquoted values end at the line's end or at ` #`; 'single quotes' are literal but for
//   \'; "double quotes" may span lines and know the shell escapes \a \b \f \n \r \t \v
//   \\ \" \$ and \0ooo. Unquoted and double-quoted values expand `${VAR}` from the lookup,
//   then from the keys read so far in the same file, then from the optional fallback.
import { readFileSync } from 'node:fs';
import { ComposeError } from '../errors.js';
import { substitute, TemplateError, type Lookup } from './template.js';

export interface DotenvOptions {
  /** Display name of the file, for errors. */
  file: string;
  /** Consulted first when expanding `${VAR}`, and the only source of a bare `KEY`. */
  lookup?: Lookup;
  /**
   * Consulted last when expanding `${VAR}`, after the keys of the file itself: values of
   * env files read before this one, which a key of this file replaces.
   */
  fallback?: Lookup;
}

/** One statement of an env file, in file order; keys may repeat. */
export interface DotenvEntry {
  key: string;
  value: string;
  line: number;
}

// Besides ASCII space and tab, what compose-go's parser skips between tokens; never `\n`.
const SPACE = new Set(['\t', '\v', '\f', '\r', ' ', '\u0085', '\u00a0']);
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.has(c);
const isBlank = (c: string): boolean => isSpace(c) || c === '\n' || /\s/u.test(c);
const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u;
const EXPORT = /^export[^\S\n]+/;
const ESCAPE = /\\(?:[abcfnrtv$"\\]|0\d{0,3})/g;
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', c: '\\c', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };

class DotenvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly hint?: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Shell escapes of a double-quoted value. `\$` becomes `$$` so the template keeps it literal. */
function expandEscapes(text: string): string {
  return text.replace(ESCAPE, (match) => {
    const c = match[1];
    if (c === '$') return '$$';
    if (c !== '0') return SIMPLE_ESCAPES[c];
    // `\0ooo`: exactly three octal digits worth at most one byte; anything else stays as written.
    const digits = match.slice(2);
    if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) return match;
    return String.fromCharCode(parseInt(digits, 8));
  });
}

/**
 * Every statement of an env file, with expansion applied: what `parseDotenv` builds its map
 * from. Throws DotenvSyntaxError / TemplateError; `parseDotenv` turns them into ComposeErrors.
 */
function scan(text: string, opts: Omit<DotenvOptions, 'file'>): DotenvEntry[] {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const entries: DotenvEntry[] = [];
  const own = new Map<string, string>();
  const lookup = opts.lookup ?? (() => undefined);
  const expand = (value: string, line: number): string => {
    try {
      return substitute(value, (k) => lookup(k) ?? own.get(k) ?? opts.fallback?.(k)).value;
    } catch (e) {
      if (e instanceof TemplateError) throw new DotenvSyntaxError(line, e.message);
      throw e;
    }
  };

  let i = 0;
  let line = 1;
  const advanceTo = (to: number) => {
    for (; i < to; i++) if (src[i] === '\n') line++;
  };

  for (;;) {
    // Statement start: skip blank space and comment lines.
    while (i < src.length && isBlank(src[i])) advanceTo(i + 1);
    if (i >= src.length) break;
    if (src[i] === '#') {
      const eol = src.indexOf('\n', i);
      advanceTo(eol < 0 ? src.length : eol);
      continue;
    }

    const statementLine = line;
    const exported = EXPORT.exec(src.slice(i, i + 64));
    if (exported) advanceTo(i + exported[0].length);

    // Key: runs to `=`, `:` or the end of the line (a bare, inherited key).
    let j = i;
    let separator: string | undefined;
    for (; j < src.length; j++) {
      const c = src[j];
      if (c === '=' || c === ':' || c === '\n') {
        separator = c;
        break;
      }
      if (isSpace(c)) continue;
      if (!KEY_CHAR.test(c)) {
        throw new DotenvSyntaxError(statementLine, `unexpected character ${JSON.stringify(c)} in variable name`, 'a key is made of letters, digits and _ . - [ ]');
      }
    }
    const key = src.slice(i, j).trimEnd();
    if (key.includes(' ')) {
      throw new DotenvSyntaxError(statementLine, 'key cannot contain a space', 'write KEY=VALUE, or comment the line out with #');
    }
    advanceTo(separator === undefined ? j : j + 1);

    if (separator === '\n' || separator === undefined) {
      const inherited = lookup(key);
      if (inherited !== undefined) {
        entries.push({ key, value: inherited, line: statementLine });
        own.set(key, inherited);
      }
      continue;
    }

    while (isSpace(src[i])) advanceTo(i + 1);
    const quote = src[i];
    let value: string;
    if (quote === '"' || quote === "'") {
      // The closing quote is the first one not escaped: preceded by an even number of
      // backslashes, so `"a\\"` closes while `"a\"` does not.
      let close = -1;
      for (let k = i + 1, backslashes = 0; k < src.length; k++) {
        if (src[k] === quote && backslashes % 2 === 0) {
          close = k;
          break;
        }
        backslashes = src[k] === '\\' ? backslashes + 1 : 0;
      }
      if (close < 0) {
        const eol = src.indexOf('\n', i);
        throw new DotenvSyntaxError(statementLine, `unterminated quoted value ${src.slice(i, eol < 0 ? src.length : eol)}`, `close the ${quote === '"' ? 'double' : 'single'} quote`);
      }
      const raw = src.slice(i + 1, close);
      value = quote === "'" ? raw.replaceAll("\\'", "'") : expand(expandEscapes(raw), statementLine);
      // What follows the closing quote is parsed as the next statement (a comment, usually).
      advanceTo(close + 1);
    } else {
      const eol = src.indexOf('\n', i);
      const end = eol < 0 ? src.length : eol;
      let raw = src.slice(i, end);
      const comment = raw.indexOf(' #');
      if (comment >= 0) raw = raw.slice(0, comment);
      value = expand(raw.replace(/\s+$/u, ''), statementLine);
      advanceTo(end);
    }
    entries.push({ key, value, line: statementLine });
    own.set(key, value);
  }
  return entries;
}

/**
 * The statements of an env file in order (repeated keys included), for tests and tools
 * that need line numbers. Errors are ComposeErrors naming `opts.file`.
 */
export function parseDotenvEntries(text: string, opts: DotenvOptions): DotenvEntry[] {
  try {
    return scan(text, opts);
  } catch (e) {
    if (e instanceof DotenvSyntaxError) {
      // compose-go's wording ("line 7: …") names the line; the location names the file.
      throw new ComposeError(e.message, { location: { file: opts.file }, hint: e.hint });
    }
    throw e;
  }
}

/**
 * The variables an env file defines; a later line wins. Keys that are empty or start with a
 * digit are dropped (as compose-go's Read does): they can never be variable names.
 */
export function parseDotenv(text: string, opts: DotenvOptions): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, value } of parseDotenvEntries(text, opts)) {
    if (key === '' || /^\d/.test(key)) continue;
    out.set(key, value);
  }
  return out;
}

/**
 * `format: raw`: `KEY=VALUE` lines taken verbatim, no quotes, escapes nor expansion. A bare
 * `KEY` still inherits from the lookup; blank lines and `#` lines are skipped.
 */
function parseRaw(text: string, lookup: Lookup | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (const rawLine of src.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      const key = line.trim();
      const inherited = lookup?.(key);
      if (inherited !== undefined) out.set(key, inherited);
      continue;
    }
    out.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  return out;
}

export interface ReadEnvFileOptions {
  lookup?: Lookup;
  fallback?: Lookup;
  required: boolean;
  /** `raw`, or absent for the dotenv format. */
  format?: string;
}

/**
 * The env file itself could not be read (missing, a directory, no permission): the place to
 * point at is where it is named (an `env_file` entry, `--env-file`), which the caller knows.
 */
export class EnvFileUnreadableError extends ComposeError {}

/**
 * Reads an env file. A missing file is an error when required, else `undefined`; any other
 * failure to read it (a directory, no permission) is always an error naming the file.
 */
export function readEnvFile(path: string, opts: ReadEnvFileOptions): Map<string, string> | undefined {
  if (opts.format !== undefined && opts.format !== '' && opts.format !== 'raw') {
    throw new ComposeError(`unsupported env_file format ${JSON.stringify(opts.format)}`, {
      location: { file: path },
      hint: 'use `format: raw`, or leave `format` out for the .env syntax',
    });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (!opts.required) return undefined;
      throw new EnvFileUnreadableError(`env file ${path} not found`, {
        location: { file: path },
        hint: 'create it, or mark it optional with `required: false` in env_file',
      });
    }
    if (code === 'EISDIR') throw new EnvFileUnreadableError(`env file ${path} is a directory`, { location: { file: path }, hint: 'point env_file at a file' });
    throw new EnvFileUnreadableError(`cannot read env file ${path}: ${code ?? String(e)}`, {
      location: { file: path },
      hint: 'check that the file is readable',
    });
  }
  if (opts.format === 'raw') return parseRaw(text, opts.lookup);
  return parseDotenv(text, { file: path, lookup: opts.lookup, fallback: opts.fallback });
}
