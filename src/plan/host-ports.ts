// Host ports on one engine: every replica of a service binds its published ports, and one engine
// binds a host port once. The loader checked the port entries with one container per service
// (src/loader/published-ports.ts) — how many replicas run is the target's business: a Swarm places
// host-mode replicas on different nodes — so the replicas this plan runs (scale, deploy.replicas,
// --scale) are checked here, for containers.
import { ComposeError } from '../errors.js';
import { publishedPortProblems } from '../loader/published-ports.js';
import type { Project, ServiceConfig } from '../model/project.js';

export function hostPortErrors(project: Project, replicas: (svc: ServiceConfig, service: string) => number): ComposeError[] {
  return publishedPortProblems(project, (s) => replicas(project.services[s], s)).map((p) => new ComposeError(p.detail, { location: { path: p.path }, ...(p.hint ? { hint: p.hint } : {}) }));
}
