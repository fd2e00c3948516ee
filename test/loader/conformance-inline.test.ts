// compose-go's inline-YAML loader tests (inline-yaml-cases.json, `loader/*_test.go` and
// `loader/tests/*_test.go`), replayed through berth's loadProject. Each input YAML is a whole
// compose file: it is written to disk the way the Go helper does (`filename0.yml` in a copy
// of compose-go's `loader/` directory, so `testdata/...` references resolve; `compose.yml` for
// loader/tests) and loaded with the test's environment. Where compose-go expects an error
// (paired with its YAML by line number), berth must fail and say the same thing, or the
// berth wording listed below for the same problem; otherwise berth must load the file.
// Every case where berth's outcome differs is listed with its reason.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/loader/loader.js';
import { corpusPath } from '../corpus.js';

interface InlineYaml {
  line: number;
  role: 'input' | 'expected' | 'other';
  context: string;
  yaml: string;
}

interface InlineCase {
  file: string;
  test: string;
  line: number;
  yamls: InlineYaml[];
  expectsError: boolean;
  errors: { line: number; errorContains?: string; error?: string }[];
  envLiterals: string[];
  loaderOptions: string[];
}

const casesFile = corpusPath('compose-go', 'inline-yaml-cases.json');
const loaderDir = corpusPath('compose-go', 'loader');

/** `loader/normalize_test.go` calls Normalize on a model, not the loader: see normalize-corpus.test.ts. */
const inScope = (c: InlineCase) =>
  /^loader\/([^/]+|tests\/[^/]+)_test\.go$/.test(c.file) && c.file !== 'loader/normalize_test.go';

const cases: InlineCase[] = casesFile
  ? (JSON.parse(readFileSync(casesFile, 'utf8')) as InlineCase[]).filter(inScope)
  : [];

/** Values the Go tests compute at run time, used where an env literal names a Go variable. */
const GO_VARIABLES: Record<string, string> = { home: '/home/user', projectName: 'my-project' };

/** The environment a test passes (`loadYAMLWithEnv`, `loadWithEnv`, `Environment: map…`): all its literals together. */
function environmentOf(c: InlineCase): Record<string, string> {
  const env: Record<string, string> = {};
  for (const literal of c.envLiterals) {
    for (const m of literal.matchAll(/"([^"]+)":\s*("([^"]*)"|([A-Za-z_][A-Za-z0-9_]*))/g)) {
      env[m[1]] = m[3] ?? GO_VARIABLES[m[4]] ?? '';
    }
  }
  return env;
}

/** The expected error of each input YAML: the first expectation between it and the next input. */
function pairErrors(c: InlineCase): { yaml: InlineYaml; index: number; error?: string }[] {
  const inputs = c.yamls.filter((y) => y.role === 'input');
  return inputs.map((yaml, index) => {
    const next = inputs[index + 1]?.line ?? Number.POSITIVE_INFINITY;
    const e = c.errors.find((x) => x.line > yaml.line && x.line < next);
    return { yaml, index, error: e?.errorContains ?? e?.error };
  });
}

type Outcome = { ok: true } | { ok: false; message: string };

/**
 * The same problem in berth's words, by `test#input`. berth's messages put the location
 * first (`file:line:column: key.path: detail`), write sequence indexes as `[0]` and say
 * "unknown key" / "missing required key" where the JSON-schema wording is
 * "additional properties" / "missing property".
 */
const BERTH_WORDING: Record<string, string> = {
  'TestDecodeErrors#0': 'filename0.yml:5:1: invalid YAML: Tabs are not allowed as indentation',
  'TestInvalidResource#0': 'services.foo.deploy.resources: unknown key "impossible"',
  'TestLoadTmpfsVolumeAdditionalPropertyNotAllowed#0': 'services.tmpfs.volumes[0]: unknown key "foo"',
  'TestLoadTmpfsVolumeSizeMustBeGTEQZero#0': 'services.tmpfs.volumes[0].tmpfs.size must be greater than or equal to 0',
  'TestLoadTmpfsVolumeSizeMustBeInteger#0': 'services.tmpfs.volumes[0].tmpfs.size must be an integer or string',
  'TestServiceDeviceRequestCapabilitiesMandatory#0': 'services.hello-world.deploy.resources.reservations.devices[0] missing required key "capabilities"',
  'TestInvalidProjectNameType#0': 'filename0.yml:1:1: name must be a string',
  'TestBadDevelopConfig#0': 'services.frontend.develop.watch[0] missing required key "action"',
  'TestDevelopMissingAction#0': 'services.web.develop.watch[0] missing required key "action"',
  'Test_DuplicateReset#0': 'filename0.yml:6:6: services.foo: invalid YAML: mapping key "command" already defined at line 5',
  'TestAliasBombPrevented#1': 'the document expands to more than 1000000 nodes through aliases',
  'TestAliasNodePreservation#0': 'the document expands to more than 1000000 nodes through aliases',
  // berth locates the conflicting key itself, so the key path goes one level deeper.
  'TestInvalidExternalAndDriverCombination#0': 'volumes.external_volume.driver: conflicting parameters "external" and "driver" specified',
  'TestInvalidExternalAndDirverOptsCombination#0': 'volumes.external_volume.driver_opts: conflicting parameters "external" and "driver_opts" specified',
  'TestInvalidExternalAndLabelsCombination#0': 'volumes.external_volume.labels: conflicting parameters "external" and "labels" specified',
  'TestMergeKeyAliasToScalarRejected#0': 'services.s1: a merge key (<<) takes a mapping or a sequence of mappings',
};

