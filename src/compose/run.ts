// `run`: a one-off container of a service. Its dependencies are started first (as `up` would,
// unless --no-deps); the container is the service's create body with the overrides of the command
// line, the one-off labels (`com.docker.compose.oneoff=True`, a slug), no restart policy and, unless
// --service-ports, none of the service's published ports. Attached, it relays stdin/stdout/stderr
// and resolves with the container's exit code; --rm removes it afterwards.

import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ContainerCreateBody } from '../client/engine-port.js';
import { isNotFound } from '../client/engine-port.js';
import { buildGraph } from '../graph/graph.js';
import { containerSpec, imageOf } from '../plan/container-spec.js';
import { serviceConfigHash } from '../loader/hash.js';
import { splitShellWords } from '../loader/normalize/command.js';
import type { Project } from '../model/project.js';
import { UsageError } from '../errors.js';
import { containerLabels, LABEL } from '../observe/labels.js';
import { startDependencies, type ConvergeContext } from './converge.js';
import { executeBuilds } from './build.js';
import { planBuilds } from '../plan/builds.js';
import { relay, type Output } from './exec.js';
import { checkServices } from './lifecycle.js';

export interface RunOptions {
  /** --build: build the service's image first (otherwise only when it is missing). */
  build?: boolean;
  rm?: boolean;
  detach?: boolean;
  name?: string;
  /** `-e KEY=VALUE` (or `KEY`: taken from `environment`). */
  env?: string[];
  entrypoint?: string;
  /** `-p [ip:]host:container[/proto]`. */
  publish?: string[];
  servicePorts?: boolean;
  noDeps?: boolean;
  /** `-v source:target[:mode]`. */
  volumes?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  /** Keep stdin open and attached (default: attached when not detached). */
  stdin?: Readable;
  labels?: string[];
  environment?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
}

export interface RunResult {
  id: string;
  name: string;
  exitCode: number;
}

/** `-p` in Docker's short syntax → the create body's PortBindings key and binding. */
export function parsePublish(spec: string): { key: string; binding: { HostIp: string; HostPort: string } } {
  const [addr, proto = 'tcp'] = spec.split('/');
  const parts = addr.split(':');
  let ip = '';
  let host = '';
  let target: string;
  if (parts.length === 1) target = parts[0];
  else if (parts.length === 2) [host, target] = parts;
  else {
    target = parts.pop()!;
    host = parts.pop()!;
    ip = parts.join(':');
  }
  if (!/^\d+(-\d+)?$/.test(target)) throw new UsageError(`-p ${spec}: the container port must be a number`);
  return { key: `${target}/${proto}`, binding: { HostIp: ip, HostPort: host } };
}

/** Builds the one-off container's create body (pure, for tests and `--dry-run`-style printing). */
export function oneOffBody(project: Project, service: string, command: string[], o: RunOptions, slug: string): { name: string; body: ContainerCreateBody; networks: ReturnType<typeof containerSpec>['networks'] } {
  const labels = {
    ...containerLabels({ project: project.name, service, number: 1, configHash: serviceConfigHash(project, service), oneoff: true }),
    [LABEL.slug]: slug,
  };
  const spec = containerSpec({ project, service, number: 1, labels, networksSupported: true });
  const body: ContainerCreateBody = structuredClone(spec.body);
  const hc = (body.HostConfig ??= {});
  if (command.length > 0) body.Cmd = command;
  if (o.entrypoint !== undefined) {
    body.Entrypoint = o.entrypoint === '' ? [''] : splitShellWords(o.entrypoint);
    if (command.length === 0) body.Cmd = [];
  }
  if (o.env && o.env.length > 0) {
    const env = new Map((body.Env ?? []).map((e) => [e.split('=')[0], e] as const));
    for (const e of o.env) {
      const key = e.split('=')[0];
      if (e.includes('=')) env.set(key, e);
      else if (o.environment?.[key] !== undefined) env.set(key, `${key}=${o.environment[key]}`);
    }
    body.Env = [...env.values()];
  }
  if (o.workdir) body.WorkingDir = o.workdir;
  if (o.user) body.User = o.user;
  for (const l of o.labels ?? []) {
    const eq = l.indexOf('=');
    (body.Labels ??= {})[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  if (!o.servicePorts) delete hc.PortBindings;
  for (const p of o.publish ?? []) {
    const { key, binding } = parsePublish(p);
    ((hc.PortBindings ??= {}) as Record<string, { HostIp: string; HostPort: string }[]>)[key] = [...((hc.PortBindings as Record<string, { HostIp: string; HostPort: string }[]>)[key] ?? []), binding];
    (body.ExposedPorts ??= {})[key] = {};
  }
  if (o.volumes && o.volumes.length > 0) hc.Binds = [...(hc.Binds ?? []), ...o.volumes];
  hc.RestartPolicy = { Name: 'no' };
  const attached = !o.detach;
  body.Tty = o.tty ?? false;
  body.OpenStdin = attached && o.stdin !== undefined;
  body.StdinOnce = attached && o.stdin !== undefined;
  body.AttachStdin = attached && o.stdin !== undefined;
  body.AttachStdout = attached;
  body.AttachStderr = attached;
  const name = o.name ?? `${project.name}-${service}-run-${slug.slice(0, 12)}`;
  return { name, body, networks: spec.networks };
}

export async function runOneOff(x: ConvergeContext, service: string, command: string[], o: RunOptions, out: Output): Promise<RunResult> {
  const project = x.project;
  checkServices({ port: x.port, name: project.name, model: project }, [service]);
  if (!o.noDeps) await startDependencies(x, buildGraph(project).dependenciesOf(service));
  if (project.services[service].build) {
    const image = imageOf(project, service);
    const present = o.build ? undefined : await x.port.images.inspect(image).then((i) => i.Id, () => undefined);
    await executeBuilds(x.port, project, planBuilds(project, [service], { [image]: present }, o.build ? 'always' : 'missing'), {}, x.progress);
  }
  const slug = randomBytes(32).toString('hex');
  const { name, body, networks } = oneOffBody(project, service, command, o, slug);
  const port = x.port;
  const { Id } = await port.containers.create(name, body);
  for (const n of networks.slice(1)) await port.networks.connect(n.name, Id, n.endpoint);
  if (o.detach) {
    await port.containers.start(Id);
    return { id: Id, name, exitCode: 0 };
  }
  try {
    // Attach and register the wait before start, so neither the first output nor the exit is missed.
    const output = await port.containers.attach(Id, { stdout: true, stderr: true, ...(o.stdin ? { stdin: o.stdin } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    const exited = port.containers.wait(Id, 'next-exit', o.signal);
    exited.catch(() => undefined);
    await port.containers.start(Id);
    await relay(output, out);
    const { StatusCode } = await exited;
    return { id: Id, name, exitCode: StatusCode };
  } finally {
    if (o.rm) {
      await port.containers.remove(Id, { force: true, volumes: true }).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }
}
