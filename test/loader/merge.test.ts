import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ComposeError, ComposeErrors } from '../../src/errors.js';
import { enforceUnicity, mergeModels, mergeService } from '../../src/loader/merge.js';
import { parseYaml } from '../../src/loader/parse.js';
import { OverrideTag, ResetTag, stripTags } from '../../src/loader/tags.js';
import { corpusPath } from '../corpus.js';

const y = (text: string): unknown => parseYaml(text, 'test.yaml').value;

/** base + override → expected, all written as YAML and compared as parsed values. */
function expectMerge(base: string, override: string, expected: string): void {
  expect(stripTags(mergeModels(y(base), y(override)))).toEqual(y(expected));
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

interface MergeCase {
  id: string;
  kind: 'merge' | 'unicity';
  base?: string;
  override?: string;
  input?: string;
  expected: string;
}

const casesFile = corpusPath('compose-go', 'merge-cases.json');

describe.skipIf(!casesFile)('compose-go merge-cases.json', () => {
  const cases = casesFile ? (JSON.parse(readFileSync(casesFile, 'utf8')) as MergeCase[]) : [];
  // No deliberate differences: every case must hold as written.
  it('has the 61 merges and 4 unicity cases', () => {
    expect(cases.filter((c) => c.kind === 'merge')).toHaveLength(61);
    expect(cases.filter((c) => c.kind === 'unicity')).toHaveLength(4);
  });
  for (const c of cases) {
    it(c.id, () => {
      const actual = c.kind === 'merge' ? mergeModels(y(c.base!), y(c.override!)) : enforceUnicity(y(c.input!));
      expect(actual).toEqual(y(c.expected));
    });
  }
});

describe('merge rules', () => {
  it('merges mappings key by key and replaces scalars', () => {
    expectMerge(
      'services: {web: {image: a, deploy: {replicas: 1, resources: {limits: {cpus: "1"}}}}}',
      'services: {web: {image: b, deploy: {resources: {limits: {memory: 1g}}}}}',
      'services: {web: {image: b, deploy: {replicas: 1, resources: {limits: {cpus: "1", memory: 1g}}}}}',
    );
  });

  it('adds services, networks and volumes the base does not have', () => {
    expectMerge('services: {a: {image: a}}', 'services: {b: {image: b}}\nvolumes: {v: {}}', 'services: {a: {image: a}, b: {image: b}}\nvolumes: {v: {}}');
  });

  it('keeps the base value when the override key is empty', () => {
    expectMerge('services: {web: {image: a}}', 'services: {web: {image: }}', 'services: {web: {image: a}}');
    expectMerge('services: {web: {image: a}}', 'services: {web: }', 'services: {web: {image: a}}');
  });

  it('merges extension keys like any other mapping', () => {
    expectMerge('x-common: {a: 1}\nservices: {}', 'x-common: {b: 2}', 'x-common: {a: 1, b: 2}\nservices: {}');
  });

  for (const key of ['command', 'entrypoint']) {
    it(`replaces ${key} instead of appending`, () => {
      expectMerge(`services: {web: {${key}: [a, b]}}`, `services: {web: {${key}: [c]}}`, `services: {web: {${key}: [c]}}`);
      expectMerge(`services: {web: {${key}: [a, b]}}`, `services: {web: {${key}: "c d"}}`, `services: {web: {${key}: "c d"}}`);
    });
  }

  it('replaces healthcheck.test but merges the rest of healthcheck', () => {
    expectMerge(
      'services: {web: {healthcheck: {test: [CMD, a], interval: 10s}}}',
      'services: {web: {healthcheck: {test: [CMD, b]}}}',
      'services: {web: {healthcheck: {test: [CMD, b], interval: 10s}}}',
    );
  });

  it('replaces each ulimit whole', () => {
    expectMerge(
      'services: {web: {ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}}}',
      'services: {web: {ulimits: {nofile: {soft: 5}}}}',
      'services: {web: {ulimits: {nofile: {soft: 5}, nproc: 3}}}',
    );
  });

  it('appends plain sequences (security_opt) without deduplicating', () => {
    expectMerge('services: {web: {security_opt: [a]}}', 'services: {web: {security_opt: [a, b]}}', 'services: {web: {security_opt: [a, a, b]}}');
  });

  it('appends ports, replacing an identical binding', () => {
    expectMerge(
      'services: {web: {ports: ["80:80", {target: 81, published: 8081}]}}',
      'services: {web: {ports: ["80:80", "90:90", {target: 81, published: "8081", protocol: tcp}]}}',
      'services: {web: {ports: ["80:80", {target: 81, published: "8081", protocol: tcp}, "90:90"]}}',
    );
  });

  it('appends volumes, a later mount on the same target replacing the earlier one in place', () => {
    expectMerge(
      'services: {web: {volumes: ["./a:/data", "logs:/logs"]}}',
      'services: {web: {volumes: [{type: volume, source: d, target: /data}, "./c:/c:ro"]}}',
      'services: {web: {volumes: [{type: volume, source: d, target: /data}, "logs:/logs", "./c:/c:ro"]}}',
    );
  });

  it('appends expose, deduplicating numbers and strings alike', () => {
    expectMerge('services: {web: {expose: [80, "81"]}}', 'services: {web: {expose: ["80", 82]}}', 'services: {web: {expose: ["80", "81", 82]}}');
  });

  it('identifies secrets and configs by mount target', () => {
    expectMerge(
      'services: {web: {secrets: [a], configs: [c, {source: d, target: /etc/d}]}}',
      'services: {web: {secrets: [{source: b, target: /run/secrets/a}], configs: [{source: e, target: /etc/d}, {source: f, target: /c}]}}',
      'services: {web: {secrets: [{source: b, target: /run/secrets/a}], configs: [{source: f, target: /c}, {source: e, target: /etc/d}]}}',
    );
  });

  it('merges environment, labels and annotations by name across list and mapping forms', () => {
    expectMerge(
      'services: {web: {environment: [A=1, B=2], labels: {b: x, a: y}}}',
      'services: {web: {environment: {B: 3, C: }, labels: [a=z]}}',
      'services: {web: {environment: [A=1, B=3, C], labels: [a=z, b=x]}}',
    );
  });

  it('turns env_file, label_file, dns, tmpfs strings into sequences', () => {
    expectMerge(
      'services: {web: {env_file: a.env, label_file: a.labels, dns: 1.1.1.1, tmpfs: /t}}',
      'services: {web: {env_file: [b.env, a.env], label_file: b.labels, dns: 8.8.8.8, tmpfs: /u}}',
      'services: {web: {env_file: [a.env, b.env], label_file: [a.labels, b.labels], dns: [1.1.1.1, 8.8.8.8], tmpfs: [/t, /u]}}',
    );
  });

  it('identifies env_file entries by path in both forms', () => {
    expectMerge(
      'services: {web: {env_file: [a.env]}}',
      'services: {web: {env_file: [{path: a.env, required: false}]}}',
      'services: {web: {env_file: [{path: a.env, required: false}]}}',
    );
  });

  it('merges depends_on as a mapping, short names getting the default condition', () => {
    expectMerge(
      'services: {web: {depends_on: [db]}}',
      'services: {web: {depends_on: {cache: {condition: service_healthy}, db: {restart: true}}}}',
      `services:
        web:
          depends_on:
            db: {condition: service_started, required: true, restart: true}
            cache: {condition: service_healthy}`,
    );
  });

  it('merges service networks and models as mappings', () => {
    expectMerge(
      'services: {web: {networks: [front], models: [llm]}}',
      'services: {web: {networks: {back: {aliases: [b]}}, models: {llm: {endpoint_var: U}}}}',
      'services: {web: {networks: {front: , back: {aliases: [b]}}, models: {llm: {endpoint_var: U}}}}',
    );
  });

  it('merges a short build into a long one', () => {
    expectMerge('services: {web: {build: ./app}}', 'services: {web: {build: {target: dev, args: {A: 1}}}}', 'services: {web: {build: {context: ./app, target: dev, args: {A: 1}}}}');
    expectMerge('services: {web: {build: {context: ., target: dev}}}', 'services: {web: {build: ./other}}', 'services: {web: {build: {context: ./other, target: dev}}}');
  });

  it('does not repeat extra_hosts entries already present', () => {
    expectMerge(
      'services: {web: {extra_hosts: ["a=1.1.1.1"]}}',
      'services: {web: {extra_hosts: {a: 1.1.1.1, b: [2.2.2.2, 3.3.3.3]}}}',
      'services: {web: {extra_hosts: ["a=1.1.1.1", "b=2.2.2.2", "b=3.3.3.3"]}}',
    );
  });

  it('merges logging options only for the same driver', () => {
    expectMerge(
      'services: {web: {logging: {driver: json-file, options: {max-size: 1m}}}}',
      'services: {web: {logging: {options: {max-file: "3"}}}}',
      'services: {web: {logging: {driver: json-file, options: {max-size: 1m, max-file: "3"}}}}',
    );
    expectMerge(
      'services: {web: {logging: {driver: json-file, options: {max-size: 1m}}}}',
      'services: {web: {logging: {driver: syslog}}}',
      'services: {web: {logging: {driver: syslog}}}',
    );
  });

  it('merges IPAM pools by subnet and keeps base pools the override does not name', () => {
    expectMerge(
      'networks: {n: {ipam: {config: [{subnet: 10.0.0.0/8, gateway: 10.0.0.1}, {subnet: 11.0.0.0/8}]}}}',
      'networks: {n: {ipam: {config: [{subnet: 10.0.0.0/8, gateway: 10.0.0.2}, {subnet: 12.0.0.0/8}]}}}',
      'networks: {n: {ipam: {config: [{subnet: 10.0.0.0/8, gateway: 10.0.0.2}, {subnet: 11.0.0.0/8}, {subnet: 12.0.0.0/8}]}}}',
    );
  });

  it('replaces a model`s runtime_flags', () => {
    expectMerge('models: {m: {model: a, runtime_flags: [--gpu]}}', 'models: {m: {runtime_flags: [--cpu]}}', 'models: {m: {model: a, runtime_flags: [--cpu]}}');
  });

  it('merges volume and network labels into sequences', () => {
    expectMerge('volumes: {v: {labels: {a: "1"}}}', 'volumes: {v: {labels: {b: "2"}}}', 'volumes: {v: {labels: [a=1, b=2]}}');
  });

  it('orders keys deterministically: base keys first, then new override keys', () => {
    const merged = mergeModels(y('services: {b: {}, a: {}}'), y('services: {c: {}, a: {image: x}}')) as { services: object };
    expect(Object.keys(merged.services)).toEqual(['b', 'a', 'c']);
  });

  it('is pure: frozen inputs are left untouched', () => {
    const base = deepFreeze(y('services: {web: {image: a, ports: ["80:80"], environment: {A: 1}, build: .}}'));
    const over = deepFreeze(y('services: {web: {ports: ["80:80"], environment: [B=2], build: {target: t}}}'));
    const before = JSON.stringify([base, over]);
    mergeModels(base, over);
    expect(JSON.stringify([base, over])).toBe(before);
  });

  it('reports every type mismatch of a merge together, with key paths in YAML words', () => {
    let caught: unknown;
    try {
      mergeModels(y('services: {web: {volumes: [a:/a], deploy: {resources: {}}}}'), y('services: {web: {volumes: {a: 1}, deploy: {resources: [x]}}}'), {
        locate: (p) => ({ file: 'b.yaml', line: 3, column: 5, path: p }),
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ComposeErrors);
    const details = (caught as ComposeErrors).errors.map((e) => e.detail);
    expect(details).toEqual([
      'cannot override services.web.volumes: a sequence cannot be merged with a mapping',
      'cannot override services.web.deploy.resources: a mapping cannot be merged with a sequence',
    ]);
    expect((caught as ComposeErrors).errors[0].message).toMatch(/^b\.yaml:3:5: services\.web\.volumes: cannot override/);
  });
});

describe('!reset and !override', () => {
  it('!reset removes a service attribute, a nested key and a whole service', () => {
    expectMerge(
      'services: {web: {image: a, command: x, deploy: {resources: {limits: {cpus: "1"}}, replicas: 2}}, db: {image: d}}',
      'services: {web: {command: !reset null, deploy: {resources: {limits: !reset {}}}}, db: !reset}',
      'services: {web: {image: a, deploy: {resources: {}, replicas: 2}}}',
    );
  });

  it('!reset empties a sequence (TestLoadExtendsWihReset)', () => {
    expectMerge('services: {web: {volumes: [.:/src]}}', 'services: {web: {volumes: !reset []}}', 'services: {web: {}}');
  });

  it('!reset on a single environment variable drops it in either form', () => {
    expectMerge('services: {web: {environment: [A=1, B=2]}}', 'services: {web: {environment: {A: !reset , C: 3}}}', 'services: {web: {environment: [B=2, C=3]}}');
  });

  it('!override replaces instead of merging, at several depths', () => {
    expectMerge(
      'services: {web: {ports: ["80:80"], environment: {A: 1}, deploy: {resources: {limits: {cpus: "1", memory: 1g}}}}}',
      'services: {web: {ports: !override ["81:81"], environment: !override [Z=1], deploy: {resources: {limits: !override {memory: 2g}}}}}',
      'services: {web: {ports: ["81:81"], environment: [Z=1], deploy: {resources: {limits: {memory: 2g}}}}}',
    );
  });

  it('!override on a whole service replaces it (TestLoadWithMultipleIncludeConflict)', () => {
    expectMerge(
      'services: {bar: {image: busybox, environment: [FOO=BAR], ports: ["80:80"]}}',
      'services: {bar: !override {image: busybox, environment: [ZOT=QIX]}}',
      'services: {bar: {image: busybox, environment: [ZOT=QIX]}}',
    );
  });

  it('leaves tags where the base had nothing, for the loader to strip', () => {
    const merged = mergeModels(y('services: {web: {image: a}}'), y('services: {web: {command: !reset , ports: !override ["1:1"]}}')) as {
      services: { web: Record<string, unknown> };
    };
    expect(merged.services.web.command).toBeInstanceOf(ResetTag);
    expect(merged.services.web.ports).toBeInstanceOf(OverrideTag);
    expect(stripTags(merged)).toEqual({ services: { web: { image: 'a', ports: ['1:1'] } } });
  });

  it('a tag left by an earlier merge yields to the next file', () => {
    const first = mergeModels(y('services: {web: {image: a}}'), y('services: {web: {command: !reset , ports: !override ["1:1"]}}'));
    const second = mergeModels(first, y('services: {web: {command: [run], ports: ["2:2"]}}'));
    expect(stripTags(second)).toEqual({ services: { web: { image: 'a', command: ['run'], ports: ['1:1', '2:2'] } } });
  });
});

describe('mergeService', () => {
  it('applies the service rules to one service and deduplicates', () => {
    const out = mergeService(
      y('{image: a, ports: ["80:80"], environment: {A: 1}, command: [x]}') as Record<string, unknown>,
      y('{ports: ["80:80"], environment: [A=2], command: [y]}') as Record<string, unknown>,
    );
    expect(out).toEqual({ image: 'a', ports: ['80:80'], environment: ['A=2'], command: ['y'] });
  });

  it('keeps the override tags, so they still apply to earlier files', () => {
    const out = mergeService(y('{image: a, command: x, ports: ["1:1"]}') as Record<string, unknown>, y('{command: !reset , ports: !override ["2:2"]}') as Record<string, unknown>);
    expect(out.command).toBeInstanceOf(ResetTag);
    expect(out.ports).toBeInstanceOf(OverrideTag);
    expect(stripTags(out)).toEqual({ image: 'a', ports: ['2:2'] });
    const withEarlierFile = mergeModels(y('services: {s: {command: old, ports: ["9:9"]}}'), { services: { s: out } });
    expect(stripTags(withEarlierFile)).toEqual({ services: { s: { image: 'a', ports: ['2:2'] } } });
  });

  it('throws a ComposeError on a type mismatch', () => {
    expect(() => mergeService({ volumes: ['a:/a'] }, { volumes: 'b:/b' })).toThrow(ComposeError);
  });
});

describe('enforceUnicity', () => {
  it('dedupes inside !override values too and leaves other sequences alone', () => {
    const out = enforceUnicity({ services: { web: { ports: new OverrideTag(['1:1', '1:1']), security_opt: ['a', 'a'] } } }) as {
      services: { web: { ports: OverrideTag; security_opt: string[] } };
    };
    expect(out.services.web.ports.value).toEqual(['1:1']);
    expect(out.services.web.security_opt).toEqual(['a', 'a']);
  });

  it('keys devices by container path and keeps unparseable entries', () => {
    expect(enforceUnicity({ services: { s: { devices: ['/dev/a:/dev/x', '/dev/b:/dev/x', '/dev/c'], volumes: ['ab::c', 'ab::c'] } } })).toEqual({
      services: { s: { devices: ['/dev/b:/dev/x', '/dev/c'], volumes: ['ab::c', 'ab::c'] } },
    });
  });
});
