import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/loader/parse.js';
import { stripTags } from '../../src/loader/tags.js';
import { validateSchema } from '../../src/loader/validate-schema.js';
import { describeCorpus, corpusPath } from '../corpus.js';

/** Full rendered messages (file:line:column: detail (hint)) for a YAML text. */
function check(yaml: string, file = 'compose.yaml'): string[] {
  const parsed = parseYaml(yaml, file);
  return validateSchema(stripTags(parsed.value), (p) => parsed.sourceMap.locate(p)).map((e) => e.message);
}

const y = (lines: string[]): string => `${lines.join('\n')}\n`;

describe('validateSchema: accepted documents', () => {
  it('accepts a typical file, x- keys where the spec allows them, and ${VAR} in typed fields', () => {
    expect(
      check(
        y([
          'name: demo',
          'x-common: &c { restart: always }',
          'services:',
          '  web:',
          '    image: nginx',
          '    ports: ["8080:80", 443, { target: 80, published: "${PORT}", x-note: hi }]',
          '    cpus: ${CPUS}',
          '    read_only: ${RO:-false}',
          '    x-owner: team-a',
          '    depends_on: { db: { condition: service_healthy } }',
          '  db: { image: postgres, healthcheck: { test: [CMD, pg_isready], retries: "${RETRIES}" } }',
          'networks: { front: null, back: { x-driver-notes: 1 } }',
          'volumes: { data: }',
        ]),
      ),
    ).toEqual([]);
  });

  it('validates nothing else than the model: an empty mapping is valid', () => {
    expect(validateSchema({})).toEqual([]);
  });
});

