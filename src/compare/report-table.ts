// The side-by-side text table: one row per metric, one column per mode, each cell the median with
// the min–max spread over repetitions; then what survived the blast-radius experiments and what
// scaling each mode allowed. Plain text, aligned, no colour: it is pasted into READMEs.

import { blastCell, metricCell, scalingCell, transportCell } from './report-format.js';
import { METRICS, type CompareReport, type MetricKey } from './result.js';

export function renderTable(report: CompareReport): string {
  const modes = report.modes;
  const header = ['metric', ...modes.map((m) => m.mode)];
  const rows: string[][] = [];
  rows.push(['app → db over', ...modes.map(transportCell)]);
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    if (modes.every((m) => metricCell(m, key) === '–')) continue;
    const { label, unit } = METRICS[key];
    rows.push([`${label} (${unit})`, ...modes.map((m) => metricCell(m, key))]);
  }
  rows.push(['db killed: members', ...modes.map((m) => blastCell(m, 'kill'))]);
  rows.push(['db at mem limit: members', ...modes.map((m) => blastCell(m, 'memory-limit'))]);
  rows.push([`${modes[0]?.runs[0]?.scaling?.requested ?? 3} app replicas`, ...modes.map(scalingCell)]);
  const failures = modes.flatMap((m) => m.failures.map((f) => `${f.mode} run ${f.repetition}: ${f.stage}: ${f.message}`));

  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const o = report.options;
  out.push('');
  out.push(
    `workload: ${o.workload}, ${o.clients} clients, ${o.durationMs / 1000}s after ${o.warmupMs / 1000}s warm-up; ${o.repeat} run(s) per mode, cells are median (min–max)`,
  );
  out.push(`machine: ${report.machine.cpus} CPUs, ${Math.round(report.machine.memoryBytes / 2 ** 30)} GiB, Linux ${report.machine.kernel}, engine ${report.machine.engine}${report.machine.loadAverage !== undefined ? `, load average ${report.machine.loadAverage.toFixed(1)} at start` : ''}`);
  for (const f of failures) out.push(`failed: ${f}`);
  return `${out.join('\n')}\n`;
}

/** The same table as GitHub markdown, for the README. */
export function renderMarkdownTable(report: CompareReport): string {
  const modes = report.modes;
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| metric | ${modes.map((m) => m.mode).join(' | ')} |`, `|---|${modes.map(() => '---').join('|')}|`];
  lines.push(`| app → db over | ${modes.map((m) => esc(transportCell(m))).join(' | ')} |`);
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    if (modes.every((m) => metricCell(m, key) === '–')) continue;
    lines.push(`| ${METRICS[key].label} (${METRICS[key].unit}) | ${modes.map((m) => esc(metricCell(m, key))).join(' | ')} |`);
  }
  lines.push(`| db killed: members | ${modes.map((m) => esc(blastCell(m, 'kill'))).join(' | ')} |`);
  lines.push(`| db at mem limit: members | ${modes.map((m) => esc(blastCell(m, 'memory-limit'))).join(' | ')} |`);
  lines.push(`| 3 app replicas | ${modes.map((m) => esc(scalingCell(m))).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}
