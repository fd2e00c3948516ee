import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeErrorsOf } from '../support/errors.js';
import { formatGraph } from '../../src/graph/format.js';
import { buildGraph, findCycles, type DependencyGraph } from '../../src/graph/graph.js';
import type { DependsOn, Project, ServiceConfig } from '../../src/model/project.js';
import { parseYaml } from '../../src/loader/parse.js';
import { applyProfiles } from '../../src/loader/profiles.js';
import { describeCorpus, corpusPath } from '../corpus.js';

const started = (required = true): DependsOn => ({ condition: 'service_started', required });

function project(services: Record<string, ServiceConfig>, extra: Partial<Project> = {}): Project {
  return { name: 'p', services, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {}, ...extra };
}

/** Services that only depend on others: `{a: ['b', 'c']}` → a depends_on b and c. */
function chain(deps: Record<string, string[]>): Project {
  const services: Record<string, ServiceConfig> = {};
  for (const [name, on] of Object.entries(deps)) {
    services[name] = { image: 'x', depends_on: Object.fromEntries(on.map((d) => [d, started()])) };
  }
  return project(services);
}

/** compose-go graph_test.go exampleGraph(): addEdge(src, dest) means src depends on dest. */
const EXAMPLE_GRAPH_EDGES: [string, string][] = [
  ['C', 'A'],
  ['C', 'B'],
  ['E', 'B'],
  ['D', 'C'],
  ['D', 'E'],
  ['F', 'D'],
  ['G', 'A'],
];

function exampleGraph(extra: [string, string][] = [], order?: string[]): Project {
  const deps: Record<string, string[]> = {};
  for (const n of order ?? ['A', 'B', 'C', 'D', 'E', 'F', 'G']) deps[n] = [];
  for (const [src, dest] of [...EXAMPLE_GRAPH_EDGES, ...extra]) deps[src].push(dest);
  return chain(deps);
}

describe('buildGraph: compose-go TestBuildGraph rows', () => {
  it('builds graph with single service', () => {
    const g = buildGraph(project({ test: { image: 'x', depends_on: {} } }));
    expect(g.nodes).toEqual(['service:test']);
    expect(g.edges).toEqual([]);
    expect(g.startLevels()).toEqual([['service:test']]);
  });

  it('builds graph with two separate services', () => {
    const g = buildGraph(project({ test: { image: 'x' }, another: { image: 'x' } }));
    expect(g.startLevels()).toEqual([['service:another', 'service:test']]);
    expect(g.edges).toEqual([]);
  });

  it('builds graph with a service and a dependency', () => {
    const g = buildGraph(chain({ test: ['another'], another: [] }));
    expect(g.edges).toEqual([{ from: 'service:test', to: 'service:another', kind: 'depends_on', condition: 'service_started' }]);
    expect(g.dependenciesOf('test')).toEqual(['another']);
    expect(g.dependentsOf('another')).toEqual(['test']);
    expect(g.dependenciesOf('another')).toEqual([]);
  });

  it('builds graph with a service and optional (missing) dependency: the edge is dropped', () => {
    const g = buildGraph(project({ test: { image: 'x', depends_on: { another: started(false) } } }));
    expect(g.nodes).toEqual(['service:test']);
    expect(g.edges).toEqual([]);
  });

  it('builds graph with a service and required (missing) dependency', () => {
    const errs = composeErrorsOf(() => buildGraph(project({ test: { image: 'x', depends_on: { another: started(true) } } })));
    expect(errs.map((e) => e.detail)).toEqual(['service "test" depends on unknown service "another"']);
    expect(errs[0].location?.path).toEqual(['services', 'test', 'depends_on', 'another']);
  });

  it('builds graph with a service and disabled dependency (profiles are applied first)', () => {
    const p = project({
      test: { image: 'x', depends_on: { another: started(true) } },
      another: { image: 'x', profiles: ['test'], depends_on: {} },
    });
    const errs = composeErrorsOf(() => buildGraph(applyProfiles(p, { profiles: [] })));
    expect(errs.map((e) => e.detail)).toEqual([
      'service "another" is required by "test" but is disabled. Can be enabled by profiles [test]',
    ]);
  });

  it('builds graph with multiple dependency levels', () => {
    const g = buildGraph(chain({ test: ['another'], another: ['another_dep'], another_dep: [] }));
    expect(g.startLevels()).toEqual([['service:another_dep'], ['service:another'], ['service:test']]);
    expect(g.dependenciesOf('test')).toEqual(['another', 'another_dep']);
    expect(g.dependentsOf('another_dep')).toEqual(['another', 'test']);
  });
});

