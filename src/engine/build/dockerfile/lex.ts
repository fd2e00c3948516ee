// BuildKit's shell lexer (frontend/dockerfile/shell/lex.go), ported rune for rune: variable
// expansion and quote removal for the instructions BuildKit expands. It is not a shell: no
// command substitution, no globbing, `${VAR=word}` is an error. Its quirks are kept on purpose
// (an escape at the very end is dropped, `$1` is an unset variable, `${VAR#pat}` patterns are
// converted to regular expressions) because a Dockerfile must mean the same here as in BuildKit.

export type EscapeToken = '\\' | '`';

export interface LexOptions {
  escape: EscapeToken;
  /** Keep quote characters in the result (the heredoc-name probe uses this). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Quotes are ordinary characters: heredoc bodies, where quotes belong to the script. */
  skipProcessQuotes?: boolean;
  /** Leave `$UNSET` and `${UNSET…}` as written instead of expanding them to nothing. */
  skipUnsetEnv?: boolean;
}

/** Variable values by name; a missing key is unset, distinct from an empty value. */
export type Env = ReadonlyMap<string, string>;

export interface LexResult {
  /** The expanded text with quotes removed and whitespace kept (ProcessWord). */
  result: string;
  /** The expanded text split into words after expansion (ProcessWords). */
  words: string[];
  /** Variables that were looked up and set. */
  matched: Set<string>;
  /** Variables that were looked up and unset. */
  unmatched: Set<string>;
}

export class LexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LexError';
  }
}

const EOF = -1;

/** Go's unicode.IsSpace: the White_Space property (JS `\s` differs on U+0085 and U+FEFF). */
export function isSpace(cp: number): boolean {
  switch (cp) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0x85: case 0xa0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200a;
  }
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const isLetter = (cp: number): boolean => cp !== EOF && LETTER.test(String.fromCodePoint(cp));
const isDigit = (cp: number): boolean => cp !== EOF && DIGIT.test(String.fromCodePoint(cp));
const str = (cp: number): string => (cp === EOF ? '\uFFFD' : String.fromCodePoint(cp));
const cpOf = (s: string): number => s.codePointAt(0)!;

/** Special parameters of POSIX sh: `$@ $* $# $? $- $$ $! $0`. */
function isSpecialParam(cp: number): boolean {
  return '@*#?-$!0'.includes(str(cp));
}

/** Collects words the way BuildKit's wordsStruct does, splitting on unquoted whitespace. */
class Words {
  private word = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(cp: number): void {
    if (isSpace(cp) && this.inWord) {
      if (this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else if (!isSpace(cp)) {
      this.addRawChar(cp);
    }
  }
  addRawChar(cp: number): void {
    this.word += String.fromCodePoint(cp);
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(cpOf(ch));
  }
  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class ShellWord {
  private readonly runes: number[];
  private pos = 0;
  private rawEscapes: boolean;
  private readonly escape: number;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    source: string,
    private readonly env: Env,
    private readonly opts: LexOptions,
  ) {
    this.runes = Array.from(source, cpOf);
    this.rawEscapes = opts.rawEscapes ?? false;
    this.escape = cpOf(opts.escape);
  }

  private peek(): number {
    return this.pos < this.runes.length ? this.runes[this.pos] : EOF;
  }
  private next(): number {
    return this.pos < this.runes.length ? this.runes[this.pos++] : EOF;
  }

  private getEnv(name: string): [string, boolean] {
    const value = this.env.get(name);
    if (value === undefined) {
      this.unmatched.add(name);
      return ['', false];
    }
    this.matched.add(name);
    return [value, true];
  }

  /** Processes up to `stop` (consumed) or the end; a missing `stop` is an error. */
  processStopOn(stop: number, rawEscapes: boolean): [string, string[]] {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new Words();
      while (this.peek() !== EOF) {
        let ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return [result, words.finish()];
        }
        const special = ch === 0x24 /* $ */ || (!this.opts.skipProcessQuotes && (ch === 0x27 || ch === 0x22));
        if (special) {
          const tmp = ch === 0x24 ? this.processDollar() : ch === 0x27 ? this.processSingleQuote() : this.processDoubleQuote();
          result += tmp;
          if (ch === 0x24) words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        ch = this.next();
        if (ch === this.escape) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            result += str(ch);
          }
          // The escape escapes the next character, except at the very end where it vanishes.
          ch = this.next();
          if (ch === EOF) break;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += str(ch);
      }
      if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${str(stop)}`);
      return [result, words.finish()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    // Everything up to the next ' is literal; a ' cannot be escaped inside.
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += str(ch);
    for (;;) {
      ch = this.next();
      if (ch === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === 0x27) {
        if (this.opts.rawQuotes) result += str(ch);
        return result;
      }
      result += str(ch);
    }
  }

  private processDoubleQuote(): string {
    // Literal except `$` expansions; the escape only escapes `"`, `$` and itself.
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += str(ch);
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === 0x22) {
        ch = this.next();
        if (this.opts.rawQuotes) result += str(ch);
        return result;
      }
      if (p === 0x24) {
        result += this.processDollar();
        continue;
      }
      ch = this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) result += str(ch);
        const after = this.peek();
        if (after === EOF) continue;
        if (after === 0x22 || after === 0x24 || after === this.escape) ch = this.next();
      }
      result += str(ch);
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== 0x7b /* { */) {
      const name = this.processName();
      if (name === '') return '$';
      const [value, found] = this.getEnv(name);
      if (!found && this.opts.skipUnsetEnv) return `$${name}`;
      return value;
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'");
    if (first === 0x7b || first === 0x7d || first === 0x3a) throw new LexError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let chs = str(ch);
    let nullIsUnset = false;

    if (ch === 0x7d /* } */) {
      const [value, set] = this.getEnv(name);
      if (!set && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    if (ch === 0x3a /* : */) {
      nullIsUnset = true;
      ch = this.next();
      chs += str(ch);
      // Go's `fallthrough`: whatever follows the colon goes to the modifier branch.
      return this.processModifier(name, ch, chs, nullIsUnset);
    }
    if ('+-?#%'.includes(str(ch))) return this.processModifier(name, ch, chs, nullIsUnset);
    if (ch === 0x2f /* / */) return this.processReplace(name);
    // BuildKit prints the replacement character here; say what is actually wrong.
    if (ch === EOF) throw new LexError("syntax error: missing '}'");
    throw new LexError(`unsupported modifier (${chs}) in substitution`);
  }

  private processModifier(name: string, ch: number, chs: string, nullIsUnset: boolean): string {
    const rawEscapes = ch === 0x23 || ch === 0x25;
    let word: string;
    try {
      [word] = this.processStopOn(0x7d, rawEscapes);
    } catch (e) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw e;
    }
    const [value, set] = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    switch (str(ch)) {
      case '-':
        return !set || (nullIsUnset && value === '') ? word : value;
      case '+':
        return !set || (nullIsUnset && value === '') ? '' : word;
      case '?':
        if (!set) throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return value;
      case '%':
      case '#': {
        // `%`/`#` remove the shortest match, `%%`/`##` the longest.
        let greedy = false;
        if (word.length > 0 && word[0] === str(ch)) {
          greedy = true;
          word = word.slice(1);
        }
        return ch === 0x25 ? trimSuffix(word, value, greedy) : trimPrefix(word, value, greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const replaceAll = this.peek() === 0x2f;
    if (replaceAll) this.next();
    let pattern: string;
    try {
      [pattern] = this.processStopOn(0x2f, true);
    } catch (e) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '/' in ${}");
      throw e;
    }
    let replacement: string;
    try {
      [replacement] = this.processStopOn(0x7d, true);
    } catch (e) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw e;
    }
    const [value, set] = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    const re = patternRegex(pattern, true, false);
    if (replaceAll) return goReplaceAll(re, value, replacement);
    const m = new RegExp(re.source, 'u').exec(value);
    return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
  }

  private processName(): string {
    // A name is letters, digits and `_`; a leading digit reads all digits; a special
    // parameter is one character.
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += str(this.next());
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return str(this.next());
      if (!isLetter(ch) && !isDigit(ch) && ch !== 0x5f) break;
      name += str(this.next());
    }
    return name;
  }
}

