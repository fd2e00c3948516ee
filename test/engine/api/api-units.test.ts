// The API layer's pure pieces: version arithmetic, query parsing, stream framing, routing, and
// backpressure-aware writing.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/engine/backend.js';
import { Query, parseFilters, parseTimestamp } from '../../../src/engine/api/query.js';
import { Router } from '../../../src/engine/api/router.js';
import { classifyFirstRequest } from '../../../src/engine/api/sniff.js';
import { pumpOutput, streamMediaType } from '../../../src/engine/api/routes/common.js';
import { formatLogTimestamp, formatRfc3339Nano, frame, writeWithBackpressure } from '../../../src/engine/api/streams.js';
import { compareVersions, negotiateVersion } from '../../../src/engine/api/versions.js';

describe('versions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('1.9', '1.24')).toBe(-1);
    expect(compareVersions('1.43', '1.43.0')).toBe(0);
    expect(compareVersions('2.0', '1.99')).toBe(1);
  });

  it('cuts the prefix and defaults to the newest version', () => {
    expect(negotiateVersion('/v1.41/containers/json')).toEqual({ version: '1.41', path: '/containers/json' });
    expect(negotiateVersion('/containers/json')).toEqual({ version: '1.43', path: '/containers/json' });
    expect(negotiateVersion('/version')).toEqual({ version: '1.43', path: '/version' });
    expect(() => negotiateVersion('/v1.50/info')).toThrow(InvalidArgumentError);
    expect(() => negotiateVersion('/v1.23/info')).toThrow('client version 1.23 is too old');
  });

  it('labels non-TTY streams multiplexed from API 1.42 on', () => {
    expect(streamMediaType(false, '1.42')).toBe('application/vnd.docker.multiplexed-stream');
    expect(streamMediaType(false, '1.41')).toBe('application/vnd.docker.raw-stream');
    expect(streamMediaType(true, '1.43')).toBe('application/vnd.docker.raw-stream');
  });
});

