// `command` / `entrypoint` given as a string are split into argv the way compose does
// (mattn/go-shellwords, without environment or backtick expansion): whitespace separates
// words, '…' is literal, "…" groups, a backslash escapes the next character (`\t`, `\n`
// become tab and newline), `$(…)` and `…` are kept verbatim as part of a word.
import { errorAt, type Rule } from './walk.js';

export class ShellSplitError extends Error {}

const SPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Splits a command line into words. Unlike go-shellwords, which silently stops at an unquoted
 * `;`, `&`, `|`, `<` or `>` and drops the rest, this throws: a command cut short without a word
 * is worse than an error.
 */
export function splitShellWords(line: string): string[] {
  const args: string[] = [];
  let buf = '';
  let got: 'none' | 'single' | 'quoted' = 'none';
  let escaped = false;
  let single = false;
  let double = false;
  let backQuote = false;
  let dollarQuote = false;

  for (const r of line) {
    if (escaped) {
      escaped = false;
      if (backQuote || dollarQuote) buf += `\\${r}`;
      else buf += r === 't' ? '\t' : r === 'n' ? '\n' : r;
      got = 'single';
      continue;
    }
    if (r === '\\') {
      if (single) buf += r;
      else escaped = true;
      continue;
    }
    if (SPACE.has(r)) {
      if (single || double || backQuote || dollarQuote) buf += r;
      else if (got !== 'none') {
        args.push(buf);
        buf = '';
        got = 'none';
      }
      continue;
    }
    switch (r) {
      case '`':
        if (!single && !double && !dollarQuote) backQuote = !backQuote;
        break;
      case ')':
        if (!single && !double && !backQuote) {
          if (!dollarQuote) throw new ShellSplitError('unbalanced ")"');
          dollarQuote = false;
        }
        break;
      case '(':
        if (!single && !double && !backQuote) {
          if (!dollarQuote && buf.endsWith('$') && !buf.endsWith('\\$')) dollarQuote = true;
          else throw new ShellSplitError('"(" is only allowed in "$(…)" outside quotes');
        }
        break;
      case '"':
        if (!single && !dollarQuote && !backQuote) {
          if (double) got = 'quoted';
          double = !double;
          continue;
        }
        break;
      case "'":
        if (!double && !dollarQuote && !backQuote) {
          if (single) got = 'quoted';
          single = !single;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (!(single || double || backQuote || dollarQuote)) {
          throw new ShellSplitError(`unquoted "${r}": compose would silently drop the rest of the command`);
        }
        break;
    }
    got = 'single';
    buf += r;
  }
  if (got !== 'none') args.push(buf);
  if (escaped) throw new ShellSplitError('ends with a lone backslash');
  if (single || double) throw new ShellSplitError('unterminated quote');
  if (backQuote || dollarQuote) throw new ShellSplitError('unterminated command substitution');
  return args;
}

/** `services.*.command` / `entrypoint`: string → argv; lists stay; null stays (resets the image's). */
export const normalizeCommand: Rule = (value, at) => {
  if (typeof value !== 'string') return value;
  try {
    return splitShellWords(value);
  } catch (e) {
    if (!(e instanceof ShellSplitError)) throw e;
    throw errorAt(at, `invalid command line string: ${e.message}`, 'quote it, or use the list form, e.g. ["sh", "-c", "a && b"]');
  }
};

/** `healthcheck.test` as a string runs through the container's shell. */
export const normalizeHealthcheckTest: Rule = (value) => (typeof value === 'string' ? ['CMD-SHELL', value] : value);
