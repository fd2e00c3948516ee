// Detach keys (runtime/detach-keys.ts): the sequence ends the client's session, never the
// container's input — the stream does not end, so a StdinOnce container keeps its stdin.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseDetachKeys, watchDetachKeys } from '../../../src/engine/runtime/detach-keys.js';

describe('detach keys', () => {
  it('parses Docker\'s spellings and refuses others with dockerd\'s words', () => {
    expect(parseDetachKeys(undefined)).toEqual([16, 17]);
    expect(parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-[')).toEqual([1, 120, 0, 27]);
    expect(() => parseDetachKeys('ctrl-1')).toThrow('Invalid detach keys (ctrl-1) provided');
    expect(() => parseDetachKeys('meta-x')).toThrow('Invalid detach keys (meta-x) provided');
  });

  it('passes input through, keeps a broken-off partial sequence, and detaches on the whole one without ending', async () => {
    const input = new PassThrough();
    let detached = 0;
    const seen: Buffer[] = [];
    let ended = false;
    const out = watchDetachKeys(input, [16, 17], () => detached++);
    out.on('data', (d: Buffer) => seen.push(d));
    out.on('end', () => (ended = true));
    input.write(Buffer.from([104, 16, 105])); // h, ctrl-p (broken off), i
    input.write(Buffer.from([33, 16]));
    input.write(Buffer.from([17, 120])); // the sequence across two chunks, then input that is not the container's
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(seen)).toEqual(Buffer.from([104, 16, 105, 33]));
    expect(detached).toBe(1);
    input.end();
    await new Promise((r) => setImmediate(r));
    expect(ended).toBe(false);
  });
});