// Positions come from the parser's source map: a mapping value is located at its key (what an
// editor highlights), a sequence item at the item, an unknown key at the key itself.
describe('validateSchema: error forms, with line:column', () => {
  it('names the expected type in YAML words', () => {
    expect(check(y(['services:', '  foo:', '    image: [busybox, latest]']))).toEqual([
      'compose.yaml:3:5: services.foo.image must be a string',
    ]);
    expect(check(y(['services:', '  - foo']))).toEqual(['compose.yaml:1:1: services must be a mapping']);
    expect(check(y(['services:', '  foo:', '    cap_add: NET_ADMIN']))).toEqual([
      'compose.yaml:3:5: services.foo.cap_add must be a sequence',
    ]);
    expect(check('- a\n')).toEqual(['compose.yaml:1:1: top-level object must be a mapping']);
  });

  it('lists every allowed type of a multi-type field, sorted, with the right article', () => {
    expect(check(y(['services:', '  foo:', '    environment:', '      FOO: ["1"]']))).toEqual([
      'compose.yaml:4:7: services.foo.environment.FOO must be a boolean, null, number or string',
    ]);
    expect(check(y(['services:', '  foo:', '    expose: [{ a: 1 }]']))).toEqual([
      'compose.yaml:3:14: services.foo.expose[0] must be a number or string',
    ]);
    expect(check(y(['services:', '  foo:', '    deploy: { replicas: 1.5 }']))).toEqual([
      'compose.yaml:3:15: services.foo.deploy.replicas must be an integer or string',
    ]);
  });

  it('explains a union by its branches when no branch takes the value type', () => {
    expect(check(y(['services:', '  web:', '    ports: [true]']))).toEqual([
      'compose.yaml:3:13: services.web.ports[0] must be a mapping, number or string',
    ]);
    expect(check(y(['services:', '  web:', '    environment: "FOO=1"']))).toEqual([
      'compose.yaml:3:5: services.web.environment must be a mapping or sequence',
    ]);
  });

  it('explains a union by the branch that takes the value type, as compose-go does', () => {
    // ports[0] is a mapping, so only the long-syntax branch speaks (not "must be a number").
    expect(check(y(['services:', '  web:', '    ports:', '      - target: 80', '        publish: 8080']))).toEqual([
      'compose.yaml:5:9: services.web.ports[0]: unknown key "publish" (did you mean "published"?)',
    ]);
    // Nested unions: depends_on (sequence | mapping) → the mapping branch → condition enum.
    expect(check(y(['services:', '  web:', '    depends_on:', '      db: { condition: started }']))).toEqual([
      'compose.yaml:4:13: services.web.depends_on.db.condition must be one of: service_started, service_healthy, service_completed_successfully',
    ]);
    // build (string | mapping) → mapping → ssh, itself a union (mapping | sequence).
    expect(check(y(['services:', '  web:', '    build:', '      context: .', '      ssh:']))).toEqual([
      'compose.yaml:5:7: services.web.build.ssh must be a mapping or sequence',
    ]);
  });

  it('points an unknown key at the key itself and suggests a close one', () => {
    expect(check(y(['services:', '  web:', '    image: nginx', '    imagee: nginx']))).toEqual([
      'compose.yaml:4:5: services.web: unknown key "imagee" (did you mean "image"?)',
    ]);
    expect(check(y(['services:', '  web:', '    image: nginx', '    frobnicate: 1']))).toEqual([
      'compose.yaml:4:5: services.web: unknown key "frobnicate"',
    ]);
    expect(check(y(['servces:', '  web: { image: nginx }']))).toEqual([
      'compose.yaml:1:1: unknown top-level key "servces" (did you mean "services"?)',
    ]);
  });

  it('reports a malformed resource name as such', () => {
    expect(check(y(['services:', '  "my web": { image: nginx }']))).toEqual([
      'compose.yaml:2:3: services: invalid name "my web" (names use only letters, digits, ".", "_" and "-")',
    ]);
    // Deliberately stricter than compose-go, which leaves top-level network names unchecked.
    expect(check(y(['networks:', '  "front net": {}']))).toEqual([
      'compose.yaml:2:3: networks: invalid name "front net" (names use only letters, digits, ".", "_" and "-")',
    ]);
  });

  it('reports missing required keys, enums, bounds, patterns and duplicates', () => {
    expect(check(y(['services:', '  web:', '    develop:', '      watch:', '        - path: ./src']))).toEqual([
      'compose.yaml:5:11: services.web.develop.watch[0] missing required key "action"',
    ]);
    expect(check(y(['services:', '  web:', '    cgroup: shared']))).toEqual([
      'compose.yaml:3:5: services.web.cgroup must be one of: host, private',
    ]);
    expect(check(y(['services:', '  web:', '    volumes:', '      - type: tmpfs', '        target: /app', '        tmpfs: { size: -1 }']))).toEqual([
      'compose.yaml:6:18: services.web.volumes[0].tmpfs.size must be greater than or equal to 0',
    ]);
    expect(check(y(['services:', '  web:', '    cpu_percent: 150']))).toEqual([
      'compose.yaml:3:5: services.web.cpu_percent must be less than or equal to 100',
    ]);
    expect(check(y(['services:', '  web:', '    container_name: "-"']))).toEqual([
      'compose.yaml:3:5: services.web.container_name must match the pattern [a-zA-Z0-9][a-zA-Z0-9_.-]+',
    ]);
    expect(check(y(['services:', '  web:', '    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]']))).toEqual([
      'compose.yaml:3:36: services.web.cap_add[2] is a duplicate of services.web.cap_add[0]',
    ]);
  });

  it('reports a wrong type once, not also the keywords that cannot apply', () => {
    expect(check(y(['services:', '  web:', '    container_name: 5']))).toEqual([
      'compose.yaml:3:5: services.web.container_name must be a string',
    ]);
  });

  it('reports all problems together, sorted by line and column', () => {
    const messages = check(
      y([
        'name: 123',
        'services:',
        '  b:',
        '    image: 1',
        '    tty: [1]',
        '  a:',
        '    imagee: x',
        'volumes:',
        '  data: local',
        'bogus: 1',
      ]),
    );
    expect(messages).toEqual([
      'compose.yaml:1:1: name must be a string',
      'compose.yaml:4:5: services.b.image must be a string',
      'compose.yaml:5:5: services.b.tty must be a boolean or string',
      'compose.yaml:7:5: services.a: unknown key "imagee" (did you mean "image"?)',
      'compose.yaml:9:3: volumes.data must be a mapping or null',
      'compose.yaml:10:1: unknown top-level key "bogus"',
    ]);
  });

  it('works without a locator: details only, sorted by detail, path not repeated', () => {
    const errors = validateSchema({ services: { web: { image: 1, bogus: 2 } } });
    expect(errors.map((e) => [e.message, e.location])).toEqual([
      ['services.web.image must be a string', undefined],
      ['services.web: unknown key "bogus"', undefined],
    ]);
  });
});

