// `berth config` on every real-world compose file of the corpus (awesome-compose, the
// docker/compose e2e fixtures, and the top-level compose documents of the spec's snippets).
// The upstream schema is the judge: a file it accepts must print a canonical model that
// loads back to the same model; a file it rejects must fail with exit 1 and an error
// located at file:line:column. Files that need something the corpus does not hold (an env
// var, an env file the extraction left out) get it here, per file, with the reason.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadProject } from '../../src/loader/loader.js';
import { parseYaml } from '../../src/loader/parse.js';
import { printProject } from '../../src/loader/print.js';
import { stripTags } from '../../src/loader/tags.js';
import { runCli } from '../cli/run-cli.js';
import { describeCorpus, corpusComposeFiles, corpusPath } from '../corpus.js';

const root = corpusPath();
const upstreamSchemaFile = corpusPath('compose-go', 'schema', 'compose-spec.json');

function corpusFiles(base: string): string[] {
  return corpusComposeFiles().map((f) => path.relative(base, f));
}

/**
 * What a file needs to load that the corpus does not give it: `env` is the process
 * environment of the run; `files` are stand-ins for files the corpus extraction left out
 * (compose-e2e/SOURCE.md lists the env files it did not extract). With `files`, the file's
 * directory is copied to a temporary directory and the stand-ins are written beside it.
 */
interface Provision {
  reason: string;
  env?: Record<string, string>;
  files?: Record<string, string>;
}

const NOT_EXTRACTED = 'env file not extracted into the corpus (compose-e2e/SOURCE.md); a stand-in is written';

const PROVIDE: Record<string, Provision> = {
  'compose-spec/spec-snippets/05-services-063.yaml': {
    reason: 'a spec snippet: the label files it names are not part of the specification',
    files: { 'app.labels': 'com.example.app=1\n', 'additional.labels': 'com.example.extra=1\n' },
  },
  'compose-e2e/fixtures/config_hash/compose.yaml': { reason: NOT_EXTRACTED, files: { 'app.env': 'APP=1\n' } },
  'compose-e2e/fixtures/publish/oci/compose-override.yaml': { reason: NOT_EXTRACTED, files: { 'test.env': 'HELLO=WORLD\n' } },
  'compose-e2e/testdata/TestEnvPriorityComposeEnvFile/compose.yaml': { reason: NOT_EXTRACTED, files: { '.env.override': 'WHEREAMI=override_env_file\n' } },
  'compose-e2e/testdata/TestPublishDetectSensitiveData/compose.yaml': { reason: NOT_EXTRACTED, files: { 'publish-sensitive.env': 'PASSWORD=x\n' } },
  'compose-e2e/testdata/TestPublishPromptAggregatesFindings/compose.yaml': { reason: NOT_EXTRACTED, files: { 'publish.env': 'FOO=bar\n' } },
  'compose-e2e/testdata/TestPublishPromptEnvFile/compose.yaml': { reason: NOT_EXTRACTED, files: { 'publish.env': 'FOO=bar\n' } },
  'compose-e2e/testdata/TestRawEnvFile/compose.yaml': { reason: NOT_EXTRACTED, files: { '.env.raw': 'TEST_VAR=\'{"key": "value"}\'\n' } },
  'compose-e2e/testdata/TestRunEnvFile/compose.yaml': { reason: NOT_EXTRACTED, files: { 'test.env': 'FOO=BAR\n' } },
  'compose-e2e/testdata/TestSecretFromEnv/compose.yaml': { reason: NOT_EXTRACTED, files: { 'secret.env': 'SECRET=s3cr3t\n' } },
  'compose-e2e/testdata/TestSecretFromInclude/compose.yaml': { reason: NOT_EXTRACTED, files: { 'secret.env': 'SECRET=s3cr3t\n' } },
  'compose-e2e/fixtures/logs-test/cat.yaml': {
    reason: 'the e2e test sets FILE to a host file; unset, the volume spec is ":/text_file.txt", an empty source',
    env: { FILE: '/etc/hostname' },
  },
  'compose-e2e/testdata/TestUpImageID/compose.yaml': { reason: 'image is ${ID:?...}: the e2e test sets ID', env: { ID: 'sha256:0123' } },
  'compose-e2e/testdata/TestImagesAfterImageRemoved/compose.yaml': { reason: 'image is ${REMOVED_IMAGE}: the e2e test sets it (unset, the service has no image)', env: { REMOVED_IMAGE: 'busybox' } },
  'compose-e2e/testdata/TestUpWithBuildDependencies/compose.yaml': { reason: 'image is ${BUILT_IMAGE}: the e2e test sets it (unset, bar has no image)', env: { BUILT_IMAGE: 'built' } },
  'compose-e2e/testdata/TestUpContainerNameConflict/compose.yaml': {
    reason: 'container_name is ${FIXED_NAME}: the e2e test sets it (unset, "" fails the container_name pattern)',
    env: { FIXED_NAME: 'fixed' },
  },
  'compose-spec/spec-snippets/12-interpolation-003.yaml': {
    reason: 'the snippet shows a label key from $VAR_INTERPOLATED_BY_COMPOSE; unset, the key is "" (not a valid mapping key on reload)',
    env: { VAR_INTERPOLATED_BY_COMPOSE: 'FOO' },
  },
};

