// Fault: the engine's state root is full. The engine lives on a small tmpfs made by the test;
// once it is filled up, creating a container, importing an image and creating a volume fail with
// an error that names ENOSPC and says what to do (free space in the root), the daemon keeps
// answering, and once space is freed a restarted engine loads every record it had (state files are
// written atomically: src/lib/atomic.ts) and works again.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, rmdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecords } from '../../../src/engine/container/record.js';
import { ImageStore } from '../../../src/engine/images/store.js';
import { NetworkStore } from '../../../src/engine/networks/store.js';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { busyboxTar, startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';

const skip = requirePrereq('fault: state root full', engineHost());

/** Runs an import through the API and returns its outcome: the error the stream or the answer carried, if any. */
async function importImage(docker: Docker, tar: Buffer, repo: string): Promise<string | undefined> {
  try {
    const progress = (await docker.importImage(Readable.from([tar]) as never, { repo, tag: 'latest' })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));
    return undefined;
  } catch (e) {
    return (e as { json?: { message?: string } }).json?.message ?? (e as Error).message;
  }
}

describe.skipIf(skip)('fault: the state root is full', () => {
  let mount: string;
  let engine: TestEngine;
  let docker: Docker;
  let tar: Buffer;

  beforeAll(async () => {
    mount = mkdtempSync('/tmp/bd-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m,mode=0711', 'tmpfs', mount]);
    engine = await startTestEngine('full', { dir: mount });
    docker = new Docker({ socketPath: engine.socketPath });
    tar = await busyboxTar(engine.dir);
  }, 120_000);

  afterAll(async () => {
    try {
      await engine?.close();
    } finally {
      execFileSync('umount', [mount]);
      rmdirSync(mount);
    }
  }, 60_000);

  it('creating a container, importing an image and creating a volume fail with ENOSPC and what to do; the daemon keeps answering; every record loads afterwards', async () => {
    // State from before: a container that ran, a network and a volume.
    await docker.createNetwork({ Name: 'before' });
    await docker.createVolume({ Name: 'kept' });
    const before = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo hi'], HostConfig: { NetworkMode: 'before', Binds: ['kept:/data'] } });
    await before.start();
    expect((await before.wait()).StatusCode).toBe(0);

    // Fill the file system up, to the last block.
    const filler = path.join(mount, 'filler');
    const free = (): number => {
      const s = statfsSync(mount);
      return s.bavail * s.bsize;
    };
    execFileSync('fallocate', ['-l', String(free()), filler]);
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${path.join(mount, 'filler2')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // dd ends with ENOSPC: that is the point
    }
    expect(free()).toBe(0);

    const enospc = new RegExp(`no space left on device \\(ENOSPC\\).*${engine.root.replace(/[/.]/g, '\\$&')}.*free space`, 's');
    await expect(docker.createContainer({ Image: 'busybox', Cmd: ['true'] })).rejects.toMatchObject({ json: { message: expect.stringMatching(enospc) } });
    expect(await importImage(docker, tar, 'full')).toMatch(enospc);
    await expect(docker.createVolume({ Name: 'late' })).rejects.toMatchObject({ json: { message: expect.stringMatching(enospc) } });

    // The daemon keeps answering, and lists what it had.
    expect(String(await docker.ping())).toBe('OK');
    expect((await docker.listContainers({ all: true })).map((c) => c.Id)).toEqual([before.id]);
    const tags = async (): Promise<string[]> => (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(await tags()).toContain('busybox:latest');
    expect(await tags()).not.toContain('full:latest');
    expect((await docker.listVolumes()).Volumes?.map((v) => v.Name)).toEqual(['kept']);
    expect((await before.inspect()).State.Status).toBe('exited');

    // Space freed, the engine restarted: every state file loads, nothing half-made is there.
    rmSync(filler);
    rmSync(path.join(mount, 'filler2'), { force: true });
    await engine.restartDaemon();
    const records = await loadRecords(path.join(engine.root, 'records'));
    expect(records.broken).toEqual([]);
    expect(records.records.map((r) => r.id)).toEqual([before.id]);
    expect((await (await NetworkStore.open(path.join(engine.root, 'networks'))).load()).broken).toEqual([]);
    const store = await ImageStore.open({ root: path.join(engine.root, 'image') });
    expect(await store.check({ deep: true })).toEqual([]);
    expect(await tags()).not.toContain('full:latest');
    expect((await docker.listVolumes()).Volumes?.map((v) => v.Name)).toEqual(['kept']);

    // And it works again: what failed now succeeds.
    const after = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'cat /data/x 2>/dev/null; echo ok'], HostConfig: { NetworkMode: 'before', Binds: ['kept:/data'] } });
    await after.start();
    expect((await after.wait()).StatusCode).toBe(0);
    expect(await importImage(docker, tar, 'full')).toBeUndefined();
    await docker.createVolume({ Name: 'late' });
    await before.remove();
    await after.remove();
    await docker.getNetwork('before').remove();
  }, 90_000);
});