describe('cycles', () => {
  it('compose-go Test_detectCycle: exampleGraph + B->D gives B -> D -> C -> B', () => {
    const errs = composeErrorsOf(() => buildGraph(exampleGraph([['B', 'D']])));
    expect(errs.map((e) => e.detail)).toEqual(['dependency cycle detected: B -> D -> C -> B']);
    expect(errs[0].location?.path).toEqual(['services', 'B', 'depends_on', 'D']);
  });

  it('the message does not depend on declaration order (services or depends_on keys)', () => {
    const orders = [
      ['A', 'B', 'C', 'D', 'E', 'F', 'G'],
      ['G', 'F', 'E', 'D', 'C', 'B', 'A'],
      ['D', 'B', 'F', 'A', 'G', 'C', 'E'],
    ];
    for (const order of orders) {
      const p = exampleGraph([['B', 'D']], order);
      // reverse every depends_on mapping too
      for (const svc of Object.values(p.services)) svc.depends_on = Object.fromEntries(Object.entries(svc.depends_on ?? {}).reverse());
      expect(composeErrorsOf(() => buildGraph(p)).map((e) => e.detail)).toEqual(['dependency cycle detected: B -> D -> C -> B']);
    }
  });

  it('rotates each cycle to its smallest name, whichever service starts it', () => {
    for (const deps of [
      { c: ['a'], a: ['b'], b: ['c'] },
      { b: ['c'], c: ['a'], a: ['b'] },
    ]) {
      expect(composeErrorsOf(() => buildGraph(chain(deps))).map((e) => e.detail)).toEqual(['dependency cycle detected: a -> b -> c -> a']);
    }
  });

  it('reports one error per independent cycle, sorted, and a self-dependency', () => {
    const errs = composeErrorsOf(() => buildGraph(chain({ z: ['y'], y: ['z'], m: ['m'], a: ['b'], b: ['a'], free: [] })));
    expect(errs.map((e) => e.detail)).toEqual([
      'dependency cycle detected: a -> b -> a',
      'dependency cycle detected: m -> m',
      'dependency cycle detected: y -> z -> y',
    ]);
  });

  it('findCycles works on any graph and ignores unknown successors', () => {
    const succ: Record<string, string[]> = { x: ['y', 'nowhere'], y: ['x'] };
    expect(findCycles(['y', 'x'], (n) => succ[n] ?? [])).toEqual([['x', 'y']]);
    expect(findCycles(['x'], () => [])).toEqual([]);
  });

  it('a cycle through links or namespaces is a cycle too', () => {
    const p = project({ a: { image: 'x', links: ['b:alias'] }, b: { image: 'x', network_mode: 'service:a' } });
    expect(composeErrorsOf(() => buildGraph(p)).map((e) => e.detail)).toEqual(['dependency cycle detected: a -> b -> a']);
  });

  describeCorpus(corpusPath('compose-go', 'loader', 'testdata'), 'compose-go fixtures', () => {
    /** The fixtures use the short depends_on list; the canonical form is a mapping. */
    function fixture(name: string): Project {
      const file = corpusPath('compose-go', 'loader', 'testdata', name)!;
      const raw = parseYaml(readFileSync(file, 'utf8'), file).value as { services: Record<string, { image: string; depends_on?: string[] }> };
      const services: Record<string, ServiceConfig> = {};
      for (const [n, s] of Object.entries(raw.services)) {
        services[n] = { image: s.image, depends_on: Object.fromEntries((s.depends_on ?? []).map((d) => [d, started()])) };
      }
      return project(services);
    }

    it('TestLoadDependsOnCycle: compose-depends-on-cycle.yaml', () => {
      expect(composeErrorsOf(() => buildGraph(fixture('compose-depends-on-cycle.yaml'))).map((e) => e.detail)).toEqual([
        'dependency cycle detected: service1 -> service2 -> service3 -> service1',
      ]);
    });

    it('TestLoadDependsOnSelf: compose-depends-on-self.yaml', () => {
      expect(composeErrorsOf(() => buildGraph(fixture('compose-depends-on-self.yaml'))).map((e) => e.detail)).toEqual([
        'dependency cycle detected: service1 -> service1',
      ]);
    });
  });
});