const SNIPPET_FRAGMENT = 'a spec snippet shows one service and leaves out the resources it names; compose-go\'s consistency check rejects it too';
const INCLUDE_ABSENT = 'the snippet includes a file that is not part of the spec text; compose-go fails to read it too';

/**
 * Files the upstream schema accepts but that cannot load, per file, with the reason. The
 * expected error substring is asserted, so a change of behaviour shows up.
 */
const EXPECTED_FAILURES: Record<string, { reason: string; error: string }> = {
  'compose-e2e/fixtures/env_file/compose.yaml': {
    reason: 'the fixture exists to fail: TestUnusedMissingEnvFile expects "env file /doesnotexist/.env not found"',
    error: 'env file /doesnotexist/.env not found',
  },
  'compose-e2e/testdata/TestUpContainerNameConflict/compose.yaml': {
    reason:
      'two services share container_name; compose finds it at `up` (the e2e test expects exit 1 and "container name"), berth at load time',
    error: 'container_name "fixed"',
  },
  'compose-spec/spec-snippets/05-services-039.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined volume common-volume' },
  'compose-spec/spec-snippets/05-services-050.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "model" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/05-services-051.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "model" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/05-services-063.yaml': { reason: SNIPPET_FRAGMENT, error: 'has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/05-services-083.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "test" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/05-services-099.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "app" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/12-interpolation-002.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "foo" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/12-interpolation-003.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "foo" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/13-merge-007.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "foo" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/13-merge-008.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "foo" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/13-merge-009.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "foo" has neither an image nor a build context specified' },
  'compose-spec/spec-snippets/13-merge-017.yaml': { reason: SNIPPET_FRAGMENT, error: 'service "app" has neither an image nor a build context specified' },
  'compose-e2e/fixtures/publish/oci/compose-override.yaml': {
    reason: 'an override file, loaded on its own: the service\'s image is in the base file it overrides',
    error: 'service "app" has neither an image nor a build context specified',
  },
  'compose-e2e/testdata/TestLocalComposeConfigNoConsistency/compose.yaml': {
    reason: 'the fixture exists to fail the consistency check: the e2e test passes `config --no-consistency`, which berth does not have',
    error: 'service "incomplete" has neither an image nor a build context specified',
  },
  'compose-spec/spec-snippets/05-services-068.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined network' },
  'compose-spec/spec-snippets/05-services-071.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined network' },
  'compose-spec/spec-snippets/05-services-073.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined network back-tier' },
  'compose-spec/spec-snippets/05-services-076.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined network app_net' },
  'compose-spec/spec-snippets/11-extension-004.yaml': { reason: SNIPPET_FRAGMENT, error: 'depends on undefined service "gateway"' },
  'compose-spec/spec-snippets/13-merge-010.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined volume foo' },
  'compose-spec/spec-snippets/13-merge-011.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined volume bar' },
  'compose-spec/spec-snippets/13-merge-012.yaml': { reason: SNIPPET_FRAGMENT, error: 'refers to undefined volume bar' },
  'compose-spec/spec-snippets/14-include-001.yaml': { reason: INCLUDE_ABSENT, error: 'my-compose-include.yaml does not exist' },
  'compose-spec/spec-snippets/14-include-002.yaml': { reason: INCLUDE_ABSENT, error: 'commons/compose.yaml does not exist' },
  'compose-spec/spec-snippets/14-include-003.yaml': { reason: INCLUDE_ABSENT, error: 'commons/compose.yaml does not exist' },
  'compose-spec/spec-snippets/14-include-004.yaml': { reason: INCLUDE_ABSENT, error: 'commons/compose.yaml does not exist' },
  'compose-spec/spec-snippets/14-include-005.yaml': { reason: INCLUDE_ABSENT, error: 'another/compose.yaml does not exist' },
};

