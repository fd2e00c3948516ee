import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KeyPath, Location } from '../../src/errors.js';
import { formatKeyPath } from '../../src/errors.js';
import type { DependsOn, PortConfig, Project, ServiceConfig } from '../../src/model/project.js';
import { parseYaml } from '../../src/loader/parse.js';
import { validateSemantics } from '../../src/loader/validate-semantics.js';
import { corpusPath } from '../corpus.js';

const started = (required = true): DependsOn => ({ condition: 'service_started', required });

function project(services: Record<string, ServiceConfig>, extra: Partial<Project> = {}): Project {
  return { name: 'p', services, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {}, ...extra };
}

/** [key path, message] of each problem, in the order reported. */
function problems(p: Project): [string, string][] {
  return validateSemantics(p).map((e) => [formatKeyPath(e.location?.path ?? []), e.detail]);
}

const port = (published: string | undefined, extra: Partial<PortConfig> = {}): PortConfig => ({ mode: 'ingress', target: 80, published, protocol: 'tcp', ...extra });

describe('validateSemantics: a valid project', () => {
  it('has no problems', () => {
    const p = project(
      {
        web: {
          image: 'x',
          networks: { front: null },
          depends_on: { db: started() },
          links: ['db:database'],
          ports: [port('8080'), port('8443', { target: 443 }), port(undefined), port('8080', { protocol: 'udp' })],
          secrets: [{ source: 'token' }],
          configs: [{ source: 'conf' }],
          container_name: 'web',
        },
        db: {
          image: 'x',
          networks: { front: {} },
          volumes: [
            { type: 'volume', source: 'data', target: '/d' },
            { type: 'volume', target: '/anonymous' },
            { type: 'bind', source: '/host', target: '/h' },
          ],
          ports: [port('5432', { host_ip: '127.0.0.1', target: 5432 })],
          build: { context: '.', secrets: [{ source: 'token' }] },
        },
        side: { image: 'x', network_mode: 'service:db', ipc: 'service:db', pid: 'host', volumes_from: ['db:ro', 'container:elsewhere'] },
      },
      {
        networks: { front: { name: 'p_front' } },
        volumes: { data: { name: 'p_data' } },
        secrets: { token: { name: 'p_token', file: '/t' } },
        configs: { conf: { name: 'p_conf', file: '/c' } },
      },
    );
    expect(problems(p)).toEqual([]);
  });
});

describe('validateSemantics: undefined references', () => {
  it('depends_on (compose-go TestValidateDependsOn wording)', () => {
    expect(problems(project({ myservice: { image: 'x', depends_on: { missingservice: started() } } }))).toEqual([
      ['services.myservice.depends_on.missingservice', 'service "myservice" depends on undefined service "missingservice"'],
    ]);
  });

  it('network_mode / ipc / pid service:x (compose-go TestValidateNetworkMode wording)', () => {
    const p = project({
      myservice: { image: 'x', network_mode: 'service:nonexistentservice', ipc: 'service:nope', pid: 'service:gone' },
    });
    expect(problems(p)).toEqual([
      ['services.myservice.ipc', `service "nope" not found for ipc 'service:nope'`],
      ['services.myservice.network_mode', `service "nonexistentservice" not found for network_mode 'service:nonexistentservice'`],
      ['services.myservice.pid', `service "gone" not found for pid 'service:gone'`],
    ]);
  });

  it('links and volumes_from', () => {
    const p = project({ web: { image: 'x', links: ['db:alias'], volumes_from: ['store:ro', 'service:other', 'container:fine'] } });
    expect(problems(p)).toEqual([
      ['services.web.links[0]', 'service "web" links to undefined service "db"'],
      ['services.web.volumes_from[0]', 'service "web" mounts volumes from undefined service "store"'],
      ['services.web.volumes_from[1]', 'service "web" mounts volumes from undefined service "other"'],
    ]);
  });

  it('reports a missing service once, at the attribute the user wrote, not at the implicit depends_on', () => {
    // normalize copies links / volumes_from / service:x into depends_on (compose-go TestExtendsWithServiceRef)
    const p = project({
      bar: { image: 'x', links: ['zot'], ipc: 'service:zot', depends_on: { zot: started() } },
    });
    expect(problems(p)).toEqual([['services.bar.links[0]', 'service "bar" links to undefined service "zot"']]);
  });

  it('networks, named volumes, secrets, configs, build secrets (compose-go TestValidateNamedVolume / TestValidateSecret wording)', () => {
    const p = project({
      myservice: {
        image: 'x',
        networks: { back: null },
        volumes: [
          { type: 'volume', source: 'myVolume', target: '/v' },
          { type: 'volume', target: '/anonymous' },
          { type: 'bind', source: '/not-a-volume', target: '/b' },
        ],
        secrets: [{ source: 'foo' }],
        configs: [{ source: 'bar' }],
        build: { context: '.', secrets: [{ source: 'baz' }] },
      },
    });
    expect(problems(p)).toEqual([
      ['services.myservice.build.secrets[0]', 'service "myservice" refers to undefined build secret baz'],
      ['services.myservice.configs[0]', 'service "myservice" refers to undefined config bar'],
      ['services.myservice.networks.back', 'service "myservice" refers to undefined network back'],
      ['services.myservice.secrets[0]', 'service "myservice" refers to undefined secret foo'],
      ['services.myservice.volumes[0]', 'service "myservice" refers to undefined volume myVolume'],
    ]);
  });

  it('the errors carry the hint and the location from locate', () => {
    const errs = validateSemantics(project({ web: { image: 'x', networks: { back: null } } }), (path: KeyPath) => ({ file: 'compose.yaml', line: 7, column: 7, path }));
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toBe(
      'compose.yaml:7:7: services.web.networks.back: service "web" refers to undefined network back (declare back under the top-level networks:)',
    );
  });
});