describe('levels and traversal', () => {
  it('compose-go TestInDependencyUpCommandOrder / ReverseDown: start test3, test2, test1; stop the reverse', () => {
    const g = buildGraph(chain({ test1: ['test2'], test2: ['test3'], test3: [] }));
    expect(g.startLevels().flat()).toEqual(['service:test3', 'service:test2', 'service:test1']);
    expect(g.stopLevels().flat()).toEqual(['service:test1', 'service:test2', 'service:test3']);
  });

  it('compose-go TestTraversalWithMultipleParents: 100 dependencies, each once, in one level', () => {
    const deps: Record<string, string[]> = { dependent: [] };
    for (let i = 1; i <= 100; i++) {
      deps[`svc_${i}`] = [];
      deps.dependent.push(`svc_${i}`);
    }
    const levels = buildGraph(chain(deps)).startLevels();
    expect(levels).toHaveLength(2);
    expect(levels[0]).toHaveLength(100);
    expect(new Set(levels[0]).size).toBe(100);
    expect(levels[0]).toEqual([...levels[0]].sort());
    expect(levels[1]).toEqual(['service:dependent']);
  });

  it('compose-go TestWith_RootNodesAndUp: a root and everything that depends on it', () => {
    const g = buildGraph(exampleGraph());
    const down = (roots: string[]): string[] => [...new Set(roots.flatMap((r) => [r, ...g.dependentsOf(r)]))].sort();
    expect(down(['A', 'B'])).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    expect(down(['F', 'G'])).toEqual(['F', 'G']);
    expect(down(['D'])).toEqual(['D', 'F']);
    expect(down(['B'])).toEqual(['B', 'C', 'D', 'E', 'F']);
    expect(down(['A'])).toEqual(['A', 'C', 'D', 'F', 'G']);
  });

  it('a diamond starts in three levels', () => {
    const g = buildGraph(chain({ top: ['left', 'right'], left: ['bottom'], right: ['bottom'], bottom: [] }));
    expect(g.startLevels()).toEqual([['service:bottom'], ['service:left', 'service:right'], ['service:top']]);
    expect(g.stopLevels()).toEqual([['service:top'], ['service:left', 'service:right'], ['service:bottom']]);
    expect(g.dependenciesOf('service:top')).toEqual(['bottom', 'left', 'right']);
  });

  it('a chain places each service one level after the deepest one it needs', () => {
    const g = buildGraph(chain({ d: ['c', 'a'], c: ['b'], b: ['a'], a: [] }));
    expect(g.startLevels()).toEqual([['service:a'], ['service:b'], ['service:c'], ['service:d']]);
  });

  it('networks and volumes come first, unused ones too; services follow by dependency level', () => {
    const p = project(
      {
        web: { image: 'x', networks: { front: null, back: null }, depends_on: { db: { condition: 'service_healthy', required: true } } },
        db: {
          image: 'x',
          networks: { back: {} },
          volumes: [
            { type: 'volume', source: 'data', target: '/var/lib/db' },
            { type: 'volume', target: '/anon' },
            { type: 'bind', source: '/srv', target: '/srv' },
          ],
        },
        host: { image: 'x', network_mode: 'host' },
      },
      {
        networks: { front: { name: 'p_front' }, back: { name: 'p_back' }, spare: { name: 'p_spare' } },
        volumes: { data: { name: 'p_data' } },
      },
    );
    const g = buildGraph(p);
    expect(g.startLevels()).toEqual([
      ['network:back', 'network:front', 'network:spare', 'volume:data'],
      ['service:db', 'service:host'],
      ['service:web'],
    ]);
    expect(g.nodes).toEqual(g.startLevels().flat());
    expect(g.edges).toEqual([
      { from: 'service:db', to: 'network:back', kind: 'network' },
      { from: 'service:db', to: 'volume:data', kind: 'volume' },
      { from: 'service:web', to: 'network:back', kind: 'network' },
      { from: 'service:web', to: 'network:front', kind: 'network' },
      { from: 'service:web', to: 'service:db', kind: 'depends_on', condition: 'service_healthy' },
    ]);
    expect(g.stopLevels()[0]).toEqual(['service:web']);
  });

  it('edges from links, volumes_from and namespaces keep their kind; container: references are outside the graph', () => {
    const p = project({
      web: {
        image: 'x',
        links: ['db:database', 'cache'],
        volumes_from: ['data:ro', 'container:outside'],
        ipc: 'service:cache',
        pid: 'service:cache',
        depends_on: { db: { condition: 'service_started', required: true, restart: true } },
      },
      db: { image: 'x' },
      cache: { image: 'x', network_mode: 'service:db' },
      data: { image: 'x' },
    });
    const g = buildGraph(p);
    expect(g.edges).toEqual([
      { from: 'service:cache', to: 'service:db', kind: 'namespace' },
      { from: 'service:web', to: 'service:cache', kind: 'link' },
      { from: 'service:web', to: 'service:cache', kind: 'namespace' },
      { from: 'service:web', to: 'service:data', kind: 'volumes_from' },
      { from: 'service:web', to: 'service:db', kind: 'depends_on', condition: 'service_started' },
      { from: 'service:web', to: 'service:db', kind: 'link' },
    ]);
    expect(g.startLevels()).toEqual([['service:data', 'service:db'], ['service:cache'], ['service:web']]);
  });

  it('reports every dangling reference at once', () => {
    const p = project({
      web: { image: 'x', links: ['ghost'], networks: { nowhere: null }, volumes: [{ type: 'volume', source: 'lost', target: '/l' }] },
    });
    expect(composeErrorsOf(() => buildGraph(p)).map((e) => e.detail)).toEqual([
      'service "web" depends on unknown service "ghost"',
      'service "web" refers to undefined network nowhere',
      'service "web" refers to undefined volume lost',
    ]);
  });

  it('asking about an unknown service is an error', () => {
    const g = buildGraph(chain({ a: [] }));
    expect(() => g.dependenciesOf('nope')).toThrow('no such service: nope');
  });

  it('does not modify the project', () => {
    const p = chain({ a: ['b'], b: [] });
    const before = JSON.stringify(p);
    buildGraph(p);
    expect(JSON.stringify(p)).toBe(before);
  });
});

