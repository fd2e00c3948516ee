// translateProject: golden service specs for representative services, the objects beside them
// (networks, volumes, content-named configs and secrets), the fallbacks without IPVS, jobs,
// conditional refusals and placement groups.
import { describe, expect, it } from 'vitest';
import { ComposeError, ComposeErrors } from '../../src/errors.js';
import { loadProject } from '../../src/loader/loader.js';
import type { Project } from '../../src/model/project.js';
import { translateProject, withObjectIds, type TranslateOptions } from '../../src/swarm/translate.js';

function load(yaml: string): Project {
  return loadProject({ files: ['-'], readStdin: () => yaml, workingDir: '/srv/shop', environment: {}, projectName: 'shop' }).project;
}

const FILES: Record<string, string> = { '/srv/shop/token.txt': 's3cret\n' };
const readFile = (p: string): string => {
  if (!(p in FILES)) throw new Error(`ENOENT: ${p}`);
  return FILES[p];
};

function translate(yaml: string, opts: Partial<TranslateOptions> = {}) {
  return translateProject(load(yaml), { vip: true, readFile, ...opts });
}

function problems(yaml: string, opts: Partial<TranslateOptions> = {}): string[] {
  try {
    translate(yaml, opts);
  } catch (e) {
    if (e instanceof ComposeErrors) return e.errors.map((x) => x.message);
    if (e instanceof ComposeError) return [e.message];
    throw e;
  }
  return [];
}

const HASH = expect.stringMatching(/^[0-9a-f]{64}$/);
const STACK_LABELS = { 'com.docker.stack.namespace': 'shop', 'com.docker.compose.project': 'shop' };

const WEB = `
services:
  web:
    image: registry.lab/web:1.0
    entrypoint: /entry.sh
    command: ["serve", "--port", "80"]
    environment: { MODE: prod, UNSET: null }
    labels: { team: shop }
    hostname: web-host
    user: "1000:1000"
    working_dir: /app
    init: true
    read_only: true
    stop_signal: SIGQUIT
    stop_grace_period: 1m30s
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    sysctls: { net.core.somaxconn: 1024 }
    ulimits: { nofile: { soft: 1024, hard: 2048 } }
    dns: [10.9.0.1]
    dns_search: [lab.internal]
    dns_opt: [ndots:2]
    extra_hosts: ["db.local:10.0.0.5"]
    healthcheck: { test: ["CMD", "wget", "-q", "localhost"], interval: 10s, timeout: 2s, retries: 3, start_period: 5s }
    ports: ["8080:80", { target: 443, published: "8443", mode: host }]
    tmpfs: /run:size=64m,mode=1777
    volumes: [data:/data, /srv/conf:/conf:ro]
    logging: { driver: json-file, options: { max-size: 10m } }
    secrets: [token]
    configs: [{ source: site, target: /etc/site.conf, mode: 0440 }]
    networks: { front: { aliases: [www] } }
    deploy:
      # One replica: the loader still refuses a published port shared by replicas, an engine-wide check.
      replicas: 1
      labels: { tier: front }
      resources:
        limits: { cpus: '0.5', memory: 64M, pids: 100 }
        reservations: { cpus: '0.25', memory: 32M }
      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 2m }
      update_config: { parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.1, order: start-first }
      rollback_config: { parallelism: 1, order: stop-first }
      placement: { constraints: [node.role==worker], preferences: [{ spread: node.labels.zone }], max_replicas_per_node: 2 }
volumes:
  data: { driver_opts: { type: tmpfs, device: tmpfs } }
networks:
  front: {}
secrets:
  token: { file: ./token.txt }
configs:
  site: { content: hello }
`;