/**
 * A shell wildcard pattern (`*`, `?`, `\` escapes; no bracket expressions) as a regular
 * expression, like BuildKit's convertShellPatternToRegex. `\}` and `\/` drop the escape: they
 * only protect the `${…}` delimiters.
 */
export function patternRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const runes = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? '.*' : '.*?';
  for (let i = 0; i < runes.length; i++) {
    let tok = runes[i];
    if (tok === '*') {
      out += star;
      continue;
    }
    if (tok === '?') {
      out += '.';
      continue;
    }
    if (tok === '\\') {
      const nextTok = runes[i + 1];
      if (nextTok === '}' || nextTok === '/') continue;
      out += '\\';
      tok = runes[++i];
      if (tok !== '*' && tok !== '?' && tok !== '\\') {
        throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${tok ?? ''}'`);
      }
    } else if ('[]{}.+()|^$'.includes(tok)) {
      out += '\\';
    }
    out += tok;
  }
  return new RegExp(out, 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** Reverses a pattern without breaking its escapes: `a\*c` → `c\*a`. */
export function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i];
    const outIdx = last - i;
    if (tok === '\\' && i !== last) {
      out[outIdx - 1] = tok;
      out[outIdx] = runes[i + 1];
      i += 2;
    } else {
      out[outIdx] = tok;
      i++;
    }
  }
  return out.join('');
}

const reverseString = (s: string): string => Array.from(s).reverse().join('');

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // Regular expressions find the leftmost match; reversing both turns "shortest suffix" into that.
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** Go's Regexp.ReplaceAllString: `$n`/`${name}` templates, no empty match right after a match. */
function goReplaceAll(re: RegExp, src: string, template: string): string {
  const g = new RegExp(re.source, 'gu');
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    g.lastIndex = searchPos;
    const m = g.exec(src);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(template, m[0]);
    lastMatchEnd = end;
    // Always advance at least one character, as Go does.
    const width = searchPos < src.length ? (src.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}

function expandTemplate(template: string, match: string): string {
  return template.replace(/\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))/g, (all, _x, braced?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = braced ?? bare ?? '';
    return name === '0' ? match : '';
  });
}

function run(word: string, env: Env, opts: LexOptions): LexResult {
  const sw = new ShellWord(word, env, opts);
  try {
    const [result, words] = sw.processStopOn(EOF, opts.rawEscapes ?? false);
    return { result, words, matched: sw.matched, unmatched: sw.unmatched };
  } catch (e) {
    if (e instanceof LexError) throw new LexError(`failed to process ${JSON.stringify(word)}: ${e.message}`);
    throw e;
  }
}

/** BuildKit's ProcessWord: one word out, whitespace kept, quotes and escapes processed. */
export function processWord(word: string, env: Env, opts: LexOptions): LexResult {
  return run(word, env, opts);
}

/** BuildKit's ProcessWords: expanded, then split into words on unquoted whitespace. */
export function processWords(word: string, env: Env, opts: LexOptions): string[] {
  return run(word, env, opts).words;
}