/**
 * Errors the Go test asserts in a way the extraction did not record as an expectation
 * (`assert.Check(t, err != nil)`, a table-driven `tt.errorMsg`), by `test#input`: compose-go's
 * error, and berth's wording of it.
 */
const UNRECORDED_ERRORS: Record<string, { composeGo: string; berth: string }> = {
  'TestV1Unsupported#0': { composeGo: '(any error: assert.Check(t, err != nil))', berth: 'unknown top-level key "foo"' },
  'TestResetCycle#5': { composeGo: 'cycle detected at path: x-healthcheck.egress-service', berth: 'x-healthcheck.egress-service: cycle detected: alias *healthcheck is used inside its own anchor' },
};

const CONSISTENCY =
  'the Go helper loads with SkipConsistencyCheck; berth always checks references, so the fragment fails on the resource it leaves out';
const REMOTE = 'the Go test registers a custom `remote:` ResourceLoader (a library API); berth reads files only, so `remote:x` is a missing path';

/**
 * Inputs whose berth outcome differs from compose-go's, by `test#input`, with the reason.
 * `outcome` is what berth does instead ('loads', or a substring of berth's error).
 */
const DIFFERENCES: Record<string, { reason: string; outcome: 'loads' | { error: string } }> = {
  'TestLoadVolumeSubpath#0': { reason: CONSISTENCY, outcome: { error: 'refers to undefined volume asdf' } },
  'TestLoadWithLabelFile#0': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestLoadLegacyBoolean#0': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestParseYAMLFilesMergeOverride#0': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestLoadWithInterpolationCastFull#0': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestOverrideVolume#1': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestEnvironmentWhitespace#0': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestModels#0': { reason: CONSISTENCY, outcome: { error: 'has neither an image nor a build context specified' } },
  'TestLoadWithDependsOn#0': { reason: CONSISTENCY, outcome: { error: 'depends on undefined service "bar"' } },
  'TestSecretFileModeNumber#0': { reason: CONSISTENCY, outcome: { error: 'refers to undefined secret server-certificate' } },
  'TestSecretFileModeString#0': { reason: CONSISTENCY, outcome: { error: 'refers to undefined secret server-certificate' } },
  'TestOverrideSelfExtends#0': {
    reason: 'deliberate semantic check (issue 2): depend_two extends depend_one and so publishes the same host port 8091; compose-go has no such check',
    outcome: { error: 'publishes host port 8091/tcp, already published by service "depend_one"' },
  },
  'TestLoadEmptyContent_MissingProject#0': {
    reason: 'berth, like the docker CLI, falls back to the project directory name; compose-go the library leaves the fallback to its caller',
    outcome: 'loads',
  },
  'TestLoadMulmtiDocumentYaml#0': {
    reason: 'deliberate (issue 2: "several YAML documents in one file get a clear error"); compose-go merges the documents in order',
    outcome: { error: 'the file holds several YAML documents' },
  },
  'TestLoadWithRemoteResources#0': { reason: REMOTE, outcome: { error: 'remote:compose.yaml: cannot read the compose file' } },
  'TestLoadWithMissingResources#0': { reason: REMOTE, outcome: { error: 'remote:unavailable.yaml: cannot read the compose file' } },
  'TestLoadWithNestedResources#0': { reason: REMOTE, outcome: { error: 'remote:nested/compose.yaml does not exist' } },
  'TestLoadWithResourcesCycle#0': { reason: REMOTE, outcome: { error: 'remote:cycle/compose.yaml: cannot read the compose file' } },
};

/** Inputs that are not compose files as they stand, by `test#input`, with the reason. */
const NOT_REPLAYABLE: Record<string, string> = {
  'TestLoadTmpfsVolume#0': 'a fmt.Sprintf template (`size: %s`), filled by a Go table',
  'TestResolveAdditionalContexts#0': 'a fmt.Sprintf template (`%s` paths), filled at run time',
};

/**
 * Tests that write several files and load them together (extends/include targets, override
 * files), by test: the path of each input, the files passed as -f, and extra files the Go
 * test writes. Their inputs are checked together, as one load.
 */
