// The chart: one self-contained SVG (no scripts, no external fonts or styles) that any browser
// shows. Top: the latency distribution of every mode as a cumulative curve on a log time axis —
// where the curves part is where the layouts differ. Below: one small bar panel per metric (bar at
// the median, whisker from min to max over repetitions), the blast-radius matrix (which member
// survived, restarted or died when the database was killed or hit its memory limit) and scaling.

import { LatencyHistogram } from './histogram.js';
import { formatNumber, metricCell, scalingCell, transportCell } from './report-format.js';
import { METRICS, type BlastOutcome, type CompareReport, type MemberOutcome, type MetricKey, type ModeReport } from './result.js';

export const MODE_COLOURS: Record<string, string> = { split: '#1f6fb4', pod: '#e8730c', single: '#2e9e3e' };
const OUTCOME_COLOURS: Record<MemberOutcome, string> = { survived: '#5bb85d', restarted: '#f2b233', died: '#d9453d', target: '#9a9a9a' };
const WIDTH = 980;
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" ${attrs}>${escapeXml(s)}</text>`;
}

/** All runs of a mode merged into one distribution. */
function modeHistogram(mode: ModeReport): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const r of mode.runs) h.merge(LatencyHistogram.fromJSON(r.workload.histogram));
  return h;
}

function latencyPanel(report: CompareReport, top: number): { svg: string; height: number } {
  const height = 300;
  const left = 70;
  const right = WIDTH - 300;
  const plotTop = top + 30;
  const plotBottom = top + height - 40;
  const hists = report.modes.map((m) => ({ mode: m, h: modeHistogram(m) }));
  const all = hists.filter((x) => x.h.count > 0);
  const out: string[] = [];
  out.push(text(left, top + 16, 'Latency distribution (share of requests answered within x ms, all runs)', `${FONT} font-size="15" font-weight="bold" fill="#222"`));
  if (all.length === 0) {
    out.push(text(left, plotTop + 40, 'no per-request latencies (the workload reported only means)', `${FONT} font-size="13" fill="#666"`));
    return { svg: out.join('\n'), height: 110 };
  }
  const minNs = Math.min(...all.map((x) => x.h.summary().min as number));
  const maxNs = Math.max(...all.map((x) => x.h.summary().max as number));
  const lo = Math.floor(Math.log10(Math.max(1e3, minNs) / 1e6));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(minNs * 1.01, maxNs) / 1e6)));
  const xOf = (ns: number) => left + ((Math.log10(Math.max(ns, 1) / 1e6) - lo) / (hi - lo)) * (right - left);
  const yOf = (f: number) => plotBottom - f * (plotBottom - plotTop);
  // Axes and grid.
  out.push(`<rect x="${left}" y="${fmt(plotTop)}" width="${right - left}" height="${fmt(plotBottom - plotTop)}" fill="#fafafa" stroke="#bbb"/>`);
  for (let e = lo; e <= hi; e++) {
    const x = xOf(10 ** e * 1e6);
    out.push(`<line x1="${fmt(x)}" y1="${fmt(plotTop)}" x2="${fmt(x)}" y2="${fmt(plotBottom)}" stroke="#ddd"/>`);
    const label = 10 ** e >= 1 ? `${10 ** e} ms` : `${formatNumber(10 ** e)} ms`;
    out.push(text(x, plotBottom + 16, label, `${FONT} font-size="11" fill="#444" text-anchor="middle"`));
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    const y = yOf(f);
    out.push(`<line x1="${left}" y1="${fmt(y)}" x2="${right}" y2="${fmt(y)}" stroke="${f === 0.5 || f === 0.99 ? '#ccc' : '#eee'}"/>`);
    out.push(text(left - 6, y + 4, `${Math.round(f * 100)}%`, `${FONT} font-size="11" fill="#444" text-anchor="end"`));
  }
  out.push(text((left + right) / 2, plotBottom + 34, 'request latency (log scale)', `${FONT} font-size="12" fill="#333" text-anchor="middle"`));
  // One step curve per mode.
  hists.forEach(({ mode, h }, i) => {
    const colour = MODE_COLOURS[mode.mode] ?? '#555';
    const s = h.summary();
    if (h.count > 0) {
      let d = `M${fmt(xOf(s.min as number))},${fmt(yOf(0))}`;
      let prevY = yOf(0);
      for (const p of h.cdf()) {
        const x = xOf(p.ns);
        d += ` L${fmt(x)},${fmt(prevY)} L${fmt(x)},${fmt(yOf(p.fraction))}`;
        prevY = yOf(p.fraction);
      }
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2.2" data-mode="${escapeXml(mode.mode)}"/>`);
    }
    // Legend with the headline percentiles.
    const ly = plotTop + 4 + i * 72;
    out.push(`<rect x="${right + 20}" y="${fmt(ly)}" width="14" height="14" fill="${colour}"/>`);
    out.push(text(right + 40, ly + 12, mode.mode, `${FONT} font-size="14" font-weight="bold" fill="#222"`));
    const pct = (v: number | undefined) => (v === undefined ? '–' : `${formatNumber(v / 1e6)} ms`);
    out.push(text(right + 40, ly + 29, `p50 ${pct(s.p50)} · p99 ${pct(s.p99)}`, `${FONT} font-size="12" fill="#333"`));
    out.push(text(right + 40, ly + 44, `${h.count.toLocaleString('en-US')} requests`, `${FONT} font-size="11" fill="#666"`));
    out.push(text(right + 40, ly + 58, `app → db: ${transportCell(mode)}`, `${FONT} font-size="11" fill="#666"`));
  });
  return { svg: out.join('\n'), height };
}

