// COPY and ADD → the copy the solver performs: each source resolved to where it is read from
// (the context, a stage, an image, a URL, or text written in the Dockerfile), the destination
// made absolute against WORKDIR, flags expanded and checked.
import type { AddInstruction, CopyInstruction } from '../dockerfile/model.js';
import { classifyAddSource, GIT_REFUSED_HINT } from '../dockerfile/parse-files.js';
import { parseChecksum, parseChmod, ValueError, type Chmod } from '../dockerfile/values.js';
import { fail, imagePath, sourcePath, type DispatchContext } from './dispatch-context.js';
import type { CopySource, SourceRef, StepOp } from './types.js';

type CopyOp = Extract<StepOp, { op: 'copy' }>;

const WILDCARD = /(^|[^\\])[*?[]/;

export function dispatchCopy(instr: CopyInstruction | AddInstruction, d: DispatchContext): CopyOp {
  const what = instr.kind;
  let from: SourceRef = { kind: 'context' };
  if (instr.kind === 'COPY' && instr.from) {
    from = d.resolveFrom(instr.from.value, instr.from.position, 'COPY --from') ?? from;
  }

  let checksum: string | undefined;
  if (instr.kind === 'ADD' && instr.checksum) {
    const value = d.expand.word(instr.checksum);
    if (value !== undefined) {
      try {
        checksum = parseChecksum(value);
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        fail(d, e.message, instr.checksum.position, e.hint);
      }
    }
  }

  const sources: CopySource[] = [];
  for (const word of instr.sources) {
    const src = d.expand.word(word);
    if (src === undefined) continue;
    const kind = instr.kind === 'ADD' ? classifyAddSource(src) : /^https?:\/\//i.test(src) ? 'url' : 'local';
    if (kind === 'git') {
      fail(d, `ADD of a git repository (${src}) is not supported`, word.position, GIT_REFUSED_HINT);
      continue;
    }
    if (kind === 'url') {
      if (instr.kind === 'COPY') {
        fail(d, `COPY cannot take a URL (${src})`, word.position, 'use ADD to download a file');
        continue;
      }
      sources.push({ kind: 'url', url: src, checksum, extract: instr.unpack ?? false });
      continue;
    }
    if (checksum !== undefined && instr.kind === 'ADD' && instr.checksum) {
      fail(d, "checksum can't be specified for non-HTTP(S) sources", instr.checksum.position);
    }
    const p = sourcePath(d, src, from, word.position, what);
    if (p === undefined) continue;
    if (from.kind === 'context') d.contextPaths.add(p);
    sources.push({ kind: 'path', from, path: p, wildcard: WILDCARD.test(src) });
  }
  for (const c of instr.contents) {
    const data = c.expand ? d.expand.raw(c.data, c.position) : c.data;
    if (data !== undefined) sources.push({ kind: 'inline', name: c.name, data });
  }

  const destWritten = d.expand.word(instr.dest) ?? instr.dest.value;
  const several = instr.sources.length + instr.contents.length > 1;
  const destIsDir = several || destWritten.endsWith('/') || destWritten === '.' || destWritten.endsWith('/.');
  let dest = imagePath(d.state.config.workingDir, destWritten);
  if (destIsDir && !dest.endsWith('/')) dest = `${dest}/`;

  let chmod: Chmod | undefined;
  if (instr.chmod) {
    const value = d.expand.word(instr.chmod);
    if (value !== undefined) {
      try {
        chmod = parseChmod(value);
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        fail(d, e.message, instr.chmod.position, e.hint);
      }
    }
  }
  const chown = instr.chown ? d.expand.word(instr.chown) : undefined;
  if (instr.chown && chown === '') fail(d, '--chown needs a user', instr.chown.position, 'write --chown=<user>[:<group>]');

  return {
    op: 'copy',
    instruction: what,
    sources,
    dest,
    destIsDir,
    chown: chown || undefined,
    chmod,
    link: instr.link,
    parents: instr.kind === 'COPY' ? instr.parents : false,
    excludes: instr.excludes.map((w) => d.expand.word(w)).filter((v): v is string => v !== undefined),
    extract: instr.kind === 'ADD' ? (instr.unpack ?? true) : false,
  };
}

/** How the plan text shows a COPY/ADD: resolved flags, sources as written after expansion, destination. */
export function copyText(op: CopyOp, fromLabel: string | undefined): string {
  const flags: string[] = [];
  if (fromLabel) flags.push(`--from=${fromLabel}`);
  if (op.chown) flags.push(`--chown=${op.chown}`);
  if (op.chmod) flags.push(`--chmod=${op.chmod.kind === 'octal' ? op.chmod.mode.toString(8).padStart(4, '0') : op.chmod.expression}`);
  if (op.link) flags.push('--link');
  if (op.parents) flags.push('--parents');
  for (const e of op.excludes) flags.push(`--exclude=${e}`);
  const url = op.sources.find((s) => s.kind === 'url');
  if (url?.kind === 'url' && url.checksum) flags.push(`--checksum=${url.checksum}`);
  if (op.instruction === 'ADD') {
    if (url?.kind === 'url' && url.extract) flags.push('--unpack=true');
    if (!op.extract && op.sources.some((s) => s.kind === 'path')) flags.push('--unpack=false');
  }
  // Context paths are shown relative to the context, paths in a stage or image from its root.
  const shown = (s: CopySource): string =>
    s.kind === 'url' ? s.url : s.kind === 'inline' ? `<<${s.name}` : s.from.kind === 'context' ? s.path : s.path === '.' ? '/' : `/${s.path}`;
  const sources = op.sources.map(shown);
  return [op.instruction, ...flags, ...sources, op.dest].join(' ');
}