const LAYOUTS: Record<string, { paths: string[]; load: string[]; extra?: Record<string, string> }> = {
  TestLoadExtendsSameFile: { paths: ['sub/compose.yaml', 'compose.yaml'], load: ['compose.yaml'] },
  TestLoadExtendsListenerMultipleFiles: { paths: ['sub/compose.yaml', 'compose.yaml'], load: ['compose.yaml'] },
  TestLoadExtendsMultipleFiles: { paths: ['a/compose.yaml', 'b/compose.yaml', 'compose.yaml'], load: ['compose.yaml'] },
  TestLoadWithIncludeEnv: { paths: ['compose.yml', 'module/compose.yml'], load: ['compose.yml'], extra: { 'custom.env': 'VAR_NAME=value\n' } },
  TestNestedIncludeAndExtends: { paths: ['compose.yaml', 'dir/included.yaml', 'dir/extended.yaml'], load: ['compose.yaml'] },
  TestOverrideMiddle: { paths: ['base.yaml', 'override.yaml', 'compose.yaml'], load: ['compose.yaml'] },
  TestOverrideNetworks: { paths: ['filename0.yml', 'filename1.yml'], load: ['filename0.yml', 'filename1.yml'] },
  TestOverrideDepends_on: { paths: ['filename0.yml', 'filename1.yml'], load: ['filename0.yml', 'filename1.yml'] },
  TestOverridePartial: { paths: ['filename0.yml', 'filename1.yml'], load: ['filename0.yml', 'filename1.yml'] },
  TestLoadWithEmptyFile: { paths: ['filename0.yml', 'filename1.yml'], load: ['filename0.yml', 'filename1.yml'] },
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-inline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One copy of compose-go's loader directory; each run overwrites the input file (loading writes nothing). */
let copied: string | undefined;
function load(c: InlineCase, yaml: string): Outcome {
  if (!copied) {
    copied = path.join(tmp, 'loader');
    cpSync(loaderDir as string, copied, { recursive: true });
    mkdirSync(path.join(copied, 'tests'));
  }
  const isTestsPackage = c.file.startsWith('loader/tests/');
  const workingDir = isTestsPackage ? path.join(copied, 'tests') : copied;
  const name = isTestsPackage ? 'compose.yml' : 'filename0.yml';
  writeFileSync(path.join(workingDir, name), yaml);
  try {
    loadProject({ files: [name], workingDir, environment: environmentOf(c), homeDir: GO_VARIABLES.home });
    return { ok: true };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

let layouts = 0;
function loadLayout(c: InlineCase, layout: (typeof LAYOUTS)[string]): Outcome {
  const dir = path.join(tmp, `layout-${layouts++}`);
  const inputs = c.yamls.filter((y) => y.role === 'input');
  const files: Record<string, string> = { ...layout.extra };
  layout.paths.forEach((p, i) => (files[p] = inputs[i].yaml));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  try {
    loadProject({ files: layout.load, workingDir: dir, environment: environmentOf(c), homeDir: GO_VARIABLES.home });
    return { ok: true };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

describe.skipIf(!casesFile || !loaderDir)('compose-go inline loader tests, through berth', () => {
  it('finds the loader test functions', () => {
    expect(cases.length).toBeGreaterThan(250);
  });

  it('lists only cases that exist', () => {
    const ids = new Set(cases.flatMap((c) => pairErrors(c).map((p) => `${c.test}#${p.index}`)));
    for (const id of [...Object.keys(BERTH_WORDING), ...Object.keys(UNRECORDED_ERRORS), ...Object.keys(DIFFERENCES), ...Object.keys(NOT_REPLAYABLE)]) {
      expect(ids, id).toContain(id);
    }
    for (const test of Object.keys(LAYOUTS)) {
      const c = cases.find((x) => x.test === test);
      expect(c?.yamls.filter((y) => y.role === 'input').length, test).toBe(LAYOUTS[test].paths.length);
    }
  });

  for (const c of cases) {
    const layout = LAYOUTS[c.test];
    if (layout) {
      it(`${c.file} ${c.test} (${layout.paths.join(', ')} loaded together)`, () => {
        const outcome = loadLayout(c, layout);
        expect(outcome.ok, outcome.ok ? '' : outcome.message).toBe(true);
      });
      continue;
    }
    for (const { yaml, index, error: recorded } of pairErrors(c)) {
      const id = `${c.test}#${index}`;
      const error = recorded ?? UNRECORDED_ERRORS[id]?.composeGo;
      it(`${c.file} ${id}${error ? ` fails: ${error}` : ''}`, (ctx) => {
        if (NOT_REPLAYABLE[id]) {
          ctx.skip();
          return;
        }
        const outcome = load(c, yaml.yaml);
        const difference = DIFFERENCES[id];
        if (difference) {
          if (difference.outcome === 'loads') expect(outcome).toEqual({ ok: true });
          else expect(outcome.ok ? '(loaded)' : outcome.message).toContain(difference.outcome.error);
          return;
        }
        if (error) {
          expect(outcome.ok, `compose-go expects: ${error}`).toBe(false);
          expect(outcome.ok ? '' : outcome.message, outcome.ok ? '' : outcome.message).toContain(UNRECORDED_ERRORS[id]?.berth ?? BERTH_WORDING[id] ?? error);
          return;
        }
        expect(outcome.ok, outcome.ok ? '' : outcome.message).toBe(true);
      });
    }
  }
});
