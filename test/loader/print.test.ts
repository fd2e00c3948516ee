import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Project } from '../../src/model/project.js';
import { printProject } from '../../src/loader/print.js';
import { validateSchema } from '../../src/loader/validate-schema.js';

function project(services: Project['services']): Project {
  return { name: 'p', services, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {} };
}

describe('printProject', () => {
  it('prints deploy.resources memory as a decimal string, which the schema requires (compose-go UnitBytes)', () => {
    const p = project({
      web: { image: 'nginx', mem_limit: 1024, deploy: { resources: { limits: { memory: 1610612736 }, reservations: { memory: 20971520 } } } },
    });
    const doc = YAML.parse(printProject(p, 'yaml')) as { services: { web: Record<string, any> } };
    expect(doc.services.web.deploy.resources.limits.memory).toBe('1610612736');
    expect(doc.services.web.deploy.resources.reservations.memory).toBe('20971520');
    // mem_limit may be a number in the schema: left as it is.
    expect(doc.services.web.mem_limit).toBe(1024);
    expect(validateSchema(doc)).toEqual([]);
  });

  it('escapes a literal $ as $$ in values of an interpolated model, like docker compose config', () => {
    const p = project({ web: { image: 'nginx', command: ['echo', '${bar}', '$$'], labels: { 'k$': 'a$b' } } });
    const doc = YAML.parse(printProject(p, 'yaml', { escapeDollars: true })) as { services: { web: Record<string, any> } };
    expect(doc.services.web.command).toEqual(['echo', '$${bar}', '$$$$']);
    // Keys are not interpolated, so they are not escaped.
    expect(doc.services.web.labels).toEqual({ k$: 'a$$b' });
    expect(JSON.parse(printProject(p, 'json', { escapeDollars: true })).services.web.command[1]).toBe('$${bar}');
  });

  it('leaves $ alone without escapeDollars (--no-interpolate output)', () => {
    const p = project({ web: { image: 'nginx', command: ['echo', '${bar}'] } });
    expect(printProject(p, 'yaml')).toContain('${bar}');
    expect(printProject(p, 'yaml')).not.toContain('$$');
  });
});
