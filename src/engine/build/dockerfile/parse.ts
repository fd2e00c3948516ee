// Dockerfile text → ParsedDockerfile: directives, the global ARGs and the stages with their
// typed instructions. Every instruction is parsed even after an error, and all problems are
// thrown together at the end (DockerfileErrors), sorted by position.
import { DockerfileError, throwIfErrors, warningAt, type BuildWarning } from './errors.js';
import { parseInstruction } from './instructions.js';
import { splitKeyword } from './line-parsers.js';
import type { ArgInstruction, ParsedDockerfile, Stage } from './model.js';
import type { ParseContext } from './request.js';
import { readSource, type Directive } from './source.js';

export interface ParseOptions {
  /** The name used in messages: `Dockerfile`, `docker/app.Dockerfile`. */
  file?: string;
}

const BUILTIN_FRONTEND = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?docker\/dockerfile(?::([\w][\w.-]*))?(?:@sha256:[a-f0-9]{64})?$/;
const BUILTIN_TAG = /^(?:latest|labs|1(?:\.\d+){0,2}(?:-labs|-experimental)?)$/;

/** `# syntax=` values the built-in frontend serves: docker/dockerfile:1, :1.x, :labs, docker.io/… */
export function isBuiltinFrontend(syntax: string): boolean {
  const m = BUILTIN_FRONTEND.exec(syntax.trim());
  return m !== null && (m[1] === undefined || BUILTIN_TAG.test(m[1]));
}

function checkSyntax(d: Directive, file: string, errors: DockerfileError[]): void {
  if (isBuiltinFrontend(d.value)) return;
  errors.push(
    new DockerfileError(`the Dockerfile frontend ${JSON.stringify(d.value)} named by # syntax is not supported`, {
      file,
      position: d.position,
      hint: 'berth builds with its built-in frontend and cannot pull frontend images: remove the # syntax line or use docker/dockerfile:1',
    }),
  );
}

const RESERVED_STAGE_NAMES = new Set(['scratch', 'context']);

export function parseDockerfile(text: string, options: ParseOptions = {}): ParsedDockerfile {
  const file = options.file ?? 'Dockerfile';
  const errors: DockerfileError[] = [];
  const warnings: BuildWarning[] = [];
  if (text.trim() === '') {
    throw new DockerfileError('the Dockerfile cannot be empty', { file, hint: 'start it with FROM <image>' });
  }
  const source = readSource(text, file, errors);
  let syntax: string | undefined;
  let check: string | undefined;
  for (const d of source.directives) {
    if (d.name === 'syntax') {
      syntax = d.value;
      checkSyntax(d, file, errors);
    } else if (d.name === 'check') {
      check = d.value;
    }
  }

  const ctx: ParseContext = { file, escape: source.escape, errors, warnings };
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  let sawFrom = false;
  for (const raw of source.instructions) {
    if (raw.emptyContinuation) {
      warnings.push(warningAt('empty continuation line (blank lines inside a continued instruction will become errors)', file, raw.position));
    }
    const keyword = splitKeyword(raw.line.text).keyword.text.toUpperCase();
    const instr = parseInstruction(raw.line, raw.heredocs, ctx);
    if (keyword === 'FROM') sawFrom = true;
    if (!instr) continue;
    if (instr.kind === 'FROM') {
      stages.push({ index: stages.length, name: instr.stageName, from: instr, instructions: [] });
      continue;
    }
    if (!sawFrom) {
      if (instr.kind === 'ARG') metaArgs.push(instr);
      else {
        errors.push(
          new DockerfileError(`${instr.kind} before the first FROM`, {
            file,
            position: instr.position,
            hint: 'only ARG may come before the first FROM; start a stage with FROM <image>',
          }),
        );
      }
      continue;
    }
    // An instruction after a FROM that failed to parse belongs to that broken stage: skip it.
    stages.at(-1)?.instructions.push(instr);
  }

  if (!sawFrom) {
    errors.push(new DockerfileError('the Dockerfile has no FROM instruction', { file, hint: 'a build starts with FROM <image> (or FROM scratch)' }));
  }
  const firstByName = new Map<string, Stage>();
  for (const stage of stages) {
    if (!stage.name) continue;
    const where = stage.from.stageNamePosition ?? stage.from.position;
    if (RESERVED_STAGE_NAMES.has(stage.name)) warnings.push(warningAt(`"${stage.name}" is a reserved name; name the stage differently`, file, where));
    const first = firstByName.get(stage.name);
    if (first) warnings.push(warningAt(`duplicate stage name "${stage.name}" (first at line ${first.from.position.line})`, file, where));
    else firstByName.set(stage.name, stage);
  }
  throwIfErrors(errors);
  return { file, escape: source.escape, syntax, check, metaArgs, stages, warnings };
}
