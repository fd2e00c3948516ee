// The config hash decides whether a service's container must be recreated. It covers what
// the container is made from and nothing that only orchestrates it (the fields compose
// leaves out: build, pull_policy, scale/replicas, depends_on, profiles, x- keys), plus
// the *contents* of the env files, configs and secrets it reads, so editing those is a change.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Project, ServiceConfig } from '../model/project.js';
import { stableStringify } from './stable-json.js';

const IGNORED_FIELDS = new Set(['build', 'pull_policy', 'scale', 'depends_on', 'profiles']);

export function serviceConfigHash(project: Project, serviceName: string, readFile: (p: string) => string = readOrMissing): string {
  const service = project.services[serviceName];
  if (!service) throw new Error(`no service "${serviceName}" in project ${project.name}`);
  const hash = createHash('sha256');
  hash.update(stableStringify(hashedView(service)));
  // File contents are hashed by name and content, in a fixed order.
  for (const file of filesRead(project, service)) {
    hash.update(`\0${file}\0`);
    hash.update(readFile(file));
  }
  return hash.digest('hex');
}

function hashedView(service: ServiceConfig): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(service)) {
    if (IGNORED_FIELDS.has(k) || k.startsWith('x-')) continue;
    if (k === 'deploy' && v && typeof v === 'object') {
      const { replicas: _r, ...rest } = v as Record<string, unknown>;
      view[k] = rest;
      continue;
    }
    view[k] = v;
  }
  return view;
}

function filesRead(project: Project, service: ServiceConfig): string[] {
  const files = new Set<string>();
  for (const f of service.env_file ?? []) files.add(f.path);
  for (const ref of service.configs ?? []) {
    const file = project.configs[ref.source]?.file;
    if (file) files.add(file);
  }
  for (const ref of service.secrets ?? []) {
    const file = project.secrets[ref.source]?.file;
    if (file) files.add(file);
  }
  return [...files].sort();
}

function readOrMissing(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    // An optional env file that does not exist hashes as absent; creating it is a change.
    return '\0missing\0';
  }
}
