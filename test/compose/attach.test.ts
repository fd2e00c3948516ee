// attach's own parts: the detach-key sequence (docker's spelling; a partial sequence is ordinary
// input), and what attachService does with the user's input and signals — detaching leaves the
// container's stdin open, signals go to the container unless --sig-proxy=false, which detaches.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AttachOptions, ContainerInspect, EnginePort, OutputChunk } from '../../src/client/engine-port.js';
import { attachService } from '../../src/compose/attach.js';
import { DetachFilter, parseDetachKeys } from '../../src/compose/detach-keys.js';
import { LABEL } from '../../src/observe/labels.js';

async function filtered(keys: string, input: string[]): Promise<{ out: string; detached: boolean; ended: boolean }> {
  const f = new DetachFilter(parseDetachKeys(keys));
  let out = '';
  let ended = false;
  let detached = false;
  f.on('data', (d: Buffer) => (out += d.toString('latin1')));
  f.on('end', () => (ended = true));
  f.on('detach', () => (detached = true));
  for (const chunk of input) f.write(Buffer.from(chunk, 'latin1'));
  await new Promise((r) => setImmediate(r));
  return { out, detached, ended };
}

describe('detach keys', () => {
  it('reads docker\'s spelling', () => {
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([16, 17]);
    expect(parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')).toEqual([0, 27, 28, 29, 30, 31]);
    expect(parseDetachKeys('a,ctrl-A')).toEqual([97, 1]);
    expect(() => parseDetachKeys('ctrl-1')).toThrow('--detach-keys ctrl-1: unknown key ctrl-1');
    expect(() => parseDetachKeys('esc')).toThrow(/each key is ctrl-<letter> or a single character/);
  });

  it('passes input through, holds a partial sequence and gives it back when it breaks off', async () => {
    expect(await filtered('ctrl-p,ctrl-q', ['ab\x10', 'c'])).toEqual({ out: 'ab\x10c', detached: false, ended: false });
    expect(await filtered('ctrl-p,ctrl-q', ['x\x10\x10\x11'])).toEqual({ out: 'x\x10', detached: true, ended: false });
  });

  it('detaches across chunks, passes nothing after, and does not end', async () => {
    expect(await filtered('ctrl-p,ctrl-q', ['hi\x10', '\x11', 'more'])).toEqual({ out: 'hi', detached: true, ended: false });
  });
});

/** A running container `app-web-1` whose attach stream stays open until aborted; records kills and the stdin it got. */
function engine() {
  const kills: string[] = [];
  let attachedStdin: Readable | undefined;
  const inspect = { State: { Running: true }, Config: { Tty: false, OpenStdin: true } } as unknown as ContainerInspect;
  const port = {
    containers: {
      list: async () => [{ Id: 'c1', Names: ['/app-web-1'], Image: 'busybox', ImageID: 'sha256:1', Command: 'cat', Created: 0, State: 'running', Status: 'Up', Ports: [], Labels: { [LABEL.project]: 'app', [LABEL.service]: 'web', [LABEL.containerNumber]: '1', [LABEL.oneoff]: 'False' }, Mounts: [], NetworkSettings: { Networks: {} }, HostConfig: {} }],
      inspect: async () => inspect,
      kill: async (_id: string, signal?: string) => void kills.push(signal ?? ''),
      wait: async () => ({ StatusCode: 0 }),
      attach: async (_id: string, o: AttachOptions): Promise<AsyncIterable<OutputChunk>> => {
        attachedStdin = o.stdin;
        return (async function* () {
          await new Promise((r) => o.signal?.addEventListener('abort', r));
        })();
      },
    },
  } as unknown as EnginePort;
  return { port, kills, stdin: () => attachedStdin };
}

describe('attachService', () => {
  const output = { stdout: () => undefined, stderr: () => undefined };

  it('detaching leaves the container\'s input open, even when the user\'s input then ends', async () => {
    const e = engine();
    const user = new PassThrough();
    const attaching = attachService({ port: e.port, name: 'app' }, 'web', { sigProxy: true, detachKeys: [16, 17] }, () => ({ stdin: user, output }));
    await new Promise((r) => setTimeout(r, 10));
    let ended = false;
    e.stdin()?.on('end', () => (ended = true));
    e.stdin()?.resume();
    user.write('ls\n\x10\x11');
    user.end();
    expect(await attaching).toEqual({ container: 'app-web-1' });
    await new Promise((r) => setTimeout(r, 10));
    expect(ended).toBe(false);
  });

  it('proxies SIGINT/SIGTERM to the container; with sigProxy false an interrupt detaches', async () => {
    let interrupt: ((s?: NodeJS.Signals) => void) | undefined;
    const onInterrupt = (h: (s?: NodeJS.Signals) => void) => ((interrupt = h), () => undefined);
    const proxied = engine();
    const a = attachService({ port: proxied.port, name: 'app' }, 'web', { sigProxy: true, detachKeys: [16, 17], onInterrupt }, () => ({ output }));
    await new Promise((r) => setTimeout(r, 10));
    interrupt?.('SIGTERM');
    interrupt?.('SIGINT');
    await new Promise((r) => setTimeout(r, 10));
    expect(proxied.kills).toEqual(['SIGTERM', 'SIGINT']);
    const plain = engine();
    const b = attachService({ port: plain.port, name: 'app' }, 'web', { sigProxy: false, detachKeys: [16, 17], onInterrupt }, () => ({ output }));
    await new Promise((r) => setTimeout(r, 10));
    interrupt?.('SIGINT');
    expect(await b).toEqual({ container: 'app-web-1' });
    expect(plain.kills).toEqual([]);
    void a;
  });
});
