// COPY and ADD: sources and destination (JSON array or whitespace-separated words, where quotes
// are NOT grouping — BuildKit splits on whitespace and the lexer then removes quotes per word),
// heredoc sources, and their flags.
import { attachHeredocBodies, chompHeredoc, heredocsInLine, parseHeredocWord } from './heredoc.js';
import { LineError, parseJsonArray, splitWhitespace, type Span } from './line-parsers.js';
import type { AddInstruction, CopyInstruction, InlineSource, Word } from './model.js';
import { Problem, type InstructionParser, type Request } from './request.js';
import { parseChecksum, parseChmod, ValueError } from './values.js';

export type AddSourceKind = 'local' | 'url' | 'git';

/** What an ADD source is, the way BuildKit tells git repositories and URLs from paths. */
export function classifyAddSource(src: string): AddSourceKind {
  if (/^(git:\/\/|git@|ssh:\/\/)/i.test(src)) return 'git';
  if (/^https?:\/\//i.test(src)) {
    const noFragment = src.split('#')[0];
    if (/\.git\/?$/i.test(noFragment) || (src.includes('#') && /\.git(#|$)/i.test(src))) return 'git';
    return 'url';
  }
  return 'local';
}

export const GIT_REFUSED_HINT =
  'berth builds without network access: clone the repository into the build context and COPY it';

function argumentWords(req: Request): { words: Word[]; json: boolean } {
  try {
    const json = parseJsonArray(req.args);
    if (json !== undefined) return { words: json.map((value) => ({ value, position: req.at(req.args.start) })), json: true };
  } catch (e) {
    if (e instanceof LineError) throw new Problem(e.message, req.at(e.offset), 'write every element as a "string"');
    throw e;
  }
  return { words: splitWhitespace(req.args).map((s: Span) => req.word(s)), json: false };
}

interface SourcesAndDest {
  sources: Word[];
  contents: InlineSource[];
  dest: Word;
}

function sourcesAndDest(req: Request): SourcesAndDest {
  const { words, json } = argumentWords(req);
  if (words.length < 2) {
    throw new Problem(
      `${req.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`,
      words[0]?.position ?? req.position,
      `write ${req.keyword} <source>... <destination>`,
    );
  }
  const dest = words[words.length - 1];
  if (!json && parseHeredocWord(dest.value)) {
    throw new Problem(`${req.keyword} cannot accept a heredoc as a destination`, dest.position, 'put the heredoc before the destination');
  }
  const bodies = json ? [] : attachHeredocBodies(heredocsInLine(req.args.text), req.heredocs, req.ctx.file, req.position, req.ctx.errors);
  const sources: Word[] = [];
  const contents: InlineSource[] = [];
  for (const w of words.slice(0, -1)) {
    const marker = json ? undefined : parseHeredocWord(w.value);
    if (!marker) {
      sources.push(w);
      continue;
    }
    const body = bodies.find((b) => b.name === marker.name);
    if (!body) continue; // reported as unterminated
    contents.push({
      name: marker.name,
      data: marker.chomp ? chompHeredoc(body.content) : body.content,
      expand: marker.expand,
      position: w.position,
    });
  }
  return { sources, contents, dest };
}

function checkChmod(req: Request): Word | undefined {
  const flag = req.flags.string('chmod');
  if (!flag) return undefined;
  if (!flag.value.includes('$')) {
    try {
      parseChmod(flag.value);
    } catch (e) {
      if (e instanceof ValueError) req.report(e.message, flag.valuePosition, e.hint);
      else throw e;
    }
  }
  return { value: flag.value, position: flag.valuePosition };
}

function optionalWord(req: Request, name: string): Word | undefined {
  const flag = req.flags.string(name);
  return flag ? { value: flag.value, position: flag.valuePosition } : undefined;
}

function excludes(req: Request): Word[] {
  return req.flags.strings('exclude').map((f) => ({ value: f.value, position: f.valuePosition }));
}

export const copyParser: InstructionParser = {
  flags: { chown: 'string', from: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  parse(req: Request): CopyInstruction {
    const { sources, contents, dest } = sourcesAndDest(req);
    const from = optionalWord(req, 'from');
    if (from) {
      const idx = from.value.indexOf('$');
      if (idx !== -1 && idx !== from.value.length - 1) {
        req.report("'from' doesn't support variable expansion", from.position, 'define an alias stage (FROM ${IMAGE} AS base) and COPY --from=base');
      } else if (from.value === '') {
        req.report('--from needs a stage name, a stage index or an image', from.position);
      }
    }
    return {
      kind: 'COPY',
      position: req.position,
      original: req.line.text,
      sources,
      contents,
      dest,
      from,
      chown: optionalWord(req, 'chown'),
      chmod: checkChmod(req),
      link: req.flags.bool('link'),
      parents: req.flags.bool('parents'),
      excludes: excludes(req),
    };
  },
};

export const addParser: InstructionParser = {
  flags: {
    chown: 'string',
    chmod: 'string',
    link: 'bool',
    'keep-git-dir': 'bool',
    checksum: 'string',
    exclude: 'strings',
    unpack: 'bool',
  },
  parse(req: Request): AddInstruction {
    const { sources, contents, dest } = sourcesAndDest(req);
    for (const src of sources) {
      if (!src.value.includes('$') && classifyAddSource(src.value) === 'git') {
        req.report(`ADD of a git repository (${src.value}) is not supported`, src.position, GIT_REFUSED_HINT);
      }
    }
    const checksum = optionalWord(req, 'checksum');
    if (checksum && !checksum.value.includes('$')) {
      try {
        parseChecksum(checksum.value);
      } catch (e) {
        if (e instanceof ValueError) req.report(e.message, checksum.position, e.hint);
        else throw e;
      }
      if (sources.length + contents.length > 1) {
        req.report("checksum can't be specified for multiple sources", checksum.position, 'split the ADD, one URL each');
      } else if (sources.length === 1 && !sources[0].value.includes('$') && classifyAddSource(sources[0].value) !== 'url') {
        req.report("checksum can't be specified for non-HTTP(S) sources", checksum.position, 'remove --checksum, or ADD an https:// URL');
      }
    }
    return {
      kind: 'ADD',
      position: req.position,
      original: req.line.text,
      sources,
      contents,
      dest,
      chown: optionalWord(req, 'chown'),
      chmod: checkChmod(req),
      link: req.flags.bool('link'),
      keepGitDir: req.flags.bool('keep-git-dir'),
      checksum,
      unpack: req.flags.boolOrUndefined('unpack'),
      excludes: excludes(req),
    };
  },
};
