// How `stats` prints: docker's columns (CONTAINER ID, NAME, CPU %, MEM USAGE / LIMIT, MEM %,
// NET I/O, BLOCK I/O, PIDS), memory in binary units and I/O in decimal ones as docker shows them,
// or one JSON object per container with docker's keys.
import type { StatsRow } from '../compose/stats.js';
import { humanSize, table } from './format.js';

function binarySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(2).replace(/\.?0+$/, '')}${units[u]}`;
}

const percent = (v: number): string => `${v.toFixed(2)}%`;

function cells(r: StatsRow, noTrunc: boolean): Record<string, string> {
  return {
    ID: noTrunc ? r.id : r.id.slice(0, 12),
    Name: r.name,
    CPUPerc: percent(r.cpuPercent),
    MemUsage: `${binarySize(r.memoryBytes)} / ${binarySize(r.memoryLimitBytes)}`,
    MemPerc: percent(r.memoryPercent),
    NetIO: `${humanSize(r.netRxBytes)} / ${humanSize(r.netTxBytes)}`,
    BlockIO: `${humanSize(r.blockReadBytes)} / ${humanSize(r.blockWriteBytes)}`,
    PIDs: String(r.pids),
  };
}

export function statsTable(rows: readonly StatsRow[], noTrunc: boolean): string {
  return table([
    ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
    ...rows.map((r) => {
      const c = cells(r, noTrunc);
      return [c.ID, c.Name, c.CPUPerc, c.MemUsage, c.MemPerc, c.NetIO, c.BlockIO, c.PIDs];
    }),
  ]);
}

/** `--format json`: docker's keys, one object per line. */
export function statsJson(rows: readonly StatsRow[], noTrunc: boolean): string {
  return rows.map((r) => {
    const c = cells(r, noTrunc);
    return `${JSON.stringify({ BlockIO: c.BlockIO, CPUPerc: c.CPUPerc, Container: c.ID, ID: c.ID, MemPerc: c.MemPerc, MemUsage: c.MemUsage, Name: c.Name, NetIO: c.NetIO, PIDs: c.PIDs })}\n`;
  }).join('');
}
