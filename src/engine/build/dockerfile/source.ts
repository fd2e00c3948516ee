// From Dockerfile text to BuildKit's "logical lines". dockerfile-ast finds the parser directives,
// where each instruction starts and ends, and the bodies of its heredocs; the logical line
// itself (continuations joined, comment and blank lines inside a continuation dropped,
// continuation lines not left-trimmed) is rebuilt here exactly as BuildKit's parser.go does,
// keeping for every character the line and column it came from, so later stages can point at
// the very flag or word that is wrong.
import { DockerfileParser, type Heredoc as AstHeredoc, type Instruction as AstInstruction } from 'dockerfile-ast';
import { DockerfileError, type SourcePosition } from './errors.js';
import type { EscapeToken } from './lex.js';

/** A logical line with the source position of each of its characters. */
export class LogicalLine {
  constructor(
    readonly text: string,
    private readonly positions: readonly SourcePosition[],
    /** Where the line ends in the source: used for offsets at or past the end. */
    private readonly end: SourcePosition,
  ) {}

  positionAt(offset: number): SourcePosition {
    if (offset < this.positions.length) return this.positions[Math.max(0, offset)];
    return this.end;
  }

  /** The part from `start`, with its positions: how an ONBUILD trigger becomes a line of its own. */
  slice(start: number): LogicalLine {
    return new LogicalLine(this.text.slice(start), this.positions.slice(start), this.end);
  }
}

export interface HeredocBody {
  name: string;
  /** The body as BuildKit keeps it: every line followed by `\n`. */
  content: string;
  terminated: boolean;
  position: SourcePosition;
}

export interface RawInstruction {
  /** The logical line, keyword included. */
  line: LogicalLine;
  /** The keyword as written (`run`, `RUN`). */
  keyword: string;
  position: SourcePosition;
  endLine: number;
  heredocs: HeredocBody[];
  /** A blank line inside a continuation: allowed, but BuildKit warns about it. */
  emptyContinuation: boolean;
}

export interface Directive {
  name: string;
  value: string;
  position: SourcePosition;
}

export interface SourceFile {
  escape: EscapeToken;
  directives: Directive[];
  instructions: RawInstruction[];
}

const BOM = '\uFEFF';

/** Text as BuildKit reads it: no byte-order mark, `\r\n` and lone `\r` line ends as `\n`. */
export function normalizeText(text: string): string {
  return (text.startsWith(BOM) ? text.slice(1) : text).replace(/\r\n?/g, '\n');
}

const isCommentLine = (line: string): boolean => /^[ \t]*#/.test(line);

/** Splits the source into directives and raw instructions; problems go to `errors`. */
export function readSource(text: string, file: string, errors: DockerfileError[]): SourceFile {
  const normalized = normalizeText(text);
  const ast = DockerfileParser.parse(normalized);
  const lines = normalized.split('\n');

  const directives: Directive[] = [];
  const seen = new Set<string>();
  let escape: EscapeToken = '\\';
  for (const d of ast.getDirectives()) {
    const name = d.getName().toLowerCase();
    const position = { line: d.getRange().start.line + 1, column: d.getNameRange().start.character + 1 };
    const value = d.getValue();
    if (seen.has(name) && (name === 'escape' || name === 'syntax' || name === 'check')) {
      errors.push(new DockerfileError(`only one ${name} parser directive can be used`, { file, position, hint: 'remove the repeated directive' }));
      continue;
    }
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        errors.push(
          new DockerfileError(`invalid escape token '${value}' does not match \` or \\`, {
            file,
            position: { line: position.line, column: d.getValueRange().start.character + 1 },
            hint: 'write # escape=\\ or # escape=`',
          }),
        );
        continue;
      }
      escape = value;
    }
    directives.push({ name, value, position });
  }

  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions = ast.getInstructions().map((instr) => readInstruction(instr, lines, continuation));
  return { escape, directives, instructions };
}

function readInstruction(instr: AstInstruction, lines: string[], continuation: RegExp): RawInstruction {
  const range = instr.getRange();
  const startLine = range.start.line;
  const endLine = range.end.line;
  let text = '';
  const positions: SourcePosition[] = [];
  const append = (lineIndex: number, from: number, to: number): void => {
    const src = lines[lineIndex];
    text += src.slice(from, to);
    for (let c = from; c < to; c++) positions.push({ line: lineIndex + 1, column: c + 1 });
  };

  // The first line: from the keyword on (leading whitespace already skipped by the AST).
  let i = startLine;
  let current = lines[i];
  let m = continuation.exec(current);
  append(i, range.start.character, m ? m.index : current.length);
  let emptyContinuation = false;
  while (m && i < lines.length - 1) {
    i++;
    current = lines[i];
    if (isCommentLine(current)) continue;
    if (current.trim() === '') {
      emptyContinuation = true;
      continue;
    }
    m = continuation.exec(current);
    append(i, 0, m ? m.index : current.length);
  }
  const last = positions.length > 0 ? positions[positions.length - 1] : { line: startLine + 1, column: range.start.character + 1 };
  const end = { line: last.line, column: last.column + 1 };

  const heredocs: HeredocBody[] = [];
  const withHeredocs = instr as unknown as { getHeredocs?: () => AstHeredoc[] };
  if (typeof withHeredocs.getHeredocs === 'function' && endLine > i) {
    for (const h of withHeredocs.getHeredocs()) {
      const content = h.getContentRange();
      const delimiter = h.getDelimiterRange();
      let body = '';
      if (content) {
        for (let l = content.start.line; l <= content.end.line && l < lines.length; l++) {
          // A body line that is only the delimiter would have ended it: stop at the delimiter.
          if (delimiter && l >= delimiter.start.line) break;
          body += `${lines[l]}\n`;
        }
      }
      const start = h.getStartRange().start;
      heredocs.push({
        name: h.getName(),
        content: body,
        terminated: delimiter !== null,
        position: { line: start.line + 1, column: start.character + 1 },
      });
    }
  }

  return {
    line: new LogicalLine(text, positions, end),
    keyword: instr.getInstruction(),
    position: { line: startLine + 1, column: range.start.character + 1 },
    endLine: endLine + 1,
    heredocs,
    emptyContinuation,
  };
}