describe('validateSemantics: dependency cycles', () => {
  it('one error per cycle with the whole chain, the same whatever the declaration order', () => {
    const a = project({ c: { image: 'x', depends_on: { a: started() } }, b: { image: 'x', depends_on: { c: started() } }, a: { image: 'x', depends_on: { b: started() } } });
    const b = project({ a: { image: 'x', depends_on: { b: started() } }, b: { image: 'x', depends_on: { c: started() } }, c: { image: 'x', depends_on: { a: started() } } });
    expect(problems(a)).toEqual([['services.a.depends_on.b', 'dependency cycle detected: a -> b -> c -> a']]);
    expect(problems(b)).toEqual(problems(a));
  });

  it('self-dependency', () => {
    expect(problems(project({ service1: { image: 'x', depends_on: { service1: started() } } }))).toEqual([
      ['services.service1.depends_on.service1', 'dependency cycle detected: service1 -> service1'],
    ]);
  });

  it('a cycle through links points at the link', () => {
    expect(problems(project({ a: { image: 'x', links: ['b'] }, b: { image: 'x', volumes_from: ['a'] } }))).toEqual([
      ['services.a.links[0]', 'dependency cycle detected: a -> b -> a'],
    ]);
  });

  describe.skipIf(!corpusPath('compose-go', 'loader', 'testdata'))('compose-go fixtures, located in the file', () => {
    function load(name: string): { project: Project; locate: (p: KeyPath) => Location } {
      const file = corpusPath('compose-go', 'loader', 'testdata', name)!;
      const parsed = parseYaml(readFileSync(file, 'utf8'), name);
      const raw = parsed.value as { services: Record<string, { image: string; depends_on?: string[] }> };
      // The short list form, canonicalised the way normalize does it.
      const services: Record<string, ServiceConfig> = {};
      for (const [n, s] of Object.entries(raw.services)) {
        services[n] = { image: s.image, depends_on: Object.fromEntries((s.depends_on ?? []).map((d) => [d, started()])) };
      }
      // The canonical path names the dependency; the file holds it as a list item.
      const locate = (path: KeyPath): Location => {
        if (path[2] === 'depends_on' && typeof path[3] === 'string') {
          const i = raw.services[path[1] as string].depends_on!.indexOf(path[3]);
          return { ...parsed.sourceMap.locate([...path.slice(0, 3), i]), path };
        }
        return parsed.sourceMap.locate(path);
      };
      return { project: project(services), locate };
    }

    it('TestLoadDependsOnCycle: compose-depends-on-cycle.yaml', () => {
      const { project: p, locate } = load('compose-depends-on-cycle.yaml');
      const errs = validateSemantics(p, locate);
      expect(errs.map((e) => e.detail)).toEqual(['dependency cycle detected: service1 -> service2 -> service3 -> service1']);
      expect(errs[0].message).toMatch(/^compose-depends-on-cycle\.yaml:6:\d+: services\.service1\.depends_on\.service2: dependency cycle detected/);
    });

    it('TestLoadDependsOnSelf: compose-depends-on-self.yaml', () => {
      const { project: p, locate } = load('compose-depends-on-self.yaml');
      expect(validateSemantics(p, locate).map((e) => e.detail)).toEqual(['dependency cycle detected: service1 -> service1']);
    });
  });
});

