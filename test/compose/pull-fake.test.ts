// Images on the compose side against the in-memory fake engine (with a fake registry): `up` pulls
// what is missing before it creates anything, one pull per image, in parallel; pull policies and
// --pull; `berth pull` and `berth push` with their flags; `config --resolve-image-digests` and
// `--lock-image-digests`; `berth images` with digests. Real registries are in
// test/engine/images-*.test.ts and the compose tests on the built-in engine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { plainReporter, ProgressTracker } from '../../src/apply/progress.js';
import { converge } from '../../src/compose/converge.js';
import { pullServices, pushServices, pullSteps, resolveImageDigests } from '../../src/compose/pull.js';
import { formatImages } from '../../src/cli/format.js';
import { imagesOf } from '../../src/compose/views.js';
import { loadProject } from '../../src/loader/loader.js';
import type { Project } from '../../src/model/project.js';
import { FakeEngine } from '../support/fake-engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(yaml: string): Project {
  const dir = mkdtempSync('/tmp/berth-pf-');
  dirs.push(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), yaml);
  return loadProject({ workingDir: dir, environment: {}, projectName: 'app' }).project;
}

const STACK = `
services:
  db: { image: "postgres:16" }
  api: { image: "r.example/team/api:1", depends_on: [db] }
  worker: { image: "r.example/team/api:1", command: ["work"] }
  tool: { image: "busybox", pull_policy: never }
`;

function tracked(): { progress: ProgressTracker; lines: string[] } {
  const lines: string[] = [];
  return { progress: new ProgressTracker(plainReporter((t) => lines.push(t.trimEnd())), () => 0), lines };
}