const BAR_METRICS: MetricKey[] = ['upToHealthyMs', 'throughput', 'p99Ms', 'stackMemoryMaxMiB', 'stackCpuPercent', 'killRecoveryMs', 'oomRecoveryMs', 'p50Ms'];

function barPanels(report: CompareReport, top: number): { svg: string; height: number } {
  const cols = 4;
  const panelW = (WIDTH - 40) / cols;
  const panelH = 150;
  const keys = BAR_METRICS.filter((k) => report.modes.some((m) => metricCell(m, k) !== '–'));
  const out: string[] = [];
  keys.forEach((key, idx) => {
    const px = 20 + (idx % cols) * panelW;
    const py = top + Math.floor(idx / cols) * (panelH + 20);
    const { label, unit } = METRICS[key];
    out.push(text(px + 10, py + 14, `${label}`, `${FONT} font-size="13" font-weight="bold" fill="#222"`));
    out.push(text(px + 10, py + 28, unit, `${FONT} font-size="11" fill="#666"`));
    const maxV = Math.max(...report.modes.map((m) => m.spread[key]?.max ?? 0), 1e-9);
    const barTop = py + 40;
    const barH = 18;
    report.modes.forEach((m, i) => {
      const y = barTop + i * (barH + 10);
      const s = m.spread[key];
      const x0 = px + 58;
      const span = panelW - 130;
      out.push(text(px + 10, y + 13, m.mode, `${FONT} font-size="11" fill="#333"`));
      if (!s) {
        const why = metricCell(m, key);
        out.push(text(x0, y + 13, why === '–' ? 'not measured' : why, `${FONT} font-size="11" fill="${why === '–' ? '#999' : '#c0392b'}"`));
        return;
      }
      const w = (s.median / maxV) * span;
      out.push(`<rect x="${fmt(x0)}" y="${fmt(y)}" width="${fmt(Math.max(1, w))}" height="${barH}" fill="${MODE_COLOURS[m.mode] ?? '#555'}" data-mode="${escapeXml(m.mode)}" data-metric="${key}"/>`);
      if (s.n > 1 && s.max > s.min) {
        const a = x0 + (s.min / maxV) * span;
        const b = x0 + (s.max / maxV) * span;
        out.push(`<line x1="${fmt(a)}" y1="${fmt(y + barH / 2)}" x2="${fmt(b)}" y2="${fmt(y + barH / 2)}" stroke="#222" stroke-width="1.2"/>`);
        out.push(`<line x1="${fmt(a)}" y1="${fmt(y + 4)}" x2="${fmt(a)}" y2="${fmt(y + barH - 4)}" stroke="#222"/>`);
        out.push(`<line x1="${fmt(b)}" y1="${fmt(y + 4)}" x2="${fmt(b)}" y2="${fmt(y + barH - 4)}" stroke="#222"/>`);
      }
      out.push(text(x0 + Math.max(w, s.n > 1 ? (s.max / maxV) * span : 0) + 6, y + 13, formatNumber(s.median), `${FONT} font-size="11" fill="#222"`));
    });
  });
  const rows = Math.ceil(keys.length / cols);
  return { svg: out.join('\n'), height: rows * (panelH + 20) };
}