describe('translateProject: a representative service', () => {
  it('maps every key of the web service into one ServiceSpec', () => {
    const stack = translate(WEB, { digests: { 'registry.lab/web:1.0': 'sha256:1111' } });
    expect(stack.services.map((s) => s.key)).toEqual(['web']);
    expect(stack.services[0].spec).toEqual({
      Name: 'shop_web',
      Labels: { tier: 'front', ...STACK_LABELS, 'com.docker.stack.image': 'registry.lab/web:1.0', 'com.docker.compose.service': 'web', 'com.docker.compose.config-hash': HASH },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'registry.lab/web:1.0@sha256:1111',
          Labels: { team: 'shop', ...STACK_LABELS, 'com.docker.compose.service': 'web' },
          Command: ['/entry.sh'],
          Args: ['serve', '--port', '80'],
          Hostname: 'web-host',
          Env: ['MODE=prod'],
          Dir: '/app',
          User: '1000:1000',
          ReadOnly: true,
          Mounts: [
            {
              Type: 'volume',
              Source: 'shop_data',
              Target: '/data',
              VolumeOptions: {
                Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.volume': 'data', 'com.docker.compose.version': '2.24.0', 'com.docker.stack.namespace': 'shop' },
                DriverConfig: { Name: 'local', Options: { device: 'tmpfs', type: 'tmpfs' } },
              },
            },
            { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true },
            { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
          ],
          StopSignal: 'SIGQUIT',
          StopGracePeriod: 90e9,
          HealthCheck: { Test: ['CMD', 'wget', '-q', 'localhost'], Interval: 10e9, Timeout: 2e9, StartPeriod: 5e9, Retries: 3 },
          Hosts: ['10.0.0.5 db.local'],
          DNSConfig: { Nameservers: ['10.9.0.1'], Search: ['lab.internal'], Options: ['ndots:2'] },
          Secrets: [{ File: { Name: 'token', UID: '0', GID: '0', Mode: 0o444 }, SecretName: stack.secrets[0].name }],
          Configs: [{ File: { Name: '/etc/site.conf', UID: '0', GID: '0', Mode: 0o440 }, ConfigName: stack.configs[0].name }],
          Init: true,
          Sysctls: { 'net.core.somaxconn': '1024' },
          CapabilityAdd: ['NET_ADMIN'],
          CapabilityDrop: ['MKNOD'],
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        },
        Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024, Pids: 100 }, Reservations: { NanoCPUs: 2.5e8, MemoryBytes: 32 * 1024 * 1024 } },
        RestartPolicy: { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 3, Window: 120e9 },
        Placement: { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 2 },
        Networks: [{ Target: 'shop_front', Aliases: ['web', 'www'] }],
        LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      },
      Mode: { Replicated: { Replicas: 1 } },
      UpdateConfig: { Parallelism: 2, Delay: 10e9, FailureAction: 'rollback', Monitor: 30e9, MaxFailureRatio: 0.1, Order: 'start-first' },
      RollbackConfig: { Parallelism: 1, Order: 'stop-first' },
      EndpointSpec: {
        Mode: 'vip',
        Ports: [
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
          { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
        ],
      },
    });
    expect(stack.notices).toEqual(['services.web: bind mounts read the path on whichever node runs each task; Swarm does not create it, so it must exist on every node that may run the service']);
  });

  it('creates overlay networks, describes volumes, and names configs and secrets by content', () => {
    const stack = translate(WEB);
    expect(stack.networks).toEqual([
      {
        key: 'front',
        name: 'shop_front',
        external: false,
        spec: {
          Name: 'shop_front',
          Driver: 'overlay',
          Scope: 'swarm',
          Attachable: true,
          CheckDuplicate: true,
          Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.network': 'front', 'com.docker.compose.version': '2.24.0', 'com.docker.stack.namespace': 'shop' },
        },
      },
    ]);
    expect(stack.volumes).toEqual([
      { key: 'data', name: 'shop_data', external: false, driver: 'local', driverOptions: { device: 'tmpfs', type: 'tmpfs' }, labels: expect.objectContaining({ 'com.docker.stack.namespace': 'shop' }) },
    ]);
    // sha256("hello") = 2cf24dba…, sha256("s3cret\n") = …: the first 8 hex digits name the object.
    expect(stack.configs).toEqual([{ key: 'site', name: 'shop_site-2cf24dba', external: false, spec: { Name: 'shop_site-2cf24dba', Labels: STACK_LABELS, Data: Buffer.from('hello').toString('base64') } }]);
    expect(stack.secrets[0]).toMatchObject({ key: 'token', external: false, spec: { Data: Buffer.from('s3cret\n').toString('base64') } });
    expect(stack.secrets[0].name).toMatch(/^shop_token-[0-9a-f]{8}$/);
  });

  it('rotates a secret: new content is a new object name, the same content the same name', () => {
    const before = translate(WEB).secrets[0].name;
    expect(translate(WEB).secrets[0].name).toBe(before);
    const rotated = translateProject(load(WEB), { vip: true, readFile: (p) => (p.endsWith('token.txt') ? 'n3w\n' : readFile(p)) });
    expect(rotated.secrets[0].name).not.toBe(before);
    expect(rotated.services[0].spec.TaskTemplate.ContainerSpec.Secrets![0].SecretName).toBe(rotated.secrets[0].name);
    // The service's config hash covers the file's content too, so the service changes with it.
    expect(rotated.services[0].spec.Labels['com.docker.compose.config-hash']).not.toBe(translate(WEB).services[0].spec.Labels['com.docker.compose.config-hash']);
  });

  it('fills secret and config ids in once the objects exist, and refuses a spec missing one', () => {
    const stack = translate(WEB);
    const spec = withObjectIds(stack.services[0].spec, { secrets: { [stack.secrets[0].name]: 'sec-id' }, configs: { [stack.configs[0].name]: 'cfg-id' } });
    expect(spec.TaskTemplate.ContainerSpec.Secrets![0].SecretID).toBe('sec-id');
    expect(spec.TaskTemplate.ContainerSpec.Configs![0].ConfigID).toBe('cfg-id');
    expect(() => withObjectIds(stack.services[0].spec, { secrets: {} })).toThrow(/no id for secret shop_token-/);
  });
});