describe('validateSemantics: container_name', () => {
  it('must be unique', () => {
    const p = project({ a: { image: 'x', container_name: 'same' }, b: { image: 'x', container_name: 'same' }, c: { image: 'x', container_name: 'other' } });
    expect(problems(p)).toEqual([['services.b.container_name', 'service "b" uses container_name "same", already used by service "a"']]);
  });

  it('cannot go with scale or deploy.replicas > 1', () => {
    const p = project({
      a: { image: 'x', container_name: 'a', scale: 3 },
      b: { image: 'x', container_name: 'b', deploy: { replicas: 2 } },
      c: { image: 'x', container_name: 'c', scale: 1 },
      d: { image: 'x', scale: 5 },
    });
    expect(problems(p)).toEqual([
      ['services.a.container_name', 'service "a" sets container_name "a" but runs 3 replicas; each container needs its own name'],
      ['services.b.container_name', 'service "b" sets container_name "b" but runs 2 replicas; each container needs its own name'],
    ]);
  });
});

describe('validateSemantics: published host ports', () => {
  const table: { desc: string; services: Record<string, ServiceConfig>; expected: [string, string][] }[] = [
    {
      desc: 'the same port in two services',
      services: { api: { image: 'x', ports: [port('8080')] }, web: { image: 'x', ports: [port('8080')] } },
      expected: [['services.web.ports[0]', 'service "web" publishes host port 8080/tcp, already published by service "api" (services.api.ports[0])']],
    },
    {
      desc: 'the same port twice in one service',
      services: { web: { image: 'x', ports: [port('80'), port('80', { target: 81 })] } },
      expected: [['services.web.ports[1]', 'service "web" publishes host port 80/tcp, already published by service "web" (services.web.ports[0])']],
    },
    {
      desc: 'different protocols do not clash',
      services: { a: { image: 'x', ports: [port('53')] }, b: { image: 'x', ports: [port('53', { protocol: 'udp' })] } },
      expected: [],
    },
    {
      desc: 'different specific addresses do not clash',
      services: { a: { image: 'x', ports: [port('80', { host_ip: '127.0.0.1' })] }, b: { image: 'x', ports: [port('80', { host_ip: '127.0.0.2' })] } },
      expected: [],
    },
    {
      desc: 'an empty host_ip means every address',
      services: { a: { image: 'x', ports: [port('80')] }, b: { image: 'x', ports: [port('80', { host_ip: '127.0.0.1' })] } },
      expected: [['services.b.ports[0]', 'service "b" publishes host port 127.0.0.1:80/tcp, already published by service "a" (services.a.ports[0])']],
    },
    {
      desc: '0.0.0.0 covers IPv4 addresses but not IPv6 ones',
      services: {
        a: { image: 'x', ports: [port('80', { host_ip: '0.0.0.0' })] },
        b: { image: 'x', ports: [port('80', { host_ip: '::1' })] },
        c: { image: 'x', ports: [port('80', { host_ip: '10.0.0.1' })] },
      },
      expected: [['services.c.ports[0]', 'service "c" publishes host port 10.0.0.1:80/tcp, already published by service "a" (services.a.ports[0])']],
    },
    {
      desc: ':: covers IPv6 addresses',
      services: { a: { image: 'x', ports: [port('80', { host_ip: '::' })] }, b: { image: 'x', ports: [port('80', { host_ip: '::1' })] } },
      expected: [['services.b.ports[0]', 'service "b" publishes host port [::1]:80/tcp, already published by service "a" (services.a.ports[0])']],
    },
    {
      // One engine refuses it when planning (test/plan/plan-errors.test.ts); a Swarm runs the replicas on different nodes.
      desc: 'a fixed port with several replicas loads: how many replicas bind it is the target\'s business',
      services: { web: { image: 'x', scale: 3, ports: [port('8080')] } },
      expected: [],
    },
    {
      desc: 'a range wide enough for every replica',
      services: { web: { image: 'x', deploy: { replicas: 3 }, ports: [port('8000-8002')] } },
      expected: [],
    },
    {
      desc: 'a range narrower than the replicas loads too (checked when planning containers)',
      services: { web: { image: 'x', scale: 3, ports: [port('8000-8001')] } },
      expected: [],
    },
    {
      desc: 'a range that another service fills with fixed ports',
      services: { a: { image: 'x', ports: [port('8000'), port('8001', { target: 81 })] }, b: { image: 'x', ports: [port('8000-8001')] } },
      expected: [['services.b.ports[0]', 'service "b" needs 1 host port(s) from 8000-8001/tcp, one per replica, but only 0 of them are free']],
    },
    {
      desc: 'two ranges sharing ports as long as each finds one',
      services: { a: { image: 'x', ports: [port('9000-9001')] }, b: { image: 'x', ports: [port('9000-9001')] }, c: { image: 'x', ports: [port('9001')] } },
      expected: [['services.b.ports[0]', 'service "b" needs 1 host port(s) from 9000-9001/tcp, one per replica, but only 0 of them are free']],
    },
    {
      desc: 'no published port: the engine picks one',
      services: { a: { image: 'x', scale: 4, ports: [port(undefined)] }, b: { image: 'x', ports: [port(undefined)] } },
      expected: [],
    },
  ];
  for (const row of table) {
    it(row.desc, () => {
      expect(problems(project(row.services))).toEqual(row.expected);
    });
  }
});