describeCorpus(corpusPath('compose-go', 'inline-yaml-cases.json'), 'compose-go inline-yaml-cases.json, graph/graph_test.go', () => {
  /** Each expected error of graph_test.go, by test and line, and the ported scenario that must produce it. */
  const PORTED: Record<string, () => unknown> = {
    'TestBuildGraph:228': () => buildGraph(project({ test: { image: 'x', depends_on: { another: started(true) } } })),
    'TestBuildGraph:249': () =>
      buildGraph(
        applyProfiles(
          project({ test: { image: 'x', depends_on: { another: started(true) } }, another: { image: 'x', profiles: ['test'] } }),
          { profiles: [] },
        ),
      ),
    'Test_detectCycle:328': () => buildGraph(exampleGraph([['B', 'D']])),
  };
  const cases = JSON.parse(readFileSync(corpusPath('compose-go', 'inline-yaml-cases.json')!, 'utf8')) as {
    file: string;
    test: string;
    errors: { line: number; errorContains: string }[];
  }[];
  const expected = cases.filter((c) => c.file === 'graph/graph_test.go').flatMap((c) => c.errors.map((e) => ({ id: `${c.test}:${e.line}`, ...e })));

  it('has graph cases to port', () => {
    expect(expected.length).toBeGreaterThan(0);
  });

  for (const { id, errorContains } of expected) {
    it(`${id}: ${errorContains}`, () => {
      const scenario = PORTED[id];
      expect(scenario, `no ported scenario for ${id}`).toBeDefined();
      const errs = composeErrorsOf(scenario);
      expect(errs.map((e) => e.detail)).toContain(errorContains);
    });
  }
});