describe('validateSchema: cost', () => {
  // Compiling happens once per process (measured ~200-230 ms on the 2-core CI box); what must
  // stay cheap is validating a large stack once compiled: ~10 ms for 1,000 services here.
  it('validates 1,000 services well within the loader budget once compiled', () => {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      services[`svc${i}`] = {
        image: 'nginx:1.25',
        ports: ['8080:80', { target: 80, published: '${PORT:-80}' }],
        environment: { A: '1', B: 2 },
        depends_on: { [`svc${i + 1}`]: { condition: 'service_started' } },
        volumes: ['./data:/data:ro', { type: 'volume', source: 'v', target: '/v' }],
        healthcheck: { test: ['CMD', 'true'], interval: '5s' },
      };
    }
    const model = { name: 'big', services, volumes: { v: {} } };
    expect(validateSchema(model)).toEqual([]);
    const start = performance.now();
    expect(validateSchema(model)).toEqual([]);
    expect(performance.now() - start).toBeLessThan(150);
  });
});

describe('validateSchema: x-placement', () => {
  it('accepts the documented forms', () => {
    expect(
      check(
        y([
          'services: { api: { image: a }, db: { image: b }, cache: { image: c } }',
          'x-placement:',
          '  mode: split',
          '  x-note: extensions are allowed here too',
          '  groups:',
          '    backend: { mode: pod, services: [api, db], share_pid: true }',
          '    solo: { mode: single, services: [cache], x-why: "latency" }',
        ]),
      ),
    ).toEqual([]);
    expect(check(y(['x-placement: {}']))).toEqual([]);
  });

  it('rejects malformed placement, every problem at once', () => {
    expect(
      check(
        y([
          'x-placement:',
          '  mode: cluster',
          '  groups:',
          '    backend: { mode: pod, services: [api, api] }',
          '    empty: { mode: split, services: [] }',
          '    nomode: { services: [a] }',
          '    single: { mode: single, services: [a], share_pid: true }',
          '    "bad name": { mode: pod, services: [a] }',
          '    typo: { mode: pod, service: [a] }',
          '  group: {}',
        ]),
      ),
    ).toEqual([
      'compose.yaml:2:3: x-placement.mode must be one of: split, pod, single',
      'compose.yaml:4:43: x-placement.groups.backend.services[1] is a duplicate of x-placement.groups.backend.services[0]',
      'compose.yaml:5:27: x-placement.groups.empty.services must not be empty',
      'compose.yaml:6:5: x-placement.groups.nomode missing required key "mode"',
      'compose.yaml:7:44: x-placement.groups.single.share_pid is not allowed here (only allowed when mode is "pod")',
      'compose.yaml:8:5: x-placement.groups: invalid name "bad name" (names use only letters, digits, ".", "_" and "-")',
      'compose.yaml:9:5: x-placement.groups.typo missing required key "services"',
      'compose.yaml:9:24: x-placement.groups.typo: unknown key "service" (did you mean "services"?)',
      'compose.yaml:10:3: x-placement: unknown key "group" (did you mean "groups"?)',
    ]);
  });

  it('rejects a placement that is not a mapping, and non-string members', () => {
    expect(check(y(['x-placement: pod']))).toEqual(['compose.yaml:1:1: x-placement must be a mapping']);
    expect(check(y(['x-placement:', '  groups:', '    g: { mode: pod, services: [1], share_pid: "yes" }']))).toEqual([
      'compose.yaml:3:32: x-placement.groups.g.services[0] must be a string',
      'compose.yaml:3:36: x-placement.groups.g.share_pid must be a boolean',
    ]);
  });
});

