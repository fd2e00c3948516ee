// `berth compare --engine swarm` on a real 3-node lab: examples/swarm-layouts split across nodes
// (the database pinned to one node, the app kept off it) and as a pod on one node, each measured
// through the real HTTP workload (the host reaches the app's node through a relay into its
// namespace), then three app replicas asked for; nothing of either run is left on any node.
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrossNodes } from '../../src/compare/swarm-driver.js';
import { loadProject } from '../../src/loader/loader.js';
import { BUSYBOX_BINARY } from '../../src/swarm/lab/busybox.js';
import { labPrerequisitesMissing, pushBusybox, upLab } from '../../src/swarm/lab/lab.js';
import type { LabState } from '../../src/swarm/lab/state.js';
import { downLab } from '../../src/swarm/lab/teardown.js';
import { runCli } from '../cli/run-cli.js';
import { requirePrereq, type Prereq } from '../support/gates.js';

const EXAMPLE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../examples/swarm-layouts/compose.yaml');

describe('acrossNodes', () => {
  it('pins the database to one node and keeps the other members off it, keeping their own constraints', () => {
    const { project } = loadProject({ files: [EXAMPLE], environment: { LAB_REGISTRY: 'reg:5000' }, workingDir: path.dirname(EXAMPLE) });
    project.services.api.deploy = { placement: { constraints: ['node.role==worker'] } };
    const split = acrossNodes(project, { members: ['api', 'db'], database: 'db' }, 'node2');
    const constraints = (s: string) => (split.services[s].deploy as { placement?: { constraints?: string[] } }).placement?.constraints;
    expect(constraints('db')).toEqual(['node.hostname==node2']);
    expect(constraints('api')).toEqual(['node.role==worker', 'node.hostname!=node2']);
  });
});

const labMissing = await labPrerequisitesMissing();
const prereqs: Prereq[] = [
  { name: 'a swarm lab', missing: labMissing, install: 'run as root with docker.io, docker-registry, iproute2 and util-linux (scripts/install-system-deps.sh --tests)' },
  { name: 'busybox-static', missing: BUSYBOX_BINARY ? undefined : 'not installed', install: 'apt-get install busybox-static' },
];

describe('berth compare --engine swarm on a 3-node lab', () => {
  if (requirePrereq('berth compare on a Swarm lab', prereqs)) return;
  let dir: string;
  let state: LabState;
  let registry: string;

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/bsc-');
    state = await upLab({ dir, nodes: 3 });
    registry = (await pushBusybox(dir)).reference.replace(/\/busybox:latest$/, '');
  }, 180_000);

  afterAll(async () => {
    if (dir) await downLab(dir, { graceMs: 10_000 });
  }, 120_000);

  it('measures split across nodes against a pod on one node, through the real workload, and leaves nothing behind', async () => {
    const reports = mkdtempSync(path.join(dir, 'reports-'));
    const r = await runCli(['--engine', 'swarm', 'compare', '-f', EXAMPLE, '--modes', 'split,pod', '--duration', '2s', '--warmup', '0', '--no-blast', '--report-dir', reports], {
      cwd: dir,
      env: { DOCKER_HOST: state.nodes[0].dockerHost, LAB_REGISTRY: registry },
    });
    expect(r.stderr).toContain('comparing backend (api, db) as split, pod on the Swarm manager at');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(reports, 'compare.json'), 'utf8')) as { machine: { engine: string }; modes: { mode: string; runs: { workload: { requests: number; errors: number }; scaling?: { running: number }; leftovers: string[] }[]; failures: unknown[] }[] };
    expect(report.machine.engine).toMatch(/^Docker Swarm, 3 nodes/);
    for (const m of report.modes) {
      expect(m.failures).toEqual([]);
      const [run] = m.runs;
      expect(run.workload.requests).toBeGreaterThan(0);
      expect(run.workload.errors).toBe(0);
      expect(run.leftovers).toEqual([]);
    }
    // Host-mode port 8080 binds once per node: split keeps the app off the database's node (2 of 3
    // nodes left), a pod holds one node.
    expect(report.modes.map((m) => [m.mode, m.runs[0].scaling?.running])).toEqual([['split', 2], ['pod', 1]]);
    for (const n of state.nodes) {
      const node = new Docker({ socketPath: n.socket });
      expect(await node.listContainers({ all: true, filters: { label: ['com.docker.compose.project'] } })).toEqual([]);
      expect((await node.listVolumes()).Volumes ?? []).toEqual([]);
    }
    const manager = new Docker({ socketPath: state.nodes[0].socket });
    expect(await manager.listServices()).toEqual([]);
  }, 420_000);
});
