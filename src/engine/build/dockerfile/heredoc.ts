// Heredocs as BuildKit recognises them (parser.go: heredocsFromLine, ParseHeredoc): a word
// `[fd]<<[-]NAME` of the instruction line, NAME possibly quoted; a quoted NAME means the body is
// taken literally, `<<-` strips leading tabs. Only RUN, COPY and ADD (also as ONBUILD
// triggers) have heredocs, and only in their shell form.
import { DockerfileError, type SourcePosition } from './errors.js';
import { processWords } from './lex.js';
import type { Heredoc } from './model.js';
import type { HeredocBody } from './source.js';

const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const NO_ENV = new Map<string, string>();

export interface HeredocMarker {
  name: string;
  expand: boolean;
  chomp: boolean;
  fd: number;
}

/** The heredoc a word opens, if it is one. */
export function parseHeredocWord(word: string): HeredocMarker | undefined {
  const m = HEREDOC.exec(word);
  if (!m || m[3] === '') return undefined;
  let words: string[];
  let raw: string[];
  try {
    words = processWords(m[3], NO_ENV, { escape: '\\', skipUnsetEnv: true });
    raw = processWords(m[3], NO_ENV, { escape: '\\', skipUnsetEnv: true, rawQuotes: true });
  } catch {
    return undefined;
  }
  if (words.length !== 1 || raw.length !== 1) return undefined;
  // Quotes removed in one reading and kept in the other: some part of the name was quoted.
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return { name: words[0], expand: quotes(words[0]) === quotes(raw[0]), chomp: m[2] === '-', fd: m[1] === '' ? 0 : Number(m[1]) };
}

/** Every heredoc opened on a line, in order. */
export function heredocsInLine(text: string): HeredocMarker[] {
  if (!text.includes('<<')) return [];
  let words: string[];
  try {
    words = processWords(text, NO_ENV, { escape: '\\', rawQuotes: true, rawEscapes: true });
  } catch {
    return [];
  }
  return words.map(parseHeredocWord).filter((h): h is HeredocMarker => h !== undefined);
}

/** `<<-`: leading tabs off every line. */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/**
 * Pairs the heredocs a line opens with the bodies found after it. A heredoc without its
 * terminator is an error at the place it was opened.
 */
export function attachHeredocBodies(
  markers: HeredocMarker[],
  bodies: readonly HeredocBody[],
  file: string,
  fallback: SourcePosition,
  errors: DockerfileError[],
): Heredoc[] {
  const out: Heredoc[] = [];
  markers.forEach((marker, i) => {
    const body = bodies[i];
    if (!body || body.name !== marker.name || !body.terminated) {
      errors.push(
        new DockerfileError(`unterminated heredoc ${marker.name}`, {
          file,
          position: body?.position ?? fallback,
          hint: `end it with a line holding only ${marker.name}${marker.chomp ? ' (tabs before it are allowed with <<-)' : ''}`,
        }),
      );
      return;
    }
    out.push({ ...marker, content: body.content, position: body.position });
  });
  return out;
}
