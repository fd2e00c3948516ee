// The V8 code cache of the precompiled validators (src/loader/code-cache.ts): a pure speed-up. The
// cache the build writes is one V8 takes, the module it loads is the one require would give, and
// a cache older than its file (an earlier build's) is not used.
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCacheFile, codeCacheUse, requireWithCodeCache, writeCodeCache } from '../../src/loader/code-cache.js';
import * as schemaModule from '../../src/loader/validate-schema.js';
import { repoRoot } from '../corpus.js';

const require = createRequire(import.meta.url);
type Generated = { fingerprint: string; load(r: NodeJS.Require): { compose: (d: unknown) => boolean } };

let dir: string;
let built: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-code-cache-'));
  const script = pathToFileURL(path.join(repoRoot, 'scripts', 'build-schemas.mjs')).href;
  const { buildSchemaValidators } = (await import(script)) as { buildSchemaValidators(m: typeof schemaModule, out: string): string };
  built = buildSchemaValidators(schemaModule, dir);
  // Load, run what a stack reaches, and write the cache, as the build does.
  (requireWithCodeCache(built, require) as Generated).load(require).compose({ services: { a: { image: 'x', ports: ['80'] } } });
  writeCodeCache(built);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The built file and its cache under a new name: this process has not loaded it yet. */
function copyAs(name: string, cacheAge: 'newer' | 'older'): string {
  const file = path.join(dir, name);
  copyFileSync(built, file);
  copyFileSync(codeCacheFile(built), codeCacheFile(file));
  const now = Date.now() / 1000;
  utimesSync(file, now, now);
  const t = cacheAge === 'newer' ? now + 10 : now - 10;
  utimesSync(codeCacheFile(file), t, t);
  return file;
}

describe('code cache of the precompiled validators', () => {
  it('is taken by V8, and gives the module require gives', () => {
    const file = copyAs('fresh.cjs', 'newer');
    const viaCache = requireWithCodeCache(file, require) as Generated;
    expect(codeCacheUse(file)).toBe('accepted');
    const viaRequire = require(built) as Generated;
    expect(viaCache.fingerprint).toBe(viaRequire.fingerprint);
    const models = [{ services: { a: { image: 'x' } } }, { services: { a: { image: 1 } } }, { services: { a: { ports: 12 } } }, { nope: true }];
    const [a, b] = [viaCache, viaRequire].map((m) => m.load(require).compose);
    for (const m of models) expect(a(m), JSON.stringify(m)).toBe(b(m));
    // Loaded once per process, as require does.
    expect(requireWithCodeCache(file, require)).toBe(viaCache);
  });

  it('is not used when older than its file', () => {
    const file = copyAs('stale.cjs', 'older');
    (requireWithCodeCache(file, require) as Generated).load(require);
    expect(codeCacheUse(file)).toBe('none');
  });
});
