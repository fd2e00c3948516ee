// bin/berth.js runs the one-file CLI bundle (scripts/build-cli-bundle.mjs) with its V8 code cache.
// These tests build the bundle into a copy of dist/ and check that it behaves exactly as the ESM
// modules it was made from, that it is what the launcher runs, that a stale bundle is not run,
// and that every module in it still finds files relative to its own place in dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../corpus.js';
import { file, requirePrereq } from '../support/gates.js';

const builtDist = path.join(repoRoot, 'dist');
const skip = requirePrereq(
  'launcher-bundle tests',
  file('a built dist/', existsSync(path.join(builtDist, 'cli', 'main.js')) && existsSync(path.join(builtDist, 'schemas', 'validators.cjs')), 'npm ci or npm run build'),
);

let pkg: string;

/** A package tree of its own: bin/ and dist/ copied, schemas/ and node_modules/ linked. */
function makePackage(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-launcher-'));
  cpSync(path.join(repoRoot, 'bin'), path.join(dir, 'bin'), { recursive: true });
  cpSync(builtDist, path.join(dir, 'dist'), { recursive: true, filter: (src) => !/berth\.cjs/.test(src) });
  symlinkSync(path.join(repoRoot, 'schemas'), path.join(dir, 'schemas'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function berth(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'berth.js'), ...args], {
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...opts.env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const STACK = [
  'name: shop',
  'services:',
  '  web:',
  '    image: "nginx:${TAG:-1.27}"',
  '    ports: ["8080:80"]',
  '    depends_on: {db: {condition: service_healthy}}',
  '  db:',
  '    image: postgres',
  '    healthcheck: {test: ["CMD", "pg_isready"], interval: 2s}',
  '    volumes: [data:/var/lib/postgresql/data]',
  'volumes: {data: {}}',
  '',
].join('\n');

// Invalid in two ways the fast paths do not take: a flow collection the YAML subset parser hands
// to the `yaml` package, and schema errors that compile Ajv to explain them.
const BAD_YAML = 'services:\n  a: {image: [1}\n';
const BAD_SCHEMA = 'services:\n  a:\n    image: x\n    ports: 12\n    bogus: 1\n';

describe.skipIf(skip)('bin/berth.js and the CLI bundle', () => {
  beforeAll(() => {
    pkg = makePackage();
    const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-cli-bundle.mjs'), path.join(pkg, 'dist')], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    // The warm-up that fills the code cache ran every command it runs (it only warns when not).
    expect(build.stderr).not.toMatch(/warm-up/);
    writeFileSync(path.join(pkg, 'compose.yaml'), STACK);
    writeFileSync(path.join(pkg, 'bad-yaml.yaml'), BAD_YAML);
    writeFileSync(path.join(pkg, 'bad-schema.yaml'), BAD_SCHEMA);
  }, 120_000);
  afterAll(() => {
    if (pkg) rmSync(pkg, { recursive: true, force: true });
  });

  it('writes the bundle and a code cache V8 accepts for it', () => {
    const cli = path.join(pkg, 'dist', 'cli');
    expect(existsSync(path.join(cli, 'berth.cjs'))).toBe(true);
    expect(readFileSync(path.join(cli, 'berth.cjs.cache')).length).toBeGreaterThan(10_000);
    const probe = `import { compileBundle } from ${JSON.stringify(path.join(pkg, 'bin', 'bundle-loader.js'))};
      import { readFileSync } from 'node:fs';
      const f = ${JSON.stringify(path.join(cli, 'berth.cjs'))};
      const r = compileBundle(f, readFileSync(f + '.cache'));
      console.log(JSON.stringify({ rejected: r.cacheRejected, main: typeof r.exports.main }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ rejected: false, main: 'function' });
  });

  it('prints what the ESM modules print, for valid and invalid stacks', () => {
    const cases: { args: string[]; input?: string }[] = [
      { args: ['config'] },
      { args: ['config', '--format', 'json'] },
      { args: ['config', '--hash', '*'] },
      { args: ['config', '--services'] },
      { args: ['graph'] },
      { args: ['-f', '-', 'config', '-q'], input: STACK },
      { args: ['-f', 'bad-yaml.yaml', 'config'] },
      { args: ['-f', 'bad-schema.yaml', 'config'] },
      { args: ['--version'] },
      { args: ['--help'] },
      { args: ['up', '--bogus-flag'] },
    ];
    for (const c of cases) {
      const viaBundle = berth(c.args, { cwd: pkg, input: c.input });
      const viaModules = berth(c.args, { cwd: pkg, input: c.input, env: { BERTH_NO_BUNDLE: '1' } });
      expect(viaBundle, c.args.join(' ')).toEqual(viaModules);
    }
    expect(berth(['-f', 'bad-schema.yaml', 'config'], { cwd: pkg }).err).toMatch(/bad-schema\.yaml:5:5: services\.a: unknown key "bogus"/);
  });

  it('keeps each bundled module\'s import.meta.url at its file in dist/', () => {
    const bundle = readFileSync(path.join(pkg, 'dist', 'cli', 'berth.cjs'), 'utf8');
    expect(bundle).not.toMatch(/import\.meta/);
    const rels = [...bundle.matchAll(/__berthModuleUrl\("([^"]+)"\)/g)].map((m) => m[1]);
    // Those that locate schemas, the precompiled validators, the launcher and the native helpers (shim, spawner, berth-netns).
    expect(rels).toEqual(expect.arrayContaining(['../loader/validate-schema.js', '../client/engine-launcher.js', '../engine/runtime/native-binaries.js']));
    for (const rel of rels) expect(existsSync(path.join(pkg, 'dist', 'cli', rel)), rel).toBe(true);
  });

  it('is what the launcher runs, and is not run once tsc rebuilt dist/ after it', () => {
    // Without the loader's modules, only the bundle can still load a stack.
    const loader = path.join(pkg, 'dist', 'loader', 'loader.js');
    const saved = readFileSync(loader);
    rmSync(loader);
    try {
      const fresh = berth(['config', '--services'], { cwd: pkg });
      expect(fresh).toMatchObject({ code: 0, out: 'db\nweb\n' });
      // main.js newer than the bundle: the bundle is stale, the launcher takes the modules.
      const later = new Date(Date.now() + 60_000);
      utimesSync(path.join(pkg, 'dist', 'cli', 'main.js'), later, later);
      const stale = berth(['config', '--services'], { cwd: pkg });
      expect(stale.code).not.toBe(0);
      expect(stale.err).toMatch(/loader\/loader\.js/);
    } finally {
      writeFileSync(loader, saved);
    }
    expect(berth(['config', '--services'], { cwd: pkg })).toMatchObject({ code: 0, out: 'db\nweb\n' });
  });
});