describe('validateSemantics: exclusive attributes (compose-go validation/ and consistency check)', () => {
  it('an external volume takes only name and x- keys (TestInvalidExternalAnd*Combination)', () => {
    const p = project({}, {
      volumes: {
        ext: { name: 'ext', external: true, driver: 'foobar', driver_opts: { a: 'b' }, labels: { l: 'v' }, 'x-note': 1 },
        ok: { name: 'ok', external: true },
        local: { name: 'p_local', driver: 'local' },
      },
    });
    expect(problems(p)).toEqual([
      ['volumes.ext.driver', 'conflicting parameters "external" and "driver" specified'],
      ['volumes.ext.driver_opts', 'conflicting parameters "external" and "driver_opts" specified'],
      ['volumes.ext.labels', 'conflicting parameters "external" and "labels" specified'],
    ]);
  });

  it('configs and secrets take one content source (validation TestValidateSecret wording)', () => {
    const p = project({}, {
      configs: {
        two: { name: 'p_two', file: '/f', content: 'x' },
        none: { name: 'p_none' },
        ext: { name: 'ext', external: true },
        drv: { name: 'p_drv', driver: 'vault' },
      },
      secrets: { s: { name: 'p_s', file: '/f', content: 'x' }, env: { name: 'p_env', environment: 'E' } },
    });
    expect(problems(p)).toEqual([
      ['configs.none', 'one of file|environment|content must be set'],
      ['configs.two', 'file|environment|content attributes are mutually exclusive'],
      ['secrets.s.content', 'content is not allowed for secrets'],
    ]);
  });

  it('network_mode and networks are mutually exclusive (TestBadServiceConfig wording)', () => {
    const p = project({ redis: { image: 'x', network_mode: 'bridge', networks: { front: null } }, ok: { image: 'x', network_mode: 'host' } }, {
      networks: { front: { name: 'p_front' } },
    });
    expect(problems(p)).toEqual([['services.redis.networks', 'service redis declares mutually exclusive `network_mode` and `networks`']]);
  });

  it('device requests: count is "all" or a number, and excludes device_ids', () => {
    const devices = [
      { capabilities: ['gpu'], count: 'some_string' },
      { capabilities: ['gpu'], count: 1, device_ids: ['0'] },
      { capabilities: ['gpu'], count: 'all' },
      { capabilities: ['gpu'], count: '2' },
      { capabilities: ['gpu'], device_ids: ['1'] },
    ];
    const p = project({ gpu: { image: 'x', deploy: { resources: { reservations: { devices } } } } });
    expect(problems(p)).toEqual([
      ['services.gpu.deploy.resources.reservations.devices[0].count', `invalid value "some_string", the only value allowed is 'all' or a number`],
      ['services.gpu.deploy.resources.reservations.devices[1]', '"count" and "device_ids" attributes are exclusive'],
    ]);
  });
});