function blastPanel(report: CompareReport, top: number): { svg: string; height: number } {
  const out: string[] = [];
  const members = report.stack.members;
  out.push(text(20, top + 16, 'Blast radius: what happened to each member when the database was hurt', `${FONT} font-size="15" font-weight="bold" fill="#222"`));
  const experiments: [BlastOutcome['experiment'], string][] = [
    ['kill', `${report.stack.database} killed (SIGKILL)`],
    ['memory-limit', `${report.stack.database} driven into its memory limit`],
  ];
  const cellW = 110;
  const rowH = 24;
  let y = top + 34;
  const blockW = 90 + members.length * cellW + 140;
  experiments.forEach(([exp, title], ei) => {
    const x0 = 20 + ei * (blockW + 20);
    out.push(text(x0, y + 12, title, `${FONT} font-size="12" fill="#333"`));
    members.forEach((mem, j) => out.push(text(x0 + 90 + j * cellW + cellW / 2, y + 30, mem, `${FONT} font-size="11" fill="#444" text-anchor="middle"`)));
    out.push(text(x0 + 90 + members.length * cellW + 8, y + 30, 'served again after', `${FONT} font-size="11" fill="#444"`));
    report.modes.forEach((m, i) => {
      const ry = y + 38 + i * rowH;
      out.push(text(x0, ry + 16, m.mode, `${FONT} font-size="12" fill="${MODE_COLOURS[m.mode] ?? '#333'}" font-weight="bold"`));
      const b = m.runs.map((r) => r.blast.find((x) => x.experiment === exp)).find((x) => x !== undefined);
      members.forEach((mem, j) => {
        const cx = x0 + 90 + j * cellW;
        const o = b?.effective ? b.members.find((x) => x.service === mem)?.outcome : undefined;
        const fill = o ? OUTCOME_COLOURS[o] : '#eee';
        out.push(`<rect x="${cx + 2}" y="${ry + 2}" width="${cellW - 4}" height="${rowH - 4}" fill="${fill}" rx="3"/>`);
        out.push(text(cx + cellW / 2, ry + 16, o ? (o === 'target' ? 'hit' : o) : b ? 'no effect' : 'not run', `${FONT} font-size="11" fill="#111" text-anchor="middle"`));
      });
      const rec = b?.effective ? (b.recoveredMs === undefined ? 'not within the wait' : `${formatNumber(b.recoveredMs)} ms`) : '–';
      out.push(text(x0 + 90 + members.length * cellW + 8, ry + 16, rec, `${FONT} font-size="11" fill="#222"`));
    });
  });
  y += 38 + report.modes.length * rowH + 14;
  // Legend.
  let lx = 20;
  for (const [o, c] of Object.entries(OUTCOME_COLOURS)) {
    out.push(`<rect x="${lx}" y="${y}" width="12" height="12" fill="${c}" rx="2"/>`);
    out.push(text(lx + 16, y + 10, o === 'target' ? 'hit (the database)' : o, `${FONT} font-size="11" fill="#333"`));
    lx += 130;
  }
  y += 44;
  out.push(text(20, y + 4, 'Scaling: three replicas of the app asked for', `${FONT} font-size="15" font-weight="bold" fill="#222"`));
  report.modes.forEach((m, i) => {
    out.push(text(20, y + 26 + i * 18, `${m.mode}:`, `${FONT} font-size="12" font-weight="bold" fill="${MODE_COLOURS[m.mode] ?? '#333'}"`));
    out.push(text(80, y + 26 + i * 18, scalingCell(m), `${FONT} font-size="12" fill="#222"`));
  });
  return { svg: out.join('\n'), height: y - top + 26 + report.modes.length * 18 + 10 };
}

export function renderSvg(report: CompareReport): string {
  const parts: string[] = [];
  let y = 0;
  parts.push(text(20, 28, `berth compare: ${report.stack.group} (${report.stack.members.join(' + ')}) — ${report.modes.map((m) => m.mode).join(' vs ')}`, `${FONT} font-size="19" font-weight="bold" fill="#111"`));
  const o = report.options;
  parts.push(
    text(20, 48, `${o.workload}, ${o.clients} clients, ${o.durationMs / 1000}s, ${o.repeat} run(s) per mode · ${report.machine.cpus} CPUs, Linux ${report.machine.kernel}${report.machine.loadAverage !== undefined ? `, load ${report.machine.loadAverage.toFixed(1)}` : ""} · ${report.createdAt.slice(0, 16).replace('T', ' ')} UTC`, `${FONT} font-size="12" fill="#555"`),
  );
  y = 62;
  const lat = latencyPanel(report, y);
  parts.push(lat.svg);
  y += lat.height + 10;
  const bars = barPanels(report, y);
  parts.push(bars.svg);
  y += bars.height + 10;
  const blast = blastPanel(report, y);
  parts.push(blast.svg);
  y += blast.height + 10;
  const height = Math.ceil(y);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="berth compare results">`,
    `<title>berth compare: ${escapeXml(report.modes.map((m) => m.mode).join(', '))}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    `</svg>`,
    '',
  ].join('\n');
}
