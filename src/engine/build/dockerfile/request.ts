// What an instruction parser gets: its flags already read, its argument text with positions,
// and a way to report problems. A parser throws a Problem for the error that stops it and
// pushes the ones it can continue after; either way the file's parse goes on.
import { DockerfileError, type BuildWarning, type SourcePosition } from './errors.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import type { EscapeToken } from './lex.js';
import type { Span } from './line-parsers.js';
import type { Instruction, Word } from './model.js';
import type { HeredocBody, LogicalLine } from './source.js';

export class Problem extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface ParseContext {
  file: string;
  escape: EscapeToken;
  errors: DockerfileError[];
  warnings: BuildWarning[];
}

export interface Request {
  /** Upper-case keyword. */
  keyword: string;
  position: SourcePosition;
  line: LogicalLine;
  /** The arguments after the flags, trimmed. */
  args: Span;
  flags: ParsedFlags;
  heredocs: readonly HeredocBody[];
  ctx: ParseContext;
  /** The source position of an offset in the logical line. */
  at(offset: number): SourcePosition;
  word(span: Span): Word;
  /** Records a problem the parser can continue after. */
  report(message: string, position: SourcePosition, hint?: string): void;
  /** Parses an ONBUILD trigger: a line of its own that starts at `offset`. */
  parseNested(offset: number): Instruction | undefined;
}

export interface InstructionParser {
  flags: FlagSpec;
  parse(req: Request): Instruction | undefined;
}
