// Shared by the builder's engine tests: a build context as a tar (from a file map), a build through
// dockerode's buildImage collecting Docker's JSON stream, and the per-step cache verdicts read
// back from that stream (`Step N/M : TEXT` followed by ` ---> Using cache` or not).
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { writeTar, type TarWriteEntry } from '../../../src/lib/tar.js';

export type ContextFiles = Record<string, string | { data: string; mode?: number; uid?: number; gid?: number } | { symlink: string }>;

export async function contextTar(files: ContextFiles): Promise<Buffer> {
  const entries: TarWriteEntry[] = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, v]) => {
      if (typeof v === 'string') return { path: p, body: v, mode: 0o644, mtime: 1_700_000_000 };
      if ('symlink' in v) return { path: p, type: 'symlink', linkpath: v.symlink, mtime: 1_700_000_000 };
      return { path: p, body: v.data, mode: v.mode ?? 0o644, uid: v.uid ?? 0, gid: v.gid ?? 0, mtime: 1_700_000_000 };
    });
  const chunks: Buffer[] = [];
  for await (const c of writeTar(entries)) chunks.push(c);
  return Buffer.concat(chunks);
}

export interface BuildOutcome {
  /** Every JSON message, in order. */
  messages: Record<string, unknown>[];
  /** The `stream` text, joined. */
  text: string;
  imageId?: string;
  error?: string;
  /** Per announced step: its text and whether the cache answered. */
  steps: { text: string; cached: boolean }[];
}

export function parseSteps(text: string): { text: string; cached: boolean }[] {
  const lines = text.split('\n');
  const steps: { text: string; cached: boolean }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^Step \d+\/\d+ : (.*)$/.exec(lines[i]);
    if (m) steps.push({ text: m[1], cached: lines[i + 1] === ' ---> Using cache' });
  }
  return steps;
}

export async function build(docker: Docker, files: ContextFiles, options: Record<string, unknown> = {}): Promise<BuildOutcome> {
  const tar = await contextTar(files);
  let stream: AsyncIterable<Buffer>;
  try {
    stream = (await docker.buildImage(Readable.from([tar]) as unknown as NodeJS.ReadableStream, options as Docker.ImageBuildOptions)) as unknown as AsyncIterable<Buffer>;
  } catch (e) {
    // Refused before the stream started: an HTTP error (400 for a bad Dockerfile or context).
    return { messages: [], text: '', error: (e as Error).message, steps: [] };
  }
  let raw = '';
  for await (const chunk of stream) raw += chunk.toString('utf8');
  const messages = raw
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const text = messages.map((m) => (typeof m.stream === 'string' ? m.stream : '')).join('');
  const aux = messages.find((m) => m.aux && typeof (m.aux as { ID?: string }).ID === 'string');
  const err = messages.find((m) => typeof m.error === 'string');
  return {
    messages,
    text,
    ...(aux ? { imageId: (aux.aux as { ID: string }).ID } : {}),
    ...(err ? { error: err.error as string } : {}),
    steps: parseSteps(text),
  };
}