describe('validateSemantics: x-placement', () => {
  const withPlacement = (services: Record<string, ServiceConfig>, placement: unknown): Project => project(services, { extensions: { 'x-placement': placement } });

  it('a valid placement has no problems', () => {
    const p = withPlacement(
      { api: { image: 'x' }, db: { image: 'x', scale: 1 }, worker: { image: 'x', scale: 3, network_mode: 'host' } },
      { mode: 'split', groups: { backend: { mode: 'pod', services: ['api', 'db'] }, loose: { mode: 'split', services: ['worker'] } } },
    );
    expect(problems(p)).toEqual([]);
  });

  it('unknown services', () => {
    const p = withPlacement({ api: { image: 'x' } }, { groups: { backend: { mode: 'pod', services: ['api', 'dbb'] } } });
    expect(problems(p)).toEqual([['x-placement.groups.backend.services[1]', 'placement group "backend" lists undefined service "dbb"']]);
  });

  it('a service in two groups', () => {
    const p = withPlacement({ api: { image: 'x' }, db: { image: 'x' } }, { groups: { b: { mode: 'pod', services: ['db'] }, a: { mode: 'single', services: ['api', 'db'] } } });
    expect(problems(p)).toEqual([['x-placement.groups.b.services[0]', 'service "db" is in placement groups "a" and "b"; a service belongs to one group at most']]);
  });

  it('a pod member that sets network_mode or ipc itself; pid only when the pod shares it', () => {
    const p = withPlacement(
      { api: { image: 'x', network_mode: 'host', pid: 'host' }, db: { image: 'x', ipc: 'private' }, cache: { image: 'x', pid: 'host' } },
      { groups: { backend: { mode: 'pod', services: ['api', 'db'] }, shared: { mode: 'pod', share_pid: true, services: ['cache'] } } },
    );
    expect(problems(p)).toEqual([
      ['services.api.network_mode', 'service "api" sets network_mode itself, but placement group "backend" (pod) shares the network namespace of its members'],
      ['services.cache.pid', 'service "cache" sets pid itself, but placement group "shared" (pod) shares the PID namespace of its members'],
      ['services.db.ipc', 'service "db" sets ipc itself, but placement group "backend" (pod) shares the IPC namespace of its members'],
    ]);
  });

  it('a single member sets any namespace, or its own scale > 1', () => {
    const p = withPlacement(
      { main: { image: 'x', pid: 'host' }, helper: { image: 'x', scale: 2 }, other: { image: 'x', deploy: { replicas: 4 } } },
      { groups: { one: { mode: 'single', services: ['main', 'helper', 'other'] } } },
    );
    expect(problems(p)).toEqual([
      ['services.helper.scale', 'service "helper" runs 2 replicas, but placement group "one" (single) runs its members in one container'],
      ['services.main.pid', 'service "main" sets pid itself, but placement group "one" (single) shares the PID namespace of its members'],
      ['services.other.deploy.replicas', 'service "other" runs 4 replicas, but placement group "one" (single) runs its members in one container'],
    ]);
  });

  it('a split group allows all of that', () => {
    const p = withPlacement({ a: { image: 'x', network_mode: 'host', scale: 2 } }, { groups: { g: { mode: 'split', services: ['a'] } } });
    expect(problems(p)).toEqual([]);
  });

  it('malformed shapes are left to the schema', () => {
    for (const placement of ['pod', { groups: 'x' }, { groups: { g: 'x' } }, { groups: { g: { mode: 'pod', services: 'a' } } }, { groups: { g: { mode: 'pod', services: [1] } } }]) {
      expect(problems(withPlacement({ a: { image: 'x' } }, placement))).toEqual([]);
    }
  });
});

describe('validateSemantics: reporting', () => {
  it('returns every problem together, sorted by location (file, line, column), then path', () => {
    const p = project({
      z: { image: 'x', depends_on: { ghost: started() } },
      a: { image: 'x', networks: { nowhere: null }, container_name: 'n' },
      b: { image: 'x', container_name: 'n' },
    });
    const lines: Record<string, number> = { 'services.z.depends_on.ghost': 2, 'services.a.networks.nowhere': 9, 'services.b.container_name': 5 };
    const errs = validateSemantics(p, (path) => ({ file: 'c.yaml', line: lines[formatKeyPath(path)], column: 3, path }));
    expect(errs.map((e) => e.location?.line)).toEqual([2, 5, 9]);
    // without positions: by key path
    expect(problems(p).map(([path]) => path)).toEqual(['services.a.networks.nowhere', 'services.b.container_name', 'services.z.depends_on.ghost']);
  });

  it('does not modify the project', () => {
    const p = project({ a: { image: 'x', depends_on: { a: started() }, ports: [port('80')] }, b: { image: 'x', ports: [port('80')] } });
    const before = JSON.stringify(p);
    validateSemantics(p);
    expect(JSON.stringify(p)).toBe(before);
  });
});