describe('up pulls before it creates', () => {
  it('pulls each missing image once, before the first create, then creates from what it pulled', async () => {
    const fake = new FakeEngine({ images: ['busybox'], registry: { 'postgres:16': 'a', 'r.example/team/api:1': 'b' } });
    const { progress, lines } = tracked();
    const { plan, applied } = await converge({ port: fake, project: project(STACK), progress }, {});
    expect(applied).toBeDefined();
    const ops = fake.calls.map((c) => `${c.op} ${c.target ?? ''}`.trim());
    const pulls = ops.filter((o) => o.startsWith('image.pull'));
    expect(pulls.sort()).toEqual(['image.pull postgres:16', 'image.pull r.example/team/api:1']);
    expect(ops.findIndex((o) => o.startsWith('container.create'))).toBeGreaterThan(Math.max(...pulls.map((p) => ops.indexOf(p))));
    expect(lines).toContain('Image postgres:16  Pulling');
    expect(lines.some((l) => /^Image postgres:16  Pulled \(/.test(l))).toBe(true);
    expect(lines.some((l) => /^Image r\.example\/team\/api:1  Pulled \(sha256:/.test(l))).toBe(true);
    // The plan that ran is the one made after the pulls: its containers carry the pulled ids.
    expect(plan.pulls).toEqual([]);
    expect(fake.container('app-api-1')?.body.Image).toBe('r.example/team/api:1');
  });

  it('names the image, its services and what the registry said when a pull fails; nothing is created', async () => {
    const fake = new FakeEngine({ images: ['busybox'], registry: { 'postgres:16': 'a' } });
    const { progress } = tracked();
    await expect(converge({ port: fake, project: project(STACK), progress }, {})).rejects.toThrow(
      /pull of r\.example\/team\/api:1 \(for api, worker\) failed: .*manifest for r\.example\/team\/api:1 not found: manifest unknown/,
    );
    expect(fake.calls.some((c) => c.op === 'container.create')).toBe(false);
  });

  it('--pull always pulls what is there; a changed image recreates its containers; --pull never refuses a missing one', async () => {
    // --pull always overrides every pull_policy, tool's `never` too.
    const fake = new FakeEngine({ images: ['busybox'], registry: { 'postgres:16': 'a', 'r.example/team/api:1': 'b', 'busybox:latest': 'x' } });
    const p = project(STACK);
    await converge({ port: fake, project: p, progress: tracked().progress }, {});
    fake.registry['r.example/team/api:1'] = 'c';
    const { plan } = await converge({ port: fake, project: p, progress: tracked().progress }, { pull: 'always' });
    const causes = plan.units.flatMap((u) => u.steps.map((s) => `${s.name}: ${s.action} (${s.cause})`));
    expect(causes).toContain('app-api-1: recreate (image changed)');
    expect(causes).toContain('app-db-1: noop (up to date)');
    const bare = new FakeEngine({ images: [], registry: {} });
    await expect(converge({ port: bare, project: project('services:\n  a: { image: x }\n'), progress: tracked().progress }, { pull: 'never' })).rejects.toThrow(/image x for service "a" is not on the engine, and its pull policy is never/);
  });
});

describe('berth pull and push', () => {
  it('pull: each image once; never and built services skipped and said so; --ignore-pull-failures goes on', async () => {
    const p = project(`${STACK}  built: { build: . }\n  gone: { image: "r.example/nope:1" }\n`);
    expect(pullSteps(p, []).skipped).toEqual([
      { service: 'built', why: 'it is built, not pulled (no image: key)' },
      { service: 'tool', why: 'its pull_policy is never' },
    ]);
    const fake = new FakeEngine({ registry: { 'postgres:16': 'a', 'r.example/team/api:1': 'b' } });
    const { progress, lines } = tracked();
    const failures = await pullServices({ port: fake, project: p, progress, ignoreFailures: true }, []);
    expect(failures.map((f) => [f.image, f.services])).toEqual([['r.example/nope:1', ['gone']]]);
    expect(lines.some((l) => l.startsWith('Image built  Skipped (it is built, not pulled (no image: key))'))).toBe(true);
    expect(fake.calls.filter((c) => c.op === 'image.pull').map((c) => c.target).sort()).toEqual(['postgres:16', 'r.example/nope:1', 'r.example/team/api:1']);
    await expect(pullServices({ port: fake, project: p, progress }, ['gone'])).rejects.toThrow(/pull of r\.example\/nope:1 \(for gone\) failed/);
  });

  it('push: the services that name an image, each image once', async () => {
    const fake = new FakeEngine({ images: ['r.example/team/api:1', 'postgres:16', 'busybox'] });
    await pushServices({ port: fake, project: project(STACK), progress: tracked().progress }, ['api', 'worker']);
    expect([...fake.pushed.keys()]).toEqual(['r.example/team/api:1']);
  });
});

describe('digests', () => {
  it('config --resolve-image-digests pins each image; pinned ones stay as they are', async () => {
    const fake = new FakeEngine({ registry: { 'postgres:16': 'a', 'r.example/team/api:1': 'b', 'busybox:latest': 'c' } });
    const pinned = await resolveImageDigests(fake, project(`${STACK}  fixed: { image: "x@sha256:${'1'.repeat(64)}" }\n`));
    expect(pinned.api).toMatch(/^r\.example\/team\/api:1@sha256:[0-9a-f]{64}$/);
    expect(pinned.worker).toBe(pinned.api);
    expect(pinned.fixed).toBe(`x@sha256:${'1'.repeat(64)}`);
    expect(fake.calls.filter((c) => c.op === 'image.distribution')).toHaveLength(3);
    await expect(resolveImageDigests(new FakeEngine(), project('services:\n  a: { image: nope }\n'))).rejects.toThrow(/services.a.image: cannot resolve nope to a digest/);
  });

  it('berth images shows the registry digest and the size', async () => {
    const fake = new FakeEngine({ registry: { 'postgres:16': 'a' } });
    await converge({ port: fake, project: project('services:\n  db: { image: "postgres:16" }\n'), progress: tracked().progress }, {});
    const rows = await imagesOf({ port: fake, name: 'app' }, []);
    expect(rows).toEqual([expect.objectContaining({ ContainerName: 'app-db-1', Repository: 'postgres', Tag: '16', Digest: expect.stringMatching(/^sha256:/) })]);
    expect(formatImages(rows).split('\n')[0]).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+SIZE$/);
  });
});
