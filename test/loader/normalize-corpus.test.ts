// compose-go's loader/normalize_test.go pairs (inline-yaml-cases.json, role input/expected):
// each input is normalised and compared with compose-go's expected model. Where berth's
// normalisation deliberately differs, the expectation is adjusted here, by test name, with
// the reason; every other case must match as it is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Project } from '../../src/model/project.js';
import { normalizeModel } from '../../src/loader/normalize.js';
import { corpusPath } from '../corpus.js';

interface CorpusCase {
  file: string;
  test: string;
  yamls: { role: string; yaml?: string; text?: string }[];
}

const file = corpusPath('compose-go', 'inline-yaml-cases.json');
const cases: CorpusCase[] = file
  ? (JSON.parse(readFileSync(file, 'utf8')) as CorpusCase[]).filter((c) => c.file === 'loader/normalize_test.go')
  : [];

const projectDir = '/corpus/loader';
// The expectations are edited in place by path; typing every level would only add casts.
type Doc = Record<string, any>;

/** The Project as a compose document: empty sections left out, extensions inline. */
function asDocument(p: Project): Doc {
  const doc: Doc = { name: p.name };
  for (const key of ['services', 'networks', 'volumes', 'secrets', 'configs'] as const) {
    if (Object.keys(p[key]).length > 0) doc[key] = p[key];
  }
  return { ...doc, ...p.extensions };
}

/** compose's typed model omits `restart: false` (omitempty); berth never writes it. */
function dropRestartFalse(doc: Doc): Doc {
  for (const svc of Object.values<Doc>(doc.services ?? {})) {
    for (const dep of Object.values<Doc>(svc.depends_on ?? {})) if (dep.restart === false) delete dep.restart;
  }
  return doc;
}

/** berth resolves build contexts in normalize; compose-go does it in its ResolvePaths stage. */
function absoluteContexts(doc: Doc): Doc {
  for (const svc of Object.values<Doc>(doc.services ?? {})) {
    if (svc.build) svc.build.context = `${projectDir}/${svc.build.context}`.replace(/\/\.?$/, '').replace('/./', '/');
  }
  return doc;
}

const DIFFERENCES: Record<string, { reason: string; adjust: (expected: Doc) => Doc }> = {
  TestNormalizeNetworkNames: {
    reason:
      'build.context is made absolute here (compose-go: ResolvePaths stage); build args keep null for ' +
      '"take it from the environment" because berth resolves the environment after normalize (loader stage)',
    adjust: (d) => {
      absoluteContexts(d);
      d.services.foo.build.args = { FOO: null, ZOT: null };
      return d;
    },
  },
  TestNormalizeDependsOn: { reason: 'implicit volumes_from dependency: restart false is omitted, as compose prints it', adjust: dropRestartFalse },
  TestNormalizeImplicitDependencies: {
    reason:
      'the explicit entry also gets required: true because berth normalize includes the canonical ' +
      'transform (compose-go transformDependsOn) that this Go test skips; restart false omitted',
    adjust: (d) => {
      d.services.test.depends_on.foo.required = true;
      return dropRestartFalse(d);
    },
  },
  TestImplicitContextPath: { reason: 'build.context "." is made absolute (compose-go: ResolvePaths stage)', adjust: absoluteContexts },
  TestNormalizeEnvironment: {
    reason:
      'environment lists become mappings (canonical transform); values are resolved from the ' +
      'environment after normalize, so bare names stay null here',
    adjust: (d) => {
      d.services.test.environment = { FOO: null, BAR: null, ZOT: 'QIX' };
      return d;
    },
  },
  TestNormalizePreStartInheritsServiceImage: { reason: 'build.context "." is made absolute', adjust: absoluteContexts },
};

describe.skipIf(!file)('compose-go loader/normalize_test.go', () => {
  it('has the 9 pairs', () => expect(cases.map((c) => c.test)).toHaveLength(9));

  for (const c of cases) {
    const input = c.yamls.find((y) => y.role === 'input');
    const expected = c.yamls.find((y) => y.role === 'expected');
    const difference = DIFFERENCES[c.test];
    it(`${c.test}${difference ? ` (adjusted: ${difference.reason})` : ''}`, () => {
      const model = YAML.parse(input?.yaml ?? input?.text ?? '') as Doc;
      const project = normalizeModel(model, { projectName: model.name, projectDir, homeDir: '/home/user' });
      let want = YAML.parse(expected?.yaml ?? expected?.text ?? '') as Doc;
      if (difference) want = difference.adjust(want);
      expect(asDocument(project)).toEqual(want);
    });
  }

  it('lists differences only for cases that exist', () => {
    const names = new Set(cases.map((c) => c.test));
    for (const name of Object.keys(DIFFERENCES)) expect(names.has(name), name).toBe(true);
  });
});