describe('translateProject: a Swarm without IPVS (vip: false)', () => {
  it('uses dnsrr and host-mode ports, and says so once', () => {
    const stack = translate(`
services:
  web: { image: busybox, ports: ["8080:80"] }
  api: { image: busybox, deploy: { endpoint_mode: vip } }
  db: { image: busybox, deploy: { endpoint_mode: dnsrr } }
`, { vip: false });
    const byKey = Object.fromEntries(stack.services.map((s) => [s.key, s.spec.EndpointSpec]));
    expect(byKey.web).toEqual({ Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] });
    expect(byKey.api).toEqual({ Mode: 'dnsrr' });
    expect(byKey.db).toEqual({ Mode: 'dnsrr' });
    expect(stack.notices).toEqual([
      'this Swarm cannot do VIP load balancing (no IPVS in the kernel): services use endpoint_mode dnsrr and publish their ports in host mode, on the node running each task (api, web)',
    ]);
  });

  it('refuses ingress ports with dnsrr where VIP exists (Swarm would reject the spec)', () => {
    expect(problems(`
services:
  web: { image: busybox, ports: ["8080:80"], deploy: { endpoint_mode: dnsrr } }
`)).toEqual(['services.web.ports[0].mode: ingress ports need endpoint_mode vip (the routing mesh balances over the virtual IP); publish in host mode (mode: host) or drop endpoint_mode: dnsrr']);
  });
});

