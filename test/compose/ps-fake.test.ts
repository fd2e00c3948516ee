// ps on the fake engine: one list call, running only unless -a, filters, quiet and services forms,
// table with group and mode columns, JSON lines.
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../support/fake-engine.js';
import { containerLabels } from '../../src/observe/labels.js';
import { composePs } from '../../src/cli/format-ps.js';

async function engine() {
  const fake = new FakeEngine({ images: ['busybox'], now: () => 1_700_000_000_000 });
  const mk = async (service: string, placement?: { group: string; mode: 'pod'; role: 'member' }) => {
    const { Id } = await fake.containers.create(`app-${service}-1`, {
      Image: 'busybox',
      Cmd: ['sleep', '1'],
      Labels: containerLabels({ project: 'app', service, number: 1, configHash: 'h', ...(placement ? { placement } : {}) }),
      HostConfig: { PortBindings: service === 'web' ? { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } : {} },
    });
    return Id;
  };
  await fake.containers.start(await mk('web'));
  await fake.containers.start(await mk('api', { group: 'edge', mode: 'pod', role: 'member' }));
  await mk('job');
  fake.resetCalls();
  return fake;
}

describe('composePs', () => {
  it('lists running containers in a table with group, mode and ports, from one list call', async () => {
    const fake = await engine();
    const out = await composePs(fake, 'app', {}, 1_700_000_000_000);
    expect(out.split('\n')[0]).toMatch(/^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +GROUP +MODE +PORTS$/);
    expect(out).toMatch(/app-api-1 .* api .* edge +pod/);
    expect(out).toMatch(/app-web-1 .* - +split +127\.0\.0\.1:8080->80\/tcp/);
    expect(out).not.toContain('app-job-1');
    expect(fake.calls.map((c) => c.op)).toEqual(['container.list']);
  });

  it('-a, --status, --services, -q and --format json', async () => {
    const fake = await engine();
    expect(await composePs(fake, 'app', { all: true, services: true }, 0)).toBe('api\njob\nweb\n');
    expect(await composePs(fake, 'app', { status: ['created'], services: true }, 0)).toBe('job\n');
    expect(await composePs(fake, 'app', { filter: ['status=running'], quiet: true }, 0)).toBe(`${fake.container('app-api-1')!.Id}\n${fake.container('app-web-1')!.Id}\n`);
    const rows = (await composePs(fake, 'app', { format: 'json' }, 0)).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[1]).toMatchObject({ Name: 'app-web-1', Service: 'web', State: 'running', Group: '', Mode: 'split', Publishers: [{ URL: '127.0.0.1', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' }] });
    await expect(composePs(fake, 'app', { status: ['bogus'] }, 0)).rejects.toThrow(/--status bogus/);
  });
});
