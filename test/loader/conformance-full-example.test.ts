// compose-go's historical full-example.yml (NOTES §3.1), loaded by berth with the env of
// TestFullExample, against compose-go's own marshalling of the expected project
// (full-example.expected.yaml, placeholders substituted). compose-go's form is first mapped
// to berth's canonical form by the listed, reasoned adjustments; then every field of every
// service and resource must be equal. Key order is not compared (berth sorts keys; compose-go
// prints Go struct-field order).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadProject } from '../../src/loader/loader.js';
import { printableProject } from '../../src/loader/print.js';
import { describeCorpus, corpusPath } from '../corpus.js';

const dir = corpusPath('compose-go', 'historical', 'full-example@9dee8f4', 'loader');
const HOME = '/home/full-example';
const ENV = { HOME, BAR: 'this is a secret', QUX: 'qux_from_environment' };
const PROJECT = 'full_example_project_name';

// The documents are edited in place by path; typing every level would only add casts.
type Doc = Record<string, any>;

const services = (d: Doc): Doc[] => Object.values<Doc>(d.services ?? {});
const resources = (d: Doc, section: string): [string, Doc][] => Object.entries<Doc>(d[section] ?? {});

/**
 * compose-go's marshalled form → berth's canonical form. Each entry is one deliberate
 * difference, applied to the expected document, with its reason.
 */
const ADJUSTMENTS: { what: string; reason: string; adjust: (expected: Doc) => void }[] = [
  {
    what: 'default network',
    reason: 'TestFullExample skips normalization; berth always attaches services without networks to `default` and declares it',
    adjust: (d) => {
      d.services.bar.networks = { default: null };
      d.networks.default = {};
    },
  },
  {
    what: 'resource names',
    reason: 'normalization (skipped upstream) names every network/volume/secret/config `<project>_<key>`, or the key itself when external',
    adjust: (d) => {
      for (const section of ['networks', 'volumes', 'secrets', 'configs']) {
        for (const [key, def] of resources(d, section)) def.name ??= def.external ? key : `${PROJECT}_${key}`;
      }
    },
  },
  {
    what: 'scale',
    reason: 'berth sets `scale` from deploy.replicas (issue 2: "deploy.replicas vs scale"), so one field says how many containers run',
    adjust: (d) => {
      for (const s of services(d)) if (s.deploy?.replicas !== undefined) s.scale ??= s.deploy.replicas;
    },
  },
  {
    what: 'file modes',
    reason: 'compose-go marshals FileMode as an octal string ("0440"); berth keeps the number (288), which the schema also accepts',
    adjust: (d) => {
      for (const s of services(d)) {
        for (const ref of [...(s.secrets ?? []), ...(s.configs ?? []), ...(s.build?.secrets ?? [])]) {
          if (typeof ref.mode === 'string') ref.mode = parseInt(ref.mode, 8);
        }
      }
    },
  },
  {
    what: 'env_file rendering',
    reason: 'compose-go omits `required: true` (its default); berth prints it, so every entry has the same shape',
    adjust: (d) => {
      for (const s of services(d)) for (const f of s.env_file ?? []) f.required ??= true;
    },
  },
  {
    what: 'extra_hosts form',
    reason: 'canonical form (issue 2): host → list of IPs instead of "host=ip" strings',
    adjust: (d) => {
      for (const s of services(d)) {
        if (!Array.isArray(s.extra_hosts)) continue;
        const out: Record<string, string[]> = {};
        for (const e of s.extra_hosts as string[]) {
          const [host, ip] = e.split('=');
          (out[host] ??= []).push(ip);
        }
        s.extra_hosts = out;
      }
    },
  },
  {
    what: 'ulimits form',
    reason: 'canonical form: a single number becomes {soft, hard} with both set to it',
    adjust: (d) => {
      for (const s of services(d)) {
        for (const [k, v] of Object.entries(s.ulimits ?? {})) if (typeof v === 'number') s.ulimits[k] = { soft: v, hard: v };
      }
    },
  },
  {
    what: 'short-syntax binds',
    reason:
      'a short-syntax bind creates its host path (bind.create_host_path: true), as compose-go does at HEAD (NOTES §3.2 TestLoadWithExtends); the 2023 struct predates it',
    adjust: (d) => {
      for (const v of d.services.foo.volumes as Doc[]) if (v.type === 'bind' && v.bind) v.bind.create_host_path = true;
    },
  },
  {
    what: 'byte sizes',
    reason: 'compose-go marshals UnitBytes as a decimal string; berth keeps numbers where the schema allows them (tmpfs.size)',
    adjust: (d) => {
      for (const v of d.services.foo.volumes as Doc[]) if (typeof v.tmpfs?.size === 'string') v.tmpfs.size = Number(v.tmpfs.size);
    },
  },
];

describeCorpus(dir, 'full-example.yml against compose-go expected output', () => {
  const base = dir as string;
  const expected: Doc = YAML.parse(
    readFileSync(path.join(base, 'full-example.expected.yaml'), 'utf8').replaceAll('__WORKDIR__', base).replaceAll('__HOMEDIR__', HOME),
  );
  for (const a of ADJUSTMENTS) a.adjust(expected);
  // As compose-go's test: working dir = the file's directory, its env only, no consistency check.
  const loaded = loadProject({ files: ['full-example.yml'], workingDir: base, environment: ENV, homeDir: HOME, consistencyCheck: false });
  const actual: Doc = JSON.parse(JSON.stringify(printableProject(loaded.project)));

  it('has the same project name and the same sections', () => {
    expect(actual.name).toBe(expected.name);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  });

  it('has the same services and resources', () => {
    for (const section of ['services', 'networks', 'volumes', 'secrets', 'configs']) {
      expect(Object.keys(actual[section] ?? {}).sort(), section).toEqual(Object.keys(expected[section] ?? {}).sort());
    }
  });

  for (const [name, svc] of Object.entries<Doc>(expected.services)) {
    const fields = new Set([...Object.keys(svc), ...Object.keys(actual.services?.[name] ?? {})]);
    for (const field of [...fields].sort()) {
      it(`services.${name}.${field}`, () => {
        expect(actual.services[name][field]).toEqual(svc[field]);
      });
    }
  }

  for (const section of ['networks', 'volumes', 'secrets', 'configs']) {
    for (const [name, def] of Object.entries<Doc>(expected[section] ?? {})) {
      it(`${section}.${name}`, () => {
        expect(actual[section][name]).toEqual(def);
      });
    }
  }

  it('top-level extensions', () => {
    const ext = (d: Doc) => Object.fromEntries(Object.entries(d).filter(([k]) => k.startsWith('x-')));
    expect(ext(actual)).toEqual(ext(expected));
  });
});