describe('translateProject: modes, jobs and restart', () => {
  it('makes a one-shot that others wait for a replicated job restarting on failure', () => {
    const stack = translate(`
services:
  migrate: { image: busybox, command: ["true"] }
  api: { image: busybox, depends_on: { migrate: { condition: service_completed_successfully } } }
  agent: { image: busybox, deploy: { mode: global } }
  once: { image: busybox, deploy: { mode: global-job } }
  batch: { image: busybox, deploy: { mode: replicated-job, replicas: 4 } }
  scaled: { image: busybox, scale: 3 }
`);
    const spec = (k: string) => stack.services.find((s) => s.key === k)!.spec;
    expect(spec('migrate').Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(spec('migrate').TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure' });
    expect(spec('agent').Mode).toEqual({ Global: {} });
    expect(spec('once').Mode).toEqual({ GlobalJob: {} });
    expect(spec('api').Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec('batch').Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 4, TotalCompletions: 4 } });
    expect(spec('scaled').Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(stack.notices).toContain('services.migrate: runs as a replicated-job, because another service waits for it to complete successfully');
  });

  it('reads restart: when there is no deploy.restart_policy', () => {
    const stack = translate(`
services:
  a: { image: busybox, restart: "no" }
  b: { image: busybox, restart: always }
  c: { image: busybox, restart: unless-stopped }
  d: { image: busybox, restart: "on-failure:3" }
`);
    expect(stack.services.map((s) => s.spec.TaskTemplate.RestartPolicy)).toEqual([
      { Condition: 'none' },
      { Condition: 'any' },
      { Condition: 'any' },
      { Condition: 'on-failure', MaxAttempts: 3 },
    ]);
  });

  it('refuses what Swarm cannot do for some values only, each at its own key', () => {
    expect(problems(`
services:
  job: { image: busybox, deploy: { mode: replicated-job, restart_policy: { condition: any }, update_config: { parallelism: 1 } } }
  side: { image: busybox, network_mode: "service:job" }
  built: { build: . }
  ranged: { image: busybox, ports: ["8000-8001:80"] }
  tmp: { image: busybox, tmpfs: ["/t:size=1m,noexec"] }
  cpu: { image: busybox, cpus: 0.5, deploy: { resources: { limits: { cpus: '1' } } } }
  logs: { image: busybox, logging: { options: { max-size: 1m } } }
  glob: { image: busybox, deploy: { mode: global, replicas: 2 } }
  vol: { image: busybox, volumes: [{ type: cluster, source: csi, target: /c }] }
networks:
  local: { driver: bridge }
`)).toEqual([
      'networks.local.driver: Swarm services cannot use bridge networks (they belong to one node); use the overlay driver (or leave driver out) or deploy with --engine docker',
      'services.built.build: Swarm nodes pull their images from a registry: a service with only build: needs image: <registry>/<name> to push the build to; add image or deploy with --engine docker',
      'services.cpu.cpus: cpus (500000000) and deploy.resources.limits.cpus (1000000000) disagree; keep one of them',
      'services.glob.deploy.replicas: replicas cannot be set with mode global: a global service runs one task per node',
      'services.job.deploy.restart_policy.condition: a job cannot restart on any exit (it would never complete); use on-failure or none',
      'services.job.deploy.update_config: a replicated-job service has no update_config: a job runs to completion, it is not updated in place',
      'services.logs.logging.driver: Swarm needs the log driver named to pass it options; add logging.driver',
      'services.ranged.ports[0].published: Swarm publishes one port per target; the range 8000-8001 cannot be published (choose one port, or deploy with --engine docker)',
      'services.side.network_mode: Swarm services cannot use network_mode service:job (only host or none; services cannot join another\'s namespace); remove it or deploy with --engine docker',
      'services.tmp.tmpfs[0]: Swarm tmpfs mounts take only size=, mode= and ro; "noexec" cannot be set (remove it or deploy with --engine docker)',
      'services.vol.volumes[0].type: Swarm services cannot mount cluster volumes (not in the Swarm API 1.41); remove it or deploy with --engine docker',
    ]);
  });

  it('attaches network_mode host to the predefined host network', () => {
    const stack = translate(`
services:
  probe: { image: busybox, network_mode: host }
`);
    expect(stack.services[0].spec.TaskTemplate.Networks).toEqual([{ Target: 'host' }]);
  });
});

describe('translateProject: placement groups', () => {
  const GROUPS = (mode: string) => `
x-placement:
  groups:
    backend: { mode: ${mode}, services: [api, db] }
services:
  api: { image: busybox, command: ["httpd", "-f"], environment: { DB: db }, ports: ["8080:80"] }
  db: { image: busybox, command: ["nc", "-lk", "-p", "5432"], environment: { PGDATA: /data }, working_dir: /data, volumes: [data:/data] }
  web: { image: busybox }
volumes:
  data: {}
`;

  it('split: separate services, labelled with their group', () => {
    const stack = translate(GROUPS('split'));
    expect(stack.services.map((s) => s.spec.Name)).toEqual(['shop_api', 'shop_db', 'shop_web']);
    expect(stack.services[0].spec.Labels).toMatchObject({ 'io.berth.placement.group': 'backend', 'io.berth.placement.mode': 'split' });
  });

  it('pod: separate services pinned to one node, on a shared overlay, with a plain notice', () => {
    const stack = translate(GROUPS('pod'), { podConstraints: { backend: 'node.hostname==node2' } });
    const api = stack.services.find((s) => s.key === 'api')!.spec;
    const db = stack.services.find((s) => s.key === 'db')!.spec;
    for (const spec of [api, db]) {
      expect(spec.TaskTemplate.Placement).toEqual({ Constraints: ['node.hostname==node2'] });
      expect(spec.TaskTemplate.Networks).toContainEqual({ Target: 'shop_pod_backend', Aliases: [spec === api ? 'api' : 'db'] });
    }
    expect(stack.networks.map((n) => n.name)).toEqual(['shop_default', 'shop_pod_backend']);
    expect(stack.notices).toContain(
      'placement group "backend" (pod): Swarm cannot share network, IPC or PID namespaces between services, so api, db run as separate services on one node (node.hostname==node2) and reach each other by name on the overlay network shop_pod_backend, not over localhost',
    );
    // Without a caller's choice the constraint is a node label, and the notice says how to set it.
    const unlabelled = translate(GROUPS('pod'));
    expect(unlabelled.services[0].spec.TaskTemplate.Placement).toEqual({ Constraints: ['node.labels.io.berth.pod.shop_backend==true'] });
    expect(unlabelled.notices.join('\n')).toContain('docker node update --label-add io.berth.pod.shop_backend=true <node>');
  });

  it('single: one service runs the group, the others supervised by its command', () => {
    const stack = translate(GROUPS('single'));
    expect(stack.services.map((s) => [s.key, s.services, s.spec.Name])).toEqual([
      ['backend', ['api', 'db'], 'shop_backend'],
      ['web', ['web'], 'shop_web'],
    ]);
    const spec = stack.services[0].spec;
    expect(spec.TaskTemplate.ContainerSpec.Command).toEqual(['sh', '-c', '(cd /data && while :; do env PGDATA=/data BERTH_SERVICE=db nc -lk -p 5432; sleep 1; done) &\nexec httpd -f']);
    expect(spec.TaskTemplate.ContainerSpec.Args).toBeUndefined();
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(['DB=db']);
    expect(spec.TaskTemplate.ContainerSpec.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Source: 'shop_data', Target: '/data' })]);
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'shop_default', Aliases: ['api', 'db'] }]);
    expect(spec.EndpointSpec.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }]);
    expect(spec.Labels).toMatchObject({ 'io.berth.placement.group': 'backend', 'io.berth.placement.mode': 'single', 'io.berth.placement.role': 'main', 'io.berth.placement.members': 'db' });
  });

  it('single: every member needs a command, and runs as the main member\'s user', () => {
    expect(problems(`
x-placement:
  groups:
    g: { mode: single, services: [a, b] }
services:
  a: { image: busybox }
  b: { image: busybox, command: ["true"], user: nobody }
`)).toEqual([
      'services.a: runs in placement group "g" (single) on Swarm and needs an explicit command or entrypoint (the group\'s one container starts every member itself)',
      'services.b.user: runs in placement group "g" (single) and so as a\'s user; Swarm cannot start one member as another user (use --placement split or pod)',
    ]);
  });
});