// compose-go's tests whose error comes from its JSON schema (NOTES.md §4). Each input YAML is
// paired, in order, with the substring compose-go expects. berth's message must contain it,
// unless the case is listed below with berth's exact message and the reason for the difference.
const SCHEMA_CASES = [
  'TestNonMappingObject',
  'TestNonStringImage',
  'TestInvalidEnvironmentValue',
  'TestInvalidEnvironmentObject',
  'TestInvalidResource',
  'TestLoadTmpfsVolumeAdditionalPropertyNotAllowed',
  'TestLoadTmpfsVolumeSizeMustBeGTEQZero',
  'TestLoadTmpfsVolumeSizeMustBeInteger',
  'TestServiceDeviceRequestCapabilitiesMandatory',
  'TestLoadSSHWithoutValueInBuildConfig',
  'TestInvalidProjectNameType',
  'TestBadDevelopConfig',
  'TestDevelopMissingAction',
  'TestEnvironmentInvalidValue',
  'TestEnvironmentInvalidObject',
];

const INDEX_PATHS = 'berth writes sequence indexes as [0] (formatKeyPath, like every berth message), compose-go as .0';
const DIFFERENCES: Record<string, { berth: string; reason: string }> = {
  "additional properties 'impossible' not allowed": {
    berth: 'services.foo.deploy.resources: unknown key "impossible"',
    reason: 'berth names the mapping and the key in plain words, points at the key, and can suggest a close key',
  },
  "services.tmpfs.volumes.0 additional properties 'foo' not allowed": {
    berth: 'services.tmpfs.volumes[0]: unknown key "foo"',
    reason: `unknown-key wording as above; ${INDEX_PATHS}`,
  },
  'services.tmpfs.volumes.0.tmpfs.size must be greater than or equal to 0': {
    berth: 'services.tmpfs.volumes[0].tmpfs.size must be greater than or equal to 0',
    reason: INDEX_PATHS,
  },
  'services.tmpfs.volumes.0.tmpfs.size must be a integer': {
    berth: 'services.tmpfs.volumes[0].tmpfs.size must be an integer or string',
    reason: `size is integer | string (a string such as 64m is cast later); berth names both branches, with the right article; ${INDEX_PATHS}`,
  },
  "missing property 'capabilities'": {
    berth: 'services.hello-world.deploy.resources.reservations.devices[0] missing required key "capabilities"',
    reason: 'YAML words: a mapping has keys, not properties',
  },
  "services.frontend.develop.watch.0 missing property 'action'": {
    berth: 'services.frontend.develop.watch[0] missing required key "action"',
    reason: `YAML words; ${INDEX_PATHS}`,
  },
  "services.web.develop.watch.0 missing property 'action'": {
    berth: 'services.web.develop.watch[0] missing required key "action"',
    reason: `YAML words; ${INDEX_PATHS}`,
  },
  'validating filename0.yml: name must be a string': {
    berth: 'name must be a string',
    reason: 'the file is named by the error location (file:line:column) instead of a "validating <file>:" prefix',
  },
};

interface InlineCase {
  test: string;
  yamls: { role: string; yaml: string }[];
  errors: { errorContains: string }[];
}

const inlineCases = corpusPath('compose-go', 'inline-yaml-cases.json');

describeCorpus(inlineCases, "compose-go's schema error expectations", () => {
  const all = JSON.parse(readFileSync(inlineCases as string, 'utf8')) as InlineCase[];
  const cases = SCHEMA_CASES.flatMap((name) => {
    const found = all.find((c) => c.test === name);
    if (!found) throw new Error(`${name} is not in inline-yaml-cases.json`);
    const inputs = found.yamls.filter((yml) => yml.role === 'input');
    expect(inputs.length).toBe(found.errors.length);
    return inputs.map((input, i) => ({ name: `${name}#${i}`, yaml: input.yaml, expected: found.errors[i].errorContains }));
  });

  it.each(cases)('$name: $expected', ({ yaml, expected }) => {
    const details = validateSchema(stripTags(parseYaml(yaml, 'filename0.yml').value)).map((e) => e.detail);
    const difference = DIFFERENCES[expected];
    if (difference) expect(details).toEqual([difference.berth]);
    else expect(details.some((d) => d.includes(expected)), `${details.join('; ')} should contain ${expected}`).toBe(true);
  });

  it('lists no difference that no case uses', () => {
    const used = new Set(cases.map((c) => c.expected));
    expect(Object.keys(DIFFERENCES).filter((k) => !used.has(k))).toEqual([]);
  });
});
