// One logical line → one typed instruction. A table maps each keyword to the flags it accepts
// and its argument grammar (BuildKit's dispatch table in parser.go plus instructions/parse.go);
// RUN, COPY and ADD have modules of their own.
import { DockerfileError, warningAt, type SourcePosition } from './errors.js';
import { parseFlags, type FlagProblem } from './flags.js';
import { extractFlags, LineError, parseJsonArray, parseNameValues, parseWords, splitKeyword, splitWhitespace, type Span } from './line-parsers.js';
import type {
  ArgInstruction, CommandLine, EnvInstruction, ExposeInstruction, FromInstruction, HealthcheckInstruction, Instruction,
  KeyValue, LabelInstruction, OnbuildInstruction, ShellInstruction, VolumeInstruction,
} from './model.js';
import { editDistance } from './suggest.js';
import { addParser, copyParser } from './parse-files.js';
import { commandLine, runParser } from './parse-run.js';
import { Problem, type InstructionParser, type ParseContext, type Request } from './request.js';
import type { HeredocBody, LogicalLine } from './source.js';
import { parseGoDuration, parsePortSpec, parseSignal, ValueError } from './values.js';

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function exactlyOne(req: Request): Span {
  if (req.args.text === '') throw new Problem(`${req.keyword} requires exactly one argument`, req.position);
  return req.args;
}

function atLeastOne(req: Request, words: unknown[], what = 'argument'): void {
  if (words.length === 0) throw new Problem(`${req.keyword} requires at least one ${what}`, req.position);
}

/** Checks a literal value now; one with variables is checked by the planner once expanded. */
function checkLiteral(req: Request, value: string, position: SourcePosition, check: (v: string) => unknown): void {
  if (value.includes('$')) return;
  try {
    check(value);
  } catch (e) {
    if (e instanceof ValueError) req.report(e.message, position, e.hint);
    else throw e;
  }
}

const fromParser: InstructionParser = {
  flags: { platform: 'string' },
  parse(req): FromInstruction {
    const words = splitWhitespace(req.args);
    let stageName: string | undefined;
    let stageNamePosition: SourcePosition | undefined;
    if (words.length === 3 && words[1].text.toLowerCase() === 'as') {
      stageName = words[2].text.toLowerCase();
      stageNamePosition = req.at(words[2].start);
      if (!STAGE_NAME.test(stageName)) {
        throw new Problem(
          `invalid name for build stage: ${JSON.stringify(words[2].text)}, name can't start with a number or contain symbols`,
          stageNamePosition,
          'use lowercase letters, digits, "-", "_" and "."; start with a letter',
        );
      }
    } else if (words.length !== 1) {
      throw new Problem('FROM requires either one or three arguments', words[0] ? req.at(words[0].start) : req.position, 'write FROM <image> [AS <name>]');
    }
    const platform = req.flags.string('platform');
    return {
      kind: 'FROM',
      position: req.position,
      original: req.line.text,
      image: req.word(words[0]),
      stageName,
      stageNamePosition,
      platform: platform ? { value: platform.value, position: platform.valuePosition } : undefined,
    };
  },
};

const argParser: InstructionParser = {
  flags: {},
  parse(req): ArgInstruction {
    const words = parseWords(req.args, req.ctx.escape);
    atLeastOne(req, words);
    return {
      kind: 'ARG',
      position: req.position,
      original: req.line.text,
      args: words.map((w) => {
        const eq = w.text.indexOf('=');
        if (eq === 0) throw new Problem('ARG names can not be blank', req.at(w.start));
        if (eq < 0) return { name: req.word(w) };
        return {
          name: req.word({ text: w.text.slice(0, eq), start: w.start }),
          default: req.word({ text: w.text.slice(eq + 1), start: w.start + eq + 1 }),
        };
      }),
    };
  },
};

function pairs(req: Request): KeyValue[] {
  let parsed;
  try {
    parsed = parseNameValues(req.args, req.keyword, req.ctx.escape);
  } catch (e) {
    if (e instanceof LineError) throw new Problem(e.message, req.at(e.offset), `write ${req.keyword} <key>=<value> ...`);
    throw e;
  }
  atLeastOne(req, parsed);
  return parsed.map((p) => {
    if (p.key.text === '') throw new Problem(`${req.keyword} names can not be blank`, req.at(p.key.start));
    return { key: req.word(p.key), value: req.word(p.value), legacy: p.legacy };
  });
}

const envParser: InstructionParser = {
  flags: {},
  parse(req): EnvInstruction {
    const p = pairs(req);
    if (p.some((kv) => kv.legacy)) {
      req.ctx.warnings.push(
        warningAt('"ENV key value" is the legacy form; write ENV key=value', req.ctx.file, req.position),
      );
    }
    return { kind: 'ENV', position: req.position, original: req.line.text, pairs: p };
  },
};