describe('formatGraph', () => {
  const sample = (): DependencyGraph =>
    buildGraph(
      project(
        {
          web: { image: 'x', networks: { default: null }, depends_on: { db: { condition: 'service_healthy', required: true } }, links: ['db'] },
          db: { image: 'x', networks: { default: null }, volumes: [{ type: 'volume', source: 'data', target: '/d' }] },
        },
        { networks: { default: { name: 'p_default' } }, volumes: { data: { name: 'p_data' } } },
      ),
    );

  it('text: one line per level, then the edges', () => {
    expect(formatGraph(sample(), 'text')).toBe(
      [
        'level 0: network:default, volume:data',
        'level 1: service:db',
        'level 2: service:web',
        'edges:',
        '  service:db -> network:default (network)',
        '  service:db -> volume:data (volume)',
        '  service:web -> network:default (network)',
        '  service:web -> service:db (depends_on: service_healthy)',
        '  service:web -> service:db (link)',
        '',
      ].join('\n'),
    );
  });

  it('text: a graph without edges prints only levels', () => {
    expect(formatGraph(buildGraph(chain({ a: [] })), 'text')).toBe('level 0: service:a\n');
  });

  it('dot', () => {
    expect(formatGraph(sample(), 'dot')).toBe(
      [
        'digraph berth {',
        '  rankdir=LR;',
        '  "network:default" [shape=ellipse];',
        '  "volume:data" [shape=cylinder];',
        '  "service:db" [shape=box];',
        '  "service:web" [shape=box];',
        '  "service:db" -> "network:default" [style=dashed];',
        '  "service:db" -> "volume:data" [style=dashed];',
        '  "service:web" -> "network:default" [style=dashed];',
        '  "service:web" -> "service:db" [label="service_healthy"];',
        '  "service:web" -> "service:db" [label="link"];',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('mermaid', () => {
    expect(formatGraph(sample(), 'mermaid')).toBe(
      [
        'flowchart LR',
        '  n0(["network:default"])',
        '  n1[("volume:data")]',
        '  n2["service:db"]',
        '  n3["service:web"]',
        '  n2 -.-> n0',
        '  n2 -.-> n1',
        '  n3 -.-> n0',
        '  n3 -->|"service_healthy"| n2',
        '  n3 -->|"link"| n2',
        '',
      ].join('\n'),
    );
  });

  it('is the same whatever the declaration order', () => {
    const a = project({ x: { image: 'i', depends_on: { y: started() } }, y: { image: 'i' } });
    const b = project({ y: { image: 'i' }, x: { image: 'i', depends_on: { y: started() } } });
    for (const f of ['text', 'dot', 'mermaid'] as const) expect(formatGraph(buildGraph(a), f)).toBe(formatGraph(buildGraph(b), f));
  });
});