describe('query', () => {
  const q = (s: string) => new Query(new URLSearchParams(s));

  it('reads booleans as moby does', () => {
    for (const v of ['0', 'false', 'FALSE', 'no', 'none', '', ' 0 ']) expect(q(`a=${encodeURIComponent(v)}`).bool('a')).toBe(false);
    for (const v of ['1', 'true', 'yes', 'on', 'anything']) expect(q(`a=${v}`).bool('a')).toBe(true);
    expect(q('').bool('stream', true)).toBe(true);
    expect(q('stream=0').bool('stream', true)).toBe(false);
  });

  it('reads integers, refusing what is not one', () => {
    expect(q('t=10').int('t')).toBe(10);
    expect(q('t=').int('t')).toBeUndefined();
    expect(q('t=-1').int('t')).toBe(-1);
    expect(() => q('t=1.5').int('t')).toThrow('invalid value for t: "1.5": not an integer');
  });

  it('parses filters in both forms, sorted and deduplicated', () => {
    expect(parseFilters('')).toEqual({});
    expect(parseFilters('{"label":{"b=1":true,"a":true}}')).toEqual({ label: ['a', 'b=1'] });
    expect(parseFilters('{"name":["web","db","web"]}')).toEqual({ name: ['db', 'web'] });
    expect(() => parseFilters('[1]')).toThrow('invalid filter: expected a JSON object');
    expect(() => parseFilters('{"name":"web"}')).toThrow('invalid filter: values of "name" must be a list of strings or a set');
    expect(() => parseFilters('{')).toThrow(/^invalid filter: /);
  });

  it('parses Unix timestamps with optional nanoseconds; 0 and empty mean no bound', () => {
    expect(parseTimestamp('1700000000', 'since').toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(parseTimestamp('1700000000.5', 'since').getTime()).toBe(1700000000500);
    expect(parseTimestamp('1700000000.000000999', 'since').getTime()).toBe(1700000000000);
    expect(() => parseTimestamp('yesterday', 'since')).toThrow('invalid value for since: "yesterday"');
    expect(q('since=0').time('since')).toBeUndefined();
    expect(q('since=').time('since')).toBeUndefined();
  });
});

describe('streams', () => {
  it('frames output with the stdcopy header', () => {
    expect([...frame(2, Buffer.from('hi'))]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
    expect(frame(1, Buffer.alloc(300)).readUInt32BE(4)).toBe(300);
  });

  it('renders times as Go RFC3339Nano does', () => {
    expect(formatRfc3339Nano(new Date('2024-01-02T03:04:05.120Z'))).toBe('2024-01-02T03:04:05.12Z');
    expect(formatRfc3339Nano(new Date('2024-01-02T03:04:05.000Z'))).toBe('2024-01-02T03:04:05Z');
    // `logs -t`: dockerd's RFC3339NanoFixed, the log's nanoseconds kept.
    expect(formatLogTimestamp(new Date(0), '2026-12-06T15:47:28.243532875Z')).toBe('2026-12-06T15:47:28.243532875Z');
    expect(formatLogTimestamp(new Date(0), '2026-12-06T15:47:28.2435Z')).toBe('2026-12-06T15:47:28.243500000Z');
    expect(formatLogTimestamp(new Date(0), '2026-12-06T15:47:28Z')).toBe('2026-12-06T15:47:28.000000000Z');
    expect(formatLogTimestamp(new Date('2024-01-02T03:04:05.120Z'))).toBe('2024-01-02T03:04:05.120000000Z');
  });

  it('waits for drain before resolving, and resolves false once the destination closed', async () => {
    const sink = new PassThrough({ highWaterMark: 4 });
    let resolved = false;
    const pending = writeWithBackpressure(sink, 'more than four bytes').then((ok) => {
      resolved = true;
      return ok;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    sink.resume();
    expect(await pending).toBe(true);
    const closing = new PassThrough({ highWaterMark: 1 });
    const lost = writeWithBackpressure(closing, 'xx');
    closing.destroy();
    expect(await lost).toBe(false);
    expect(await writeWithBackpressure(closing, 'x')).toBe(false);
  });

  it('stops pulling output once the client is gone', async () => {
    let pulled = 0;
    async function* output() {
      for (;;) {
        pulled++;
        yield { stream: 'stdout' as const, data: Buffer.from('x') };
      }
    }
    let writes = 0;
    const out = { write: async () => ++writes < 3, end: () => {} };
    await pumpOutput(out, output(), false);
    expect([writes, pulled]).toEqual([3, 3]);
  });

  it('writes a producer error in-band: a system-error frame, or a plain line on a TTY', async () => {
    async function* failing() {
      yield { stream: 'stdout' as const, data: Buffer.from('ok') };
      throw new Error('log file vanished');
    }
    const chunks: Buffer[] = [];
    const out = { write: async (d: Buffer | string) => chunks.push(Buffer.from(d)) > 0, end: () => {} };
    await pumpOutput(out, failing(), false);
    expect(chunks.map((c) => [c[0], c.subarray(8).toString()])).toEqual([
      [1, 'ok'],
      [3, 'log file vanished\r\n'],
    ]);
    chunks.length = 0;
    await pumpOutput(out, failing(), true);
    expect(chunks.map(String)).toEqual(['ok', 'log file vanished\r\n']);
  });
});

describe('router', () => {
  const noop = async () => {};
  const router = new Router([
    { method: 'GET', path: '/images/json', handler: noop },
    { method: 'GET', path: '/images/{name*}/json', handler: noop },
    { method: 'DELETE', path: '/images/{name*}', handler: noop },
    { method: 'GET', path: '/containers/{id}/json', handler: noop },
  ]);

  it('matches single segments, greedy rests, and decodes params', () => {
    expect(router.match('GET', '/images/json')?.route.path).toBe('/images/json');
    expect(router.match('GET', '/images/reg.io:5000/team/app:2/json')?.params).toEqual({ name: 'reg.io:5000/team/app:2' });
    expect(router.match('DELETE', '/images/sha256%3Aabc')?.params).toEqual({ name: 'sha256:abc' });
    expect(router.match('GET', '/containers/a%20b/json')?.params).toEqual({ id: 'a b' });
    expect(router.match('GET', '/containers/a/b/json')).toBeUndefined();
    expect(router.match('POST', '/images/json')).toBeUndefined();
  });
});


describe('first-request sniffing', () => {
  const b = (s: string) => Buffer.from(s);

  it('keeps only non-upgrade attach and exec start requests, with the bytes after the head', () => {
    const r = classifyFirstRequest(b('POST /v1.41/exec/abc/start HTTP/1.1\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}stdin'));
    expect(r).toEqual({
      kind: 'raw',
      head: { method: 'POST', url: '/v1.41/exec/abc/start', headers: { 'content-length': '2', 'x-a': 'b' } },
      rest: b('{}stdin'),
    });
    expect(classifyFirstRequest(b('POST /containers/x/attach?stdin=1 HTTP/1.1\r\n\r\n')).kind).toBe('raw');
  });

  it('hands everything else to node:http, and asks for more only while it cannot tell', () => {
    expect(classifyFirstRequest(b('GET /containers/json HTTP/1.1\r\n\r\n')).kind).toBe('http');
    expect(classifyFirstRequest(b('POST /containers/x/attach HTTP/1.1\r\nUpgrade: tcp\r\n\r\n')).kind).toBe('http');
    expect(classifyFirstRequest(b('POST /exec/x/start HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n')).kind).toBe('http');
    expect(classifyFirstRequest(b('POST /containers/x/attach/ws HTTP/1.1\r\n\r\n')).kind).toBe('http');
    expect(classifyFirstRequest(b('POST /exec/x/sta')).kind).toBe('more');
    expect(classifyFirstRequest(b('POST /exec/x/start HTTP/1.1\r\nHost: a')).kind).toBe('more');
    expect(classifyFirstRequest(b('GET /x HTTP/1.1')).kind).toBe('more');
    expect(classifyFirstRequest(Buffer.alloc(70 * 1024, 'a')).kind).toBe('http');
  });
});