const labelParser: InstructionParser = {
  flags: {},
  parse: (req): LabelInstruction => ({ kind: 'LABEL', position: req.position, original: req.line.text, pairs: pairs(req) }),
};

const maintainerParser: InstructionParser = {
  flags: {},
  parse(req) {
    const text = exactlyOne(req).text;
    req.ctx.warnings.push(
      warningAt('MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors=...', req.ctx.file, req.position),
    );
    return { kind: 'MAINTAINER', position: req.position, original: req.line.text, maintainer: text };
  },
};

const workdirParser: InstructionParser = {
  flags: {},
  parse: (req) => ({ kind: 'WORKDIR', position: req.position, original: req.line.text, path: req.word(exactlyOne(req)) }),
};

const userParser: InstructionParser = {
  flags: {},
  parse: (req) => ({ kind: 'USER', position: req.position, original: req.line.text, user: req.word(exactlyOne(req)) }),
};

const stopsignalParser: InstructionParser = {
  flags: {},
  parse(req) {
    const signal = req.word(exactlyOne(req));
    checkLiteral(req, signal.value, signal.position, parseSignal);
    return { kind: 'STOPSIGNAL', position: req.position, original: req.line.text, signal };
  },
};

const exposeParser: InstructionParser = {
  flags: {},
  parse(req): ExposeInstruction {
    const ports = splitWhitespace(req.args).map((s) => req.word(s));
    atLeastOne(req, ports);
    for (const p of ports) checkLiteral(req, p.value, p.position, parsePortSpec);
    return { kind: 'EXPOSE', position: req.position, original: req.line.text, ports };
  },
};

const volumeParser: InstructionParser = {
  flags: {},
  parse(req): VolumeInstruction {
    let json: string[] | undefined;
    try {
      json = parseJsonArray(req.args);
    } catch (e) {
      if (e instanceof LineError) throw new Problem(e.message, req.at(e.offset));
      throw e;
    }
    const paths = json
      ? json.map((value) => ({ value: value.trim(), position: req.at(req.args.start) }))
      : splitWhitespace(req.args).map((s) => req.word(s));
    atLeastOne(req, paths);
    for (const p of paths) if (p.value === '') throw new Problem('VOLUME specified can not be an empty string', p.position);
    return { kind: 'VOLUME', position: req.position, original: req.line.text, paths };
  },
};

function commandParser(kind: 'CMD' | 'ENTRYPOINT'): InstructionParser {
  return {
    flags: {},
    parse(req) {
      if (req.args.text === '') throw new Problem(`${kind} requires at least one argument`, req.position, `write ${kind} ["executable", "arg"]`);
      return { kind, position: req.position, original: req.line.text, command: commandLine(req) };
    },
  };
}

const shellParser: InstructionParser = {
  flags: {},
  parse(req): ShellInstruction {
    const command = req.args.text === '' ? undefined : commandLine(req);
    if (!command || (command.form === 'exec' && command.argv.length === 0)) throw new Problem('SHELL requires at least one argument', req.position);
    if (command.form !== 'exec') {
      throw new Problem('SHELL requires the arguments to be in JSON form', req.at(req.args.start), 'write SHELL ["/bin/bash", "-c"]');
    }
    return { kind: 'SHELL', position: req.position, original: req.line.text, argv: command.argv };
  },
};

const HEALTH_DURATIONS = [
  ['interval', 'intervalNs'],
  ['timeout', 'timeoutNs'],
  ['start-period', 'startPeriodNs'],
  ['start-interval', 'startIntervalNs'],
] as const;

