// Build step (after tsc and build-schemas): bundle the CLI into one CommonJS file,
// dist/cli/berth.cjs, and make the V8 code cache bin/berth.js loads it with (berth.cjs.cache).
// Generated output, never committed; bin/berth.js falls back to dist/cli/main.js without it.
//
//   node scripts/build-cli-bundle.mjs [distDir]     (default: this repo's dist/)
//
// Every bundled module keeps its own import.meta.url: it is rewritten to the URL of that module's
// file in dist/ (which tsc wrote and which stays there), so the paths modules find relative to
// themselves — schemas/, dist/schemas/validators.cjs, dist/native/berth-shim, bin/berth.js —
// are the same in the bundle as in dist/.
//
// Packages the code loads lazily through require (yaml, ajv, dockerode) or only for one command
// (chokidar) stay external: bundling them would only make the file every start parses bigger.
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundlePaths, compileBundle } from '../bin/bundle-loader.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.resolve(process.argv[2] ?? path.join(repoRoot, 'dist'));
const distCli = path.join(distDir, 'cli');
const paths = bundlePaths(distCli);
const EXTERNAL = ['yaml', 'ajv', 'ajv/*', 'ajv-formats', 'dockerode', 'chokidar'];

/** The helper the rewritten import.meta.url calls: a dist-relative path → that file's URL. */
const MODULE_URL_HELPER = "const __berthModuleUrl = (rel) => require('node:url').pathToFileURL(require('node:path').join(__dirname, rel)).href;";

const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(distDir + path.sep) || !text.includes('import.meta')) return undefined;
      const rel = path.relative(distCli, args.path);
      if (/import\.meta(?!\.url)/.test(text)) throw new Error(`${args.path}: uses import.meta beyond .url, which the bundle does not carry`);
      return { contents: text.replaceAll('import.meta.url', `__berthModuleUrl(${JSON.stringify(rel)})`), loader: 'js' };
    });
  },
};

// Written by hand (write: false), aside and then renamed, so a CLI starting during a rebuild
// reads the old bundle or the new one.
const { outputFiles } = await build({
  entryPoints: [paths.main],
  outfile: paths.bundle,
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: EXTERNAL,
  plugins: [keepModuleUrls],
  banner: { js: MODULE_URL_HELPER },
  // Whitespace and comments dropped: half the bytes to read and hash at every start (~5 ms).
  minifyWhitespace: true,
  // berth.cjs.map, chained through tsc's maps of dist/ to src/: with BERTH_DEBUG=1 the launcher
  // loads the bundle as a module Node maps, so a trace names src/ files (bundle-loader.js).
  // Without the sources' text: only names and positions are needed.
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
for (const out of outputFiles) {
  const partial = `${out.path}.tmp.${process.pid}`;
  await writeFile(partial, out.contents);
  await rename(partial, out.path);
}

// Warm-up: load and validate a stack (the loader is what every project command runs) and build
// the program, so those functions are compiled and land in the cache, not only the top level.
const WARMUP_STACK = [
  'name: warmup',
  'services:',
  '  db:',
  '    image: postgres:16',
  '    environment: { POSTGRES_PASSWORD: example }',
  '    volumes: ["data:/var/lib/postgresql/data"]',
  '    healthcheck: { test: ["CMD", "pg_isready"], interval: 2s }',
  '  app:',
  '    image: busybox:latest',
  '    command: ["sh", "-c", "sleep 1"]',
  '    ports: ["8080:80"]',
  '    depends_on: { db: { condition: service_healthy } }',
  '    networks: [front, back]',
  'networks: { front: {}, back: {} }',
  'volumes: { data: {} }',
  '',
].join('\n');
/**
 * What the project commands ask an engine before they change anything, answered for an empty
 * engine: the warm-up's `up --dry-run` and `ps` then run engine selection, the HTTP client, state
 * gathering and planning, whose compiled code is most of what a no-op `up` would otherwise compile
 * at every start (~20 ms). Served on a unix socket in a temp dir, for this process only.
 */
async function withWarmupEngine(fn) {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-bundle-warmup-'));
  const socket = path.join(dir, 'engine.sock');
  const answers = [
    [/\/_ping$/, 'OK'],
    [/\/version$/, { Version: '0.0.0', ApiVersion: '1.45', Os: 'linux', Arch: process.arch, Platform: { Name: 'berth build warm-up' } }],
    [/\/containers\/json$/, []],
    [/\/networks$/, []],
    [/\/volumes$/, { Volumes: [], Warnings: [] }],
    [/\/images\/.+\/json$/, { Id: `sha256:${'0'.repeat(64)}`, RepoTags: [], Config: {} }],
  ];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const answer = req.method === 'GET' ? answers.find(([re]) => re.test(url.pathname))?.[1] : undefined;
    if (answer === undefined) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"not served by the build warm-up"}');
    res.writeHead(200, { 'Content-Type': typeof answer === 'string' ? 'text/plain' : 'application/json' }).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(socket, resolve));
  try {
    return await fn(`unix://${socket}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

const { script, exports } = compileBundle(paths.bundle);
const sink = () => undefined;
const io = (env) => ({ stdout: sink, stderr: sink, env, cwd: repoRoot, readStdin: () => WARMUP_STACK, isTTY: false });
for (const args of [['config', '-q'], ['config', '--format', 'json'], ['config', '--hash', '*']]) {
  const code = await exports.main(['node', 'berth', '-f', '-', ...args], io({}));
  if (code !== 0) throw new Error(`bundle warm-up: berth ${args.join(' ')} exited ${code}`);
}
// A failure here costs only speed (what it would have compiled is compiled at run time), so it
// warns instead of failing the build.
await withWarmupEngine(async (dockerHost) => {
  for (const args of [['up', '-d', '--dry-run', '--progress', 'quiet'], ['ps']]) {
    let said = '';
    const code = await exports.main(['node', 'berth', '-f', '-', ...args], { ...io({ DOCKER_HOST: dockerHost }), stderr: (t) => (said += t) });
    if (code !== 0) console.warn(`build-cli-bundle: warm-up \`berth ${args.join(' ')}\` exited ${code} (the cache covers less): ${said.trim()}`);
  }
});
const cacheTmp = `${paths.cache}.tmp.${process.pid}`;
await writeFile(cacheTmp, script.createCachedData());
await rename(cacheTmp, paths.cache);
