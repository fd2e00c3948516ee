// Images made and moved by tools we did not write: an OCI layout built with umoci, pushed with
// skopeo (as OCI and as Docker schema 2), pulled and verified by our client; and the reverse,
// an image our client pushed, copied out by skopeo, which checks every digest on its own.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchLayer, MediaType, pushImage, RegistryClient, resolveImage, staticCredentials } from '../../../src/engine/distribution/index.js';
import { makeImage, pushSources, readAll } from '../../support/images.js';
import { haveTools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const ready = haveTools('registry interoperability tests', ['docker-registry', 'skopeo', 'umoci', 'zstd']);

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * The regular files of a tar. umoci 0.4.7 (Debian) writes layers without the final padding and
 * end-of-archive blocks (GNU tar says "Unexpected EOF" too), so the tar is completed here first;
 * the bytes we verified are the bytes umoci hashed.
 */
async function tarFiles(raw: Buffer): Promise<Record<string, string>> {
  const tar = Buffer.concat([raw, Buffer.alloc((512 - (raw.length % 512)) % 512), Buffer.alloc(1024)]);
  const out: Record<string, string> = {};
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') out[header.name.replace(/^\.\//, '')] = Buffer.concat(chunks).toString('utf8');
        next();
      });
      stream.resume();
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  Readable.from([tar]).pipe(x);
  await done;
  return out;
}

describe.skipIf(!ready)('interoperability with umoci and skopeo', () => {
  let registry: TestRegistry;
  let dir: string;
  const client = (): RegistryClient => new RegistryClient({ credentials: staticCredentials({}) });

  beforeAll(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(path.join(tmpdir(), 'berth-outside-'));
    run('umoci', ['init', '--layout', 'layout'], dir);
    run('umoci', ['new', '--image', 'layout:v1'], dir);
    for (const [i, text] of ['first layer\n', 'second layer\n'].entries()) {
      const src = path.join(dir, `src${i}`);
      mkdirSync(src);
      writeFileSync(path.join(src, `file${i}`), text);
      run('umoci', ['insert', '--image', 'layout:v1', src, `/data${i}`], dir);
    }
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The umoci image's config, read from its OCI layout. */
  const layoutConfig = (): { rootfs: { diff_ids: string[] } } => {
    const index = JSON.parse(readFileSync(path.join(dir, 'layout/index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const blob = (d: string): string => readFileSync(path.join(dir, 'layout/blobs/sha256', d.slice('sha256:'.length)), 'utf8');
    const manifest = JSON.parse(blob(index.manifests[0].digest)) as { config: { digest: string } };
    return JSON.parse(blob(manifest.config.digest)) as { rootfs: { diff_ids: string[] } };
  };

  for (const format of ['oci', 'v2s2'] as const) {
    it(`pulls an umoci image pushed by skopeo (${format})`, async () => {
      run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--format', format, 'oci:layout:v1', `docker://${registry.host}/outside/umoci:${format}`], dir);
      const c = client();
      const image = await resolveImage(c, `${registry.host}/outside/umoci:${format}`);
      expect(image.manifestMediaType).toBe(format === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest);
      expect(image.layers.map((l) => l.diffId)).toEqual(layoutConfig().rootfs.diff_ids);
      const files: Record<string, string> = {};
      for (const layer of image.layers) {
        const fetched = fetchLayer(c, image, layer);
        Object.assign(files, await tarFiles(await readAll(fetched.stream)));
        await fetched.done;
      }
      expect(files['data0/file0']).toBe('first layer\n');
      expect(files['data1/file1']).toBe('second layer\n');
    });
  }

  it('pushes an image (gzip and zstd layers) that skopeo copies out and verifies', async () => {
    const image = await makeImage([
      { files: { 'a/gz': 'gzip\n' }, compression: 'gzip' },
      { files: { 'b/zst': 'zstd\n' }, compression: 'zstd' },
    ]);
    const pushed = await pushImage(client(), `${registry.host}/outside/ours:1`, { config: { data: image.config }, layers: pushSources(image) });
    const out = path.join(dir, 'copied');
    run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${registry.host}/outside/ours:1`, `oci:${out}:1`]);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests[0].digest).toBe(pushed.digest);
    const inspect = JSON.parse(run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/outside/ours:1`])) as { Digest: string; Layers: string[] };
    expect(inspect.Digest).toBe(pushed.digest);
    expect(inspect.Layers).toEqual(image.layers.map((l) => l.digest));
  });
});