const healthcheckParser: InstructionParser = {
  flags: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
  parse(req): HealthcheckInstruction {
    const m = /^(\S+)\s*/.exec(req.args.text);
    if (!m) throw new Problem('HEALTHCHECK requires at least one argument', req.position, 'write HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
    const type = m[1].toUpperCase();
    const rest: Span = { text: req.args.text.slice(m[0].length), start: req.args.start + m[0].length };
    const base = { kind: 'HEALTHCHECK' as const, position: req.position, original: req.line.text };
    const given = ['retries', ...HEALTH_DURATIONS.map(([f]) => f)].filter((f) => req.flags.string(f));
    if (type === 'NONE') {
      if (rest.text !== '') throw new Problem('HEALTHCHECK NONE takes no arguments', req.at(rest.start));
      if (given.length > 0) throw new Problem('HEALTHCHECK NONE takes no flags', req.flags.string(given[0])!.position);
      return { ...base, test: { type: 'NONE' } };
    }
    if (type !== 'CMD') throw new Problem(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`, req.at(req.args.start));
    if (rest.text === '') throw new Problem('Missing command after HEALTHCHECK CMD', req.at(req.args.start));
    const command: CommandLine = commandLine({ ...req, args: rest });
    if (command.form === 'exec' && command.argv.length === 0) throw new Problem('Missing command after HEALTHCHECK CMD', req.at(rest.start));
    const out: HealthcheckInstruction = { ...base, test: { type: 'CMD', command } };
    for (const [flag, field] of HEALTH_DURATIONS) {
      const f = req.flags.string(flag);
      if (!f || f.value === '') continue;
      try {
        const ns = parseGoDuration(f.value);
        if (ns !== 0 && ns < 1e6) throw new ValueError(`Interval "${flag}" cannot be less than 1ms`, 'use 0 for the default or at least 1ms');
        out[field] = ns;
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        req.report(`--${flag}: ${e.message}`, f.valuePosition, e.hint);
      }
    }
    const retries = req.flags.string('retries');
    if (retries && retries.value !== '') {
      const n = /^[+-]?\d+$/.test(retries.value) ? Number(retries.value) : NaN;
      if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 31 - 1) {
        req.report(`invalid --retries value ${JSON.stringify(retries.value)}`, retries.valuePosition, 'use a whole number');
      } else if (n < 0) {
        req.report(`--retries cannot be negative (${n})`, retries.valuePosition);
      } else {
        out.retries = n;
      }
    }
    return out;
  },
};

const onbuildParser: InstructionParser = {
  flags: {},
  parse(req): OnbuildInstruction | undefined {
    if (req.args.text === '') throw new Problem('ONBUILD requires at least one argument', req.position, 'write ONBUILD <instruction>');
    const triggerWord = req.args.text.split(/\s/, 1)[0].toUpperCase();
    if (triggerWord === 'ONBUILD') throw new Problem("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", req.at(req.args.start));
    if (triggerWord === 'MAINTAINER' || triggerWord === 'FROM') {
      throw new Problem(`${triggerWord} isn't allowed as an ONBUILD trigger`, req.at(req.args.start));
    }
    const trigger = req.parseNested(req.args.start);
    if (!trigger) return undefined;
    let expression = req.line.text.replace(/^\s*ONBUILD\s*/i, '');
    for (const h of req.heredocs) expression += `\n${h.content}${h.name}`;
    return { kind: 'ONBUILD', position: req.position, original: req.line.text, expression, trigger };
  },
};

const PARSERS: Readonly<Record<string, InstructionParser>> = {
  ADD: addParser,
  ARG: argParser,
  CMD: commandParser('CMD'),
  COPY: copyParser,
  ENTRYPOINT: commandParser('ENTRYPOINT'),
  ENV: envParser,
  EXPOSE: exposeParser,
  FROM: fromParser,
  HEALTHCHECK: healthcheckParser,
  LABEL: labelParser,
  MAINTAINER: maintainerParser,
  ONBUILD: onbuildParser,
  RUN: runParser,
  SHELL: shellParser,
  STOPSIGNAL: stopsignalParser,
  USER: userParser,
  VOLUME: volumeParser,
  WORKDIR: workdirParser,
};

export const INSTRUCTION_NAMES = Object.keys(PARSERS);

function suggestInstruction(word: string): string | undefined {
  const upper = word.toUpperCase();
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.ceil(upper.length / 2));
  for (const name of INSTRUCTION_NAMES) {
    const d = editDistance(upper, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/** Parses one logical line; problems go to `ctx.errors` and the result is undefined if it cannot be used. */
export function parseInstruction(
  line: LogicalLine,
  heredocs: readonly HeredocBody[],
  ctx: ParseContext,
): Instruction | undefined {
  const { keyword, rest } = splitKeyword(line.text);
  const position = line.positionAt(keyword.start);
  const upper = keyword.text.toUpperCase();
  const parser = Object.hasOwn(PARSERS, upper) ? PARSERS[upper] : undefined;
  const report = (message: string, at: SourcePosition, hint?: string): void => {
    ctx.errors.push(new DockerfileError(message, { file: ctx.file, position: at, hint }));
  };
  if (!parser) {
    const near = suggestInstruction(keyword.text);
    report(`unknown instruction: ${keyword.text}`, position, near ? `did you mean ${near}?` : `instructions are ${INSTRUCTION_NAMES.join(', ')}`);
    return undefined;
  }
  const { flags, args } = extractFlags(rest);
  const problems: FlagProblem[] = [];
  const parsedFlags = parseFlags(upper, flags, parser.flags, (o) => line.positionAt(o), problems);
  for (const p of problems) report(p.message, p.position, p.hint);
  const req: Request = {
    keyword: upper,
    position,
    line,
    args,
    flags: parsedFlags,
    heredocs,
    ctx,
    at: (o) => line.positionAt(o),
    word: (s) => ({ value: s.text, position: line.positionAt(s.start) }),
    report,
    parseNested: (offset) => parseInstruction(line.slice(offset), heredocs, ctx),
  };
  try {
    const instruction = parser.parse(req);
    return problems.length > 0 ? undefined : instruction;
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    report(e.message, e.position, e.hint);
    return undefined;
  }
}
