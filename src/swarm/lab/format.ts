// `swarm-lab status` as text: a few lines about the lab, then one row per node.
import type { LabStatus } from './lab.js';

export function formatLabStatus(s: LabStatus): string {
  const lines = [
    `lab       ${s.dir} (${s.phase})`,
    `subnet    ${s.subnet} on bridge ${s.bridge} (the host has no address on it)`,
    `registry  ${s.registry.address} (${s.registry.running ? 'running' : 'not running'})`,
    `vip       ${s.vip === undefined ? 'unknown' : s.vip ? 'true' : 'false (no IPVS: services need endpoint_mode dnsrr and host-mode ports)'}`,
    `manager   ${s.managerDockerHost ? `DOCKER_HOST=${s.managerDockerHost}` : 'none running'}`,
  ];
  if (s.error) lines.push(`error     ${s.error}`);
  const rows = [
    ['NAME', 'ROLE', 'STATE', 'AVAILABILITY', 'ADDRESS', 'DOCKER_HOST'],
    ...s.nodes.map((n) => [
      n.name,
      n.leader ? `${n.role} (leader)` : n.role,
      n.daemon === 'running' ? n.state : 'dockerd stopped',
      n.availability,
      n.address ?? '',
      n.dockerHost,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
  return `${lines.join('\n')}\n\n${table.join('\n')}\n`;
}