/** Upstream rejects these and berth loads them anyway; each needs a reason. */
const ACCEPTED_DESPITE_UPSTREAM: Record<string, string> = {};

/** Files berth cannot parse at all (listed in schema-corpus.test.ts too). */
const UNPARSEABLE: Record<string, string> = {
  'compose-spec/spec-snippets/build-006.yaml':
    'defines services.base twice (the spec text shows two alternatives in one block); duplicate keys are a YAML error in berth and in compose-go',
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-corpus-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Verdict of the upstream schema on the raw document (before interpolation, like compose-go's per-file validation). */
function upstreamVerdict(validate: (v: unknown) => boolean, file: string): boolean | 'unparseable' {
  try {
    return validate(stripTags(parseYaml(readFileSync(file, 'utf8'), file).value));
  } catch {
    return 'unparseable';
  }
}

describeCorpus(root && upstreamSchemaFile, 'berth config on every corpus compose file', () => {
  const base = root as string;
  const files = corpusFiles(base);
  const upstream = new Ajv2020({ strict: false, allErrors: false }).compile(
    JSON.parse(readFileSync(upstreamSchemaFile as string, 'utf8')) as object,
  );

  it('finds the corpus files', () => {
    expect(files.length).toBeGreaterThan(350);
  });

  it('lists only files that exist in the corpus', () => {
    for (const rel of [...Object.keys(PROVIDE), ...Object.keys(EXPECTED_FAILURES), ...Object.keys(ACCEPTED_DESPITE_UPSTREAM)]) {
      expect(files, rel).toContain(rel);
    }
  });

  for (const rel of files) {
    it(rel, async () => {
      const provision = PROVIDE[rel];
      const file = provision?.files ? provide(path.join(base, rel), provision.files) : path.join(base, rel);
      const cwd = path.dirname(file);
      const env: Record<string, string> = { ...provision?.env };
      const verdict = upstreamVerdict(upstream, file);
      const result = await runCli(['-f', file, 'config'], { cwd, env });

      if (verdict === 'unparseable' || UNPARSEABLE[rel]) {
        expect(UNPARSEABLE[rel], `${rel} does not parse but is not listed`).toBeDefined();
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+`));
        return;
      }
      if (!verdict) {
        if (ACCEPTED_DESPITE_UPSTREAM[rel]) {
          expect(result.code, result.stderr).toBe(0);
          return;
        }
        expect(result.code, `upstream rejects ${rel} but berth printed:\n${result.stdout}`).toBe(1);
        // Located: the file, a line and a column.
        expect(result.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+`));
        return;
      }
      const failure = EXPECTED_FAILURES[rel];
      if (failure) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(failure.error);
        return;
      }
      expect(result.code, result.stderr).toBe(0);
      // Round trip: the printed document loads back to the same model.
      const first = loadProject({ files: [file], workingDir: cwd, environment: env }).project;
      expect(printProject(first, 'yaml', { escapeDollars: true })).toBe(result.stdout);
      const again = loadProject({ files: ['-'], workingDir: cwd, environment: env, readStdin: () => result.stdout }).project;
      expect(again).toEqual(first);
      expect(YAML.parse(result.stdout)).toBeTypeOf('object');
    });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let copies = 0;
/** A copy of the file's directory with the stand-in files added; returns the copied file. */
function provide(file: string, files: Record<string, string>): string {
  const dir = path.join(tmp, String(copies++), path.basename(path.dirname(file)));
  cpSync(path.dirname(file), dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return path.join(dir, path.basename(file));
}
