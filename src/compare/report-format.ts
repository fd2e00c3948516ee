// Number formatting and per-cell text shared by the table, the HTML page and the chart, so all
// three say the same thing in the same words.

import type { BlastOutcome, MetricKey, ModeReport, Spread } from './result.js';

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** "12.3" for one run, "12.3 (11.9–13.0)" for a spread. */
export function formatSpread(s: Spread | undefined): string {
  if (!s) return '–';
  if (s.n === 1 || s.min === s.max) return formatNumber(s.median);
  return `${formatNumber(s.median)} (${formatNumber(s.min)}–${formatNumber(s.max)})`;
}

export function metricCell(mode: ModeReport, key: MetricKey): string {
  const s = mode.spread[key];
  if (!s && (key === 'killRecoveryMs' || key === 'oomRecoveryMs')) {
    // No figure because the app never came back by itself: say that, it is the finding.
    const exp = key === 'killRecoveryMs' ? 'kill' : 'memory-limit';
    const missed = mode.runs.filter((r) => r.blast.some((b) => b.experiment === exp && b.effective && b.recoveredMs === undefined)).length;
    if (missed > 0) return `not served again${missed < mode.runs.length ? ` in ${missed} of ${mode.runs.length} runs` : ''}`;
  }
  return formatSpread(s);
}

/** "api survived, db restarted" for the first run (outcomes rarely differ; when they do, say so). */
export function blastCell(mode: ModeReport, experiment: BlastOutcome['experiment']): string {
  const outcomes = mode.runs.map((r) => r.blast.find((b) => b.experiment === experiment)).filter((b): b is BlastOutcome => b !== undefined);
  if (outcomes.length === 0) return '–';
  const texts = outcomes.map((b) => (b.effective ? b.members.map((m) => `${m.service} ${m.outcome === 'target' ? 'hit' : m.outcome}`).join(', ') : `no effect${b.note ? ` (${b.note})` : ''}`));
  const distinct = [...new Set(texts)];
  return distinct.length === 1 ? distinct[0] : distinct.map((t, i) => `${i ? '| ' : ''}${t}`).join(' ');
}

export function scalingCell(mode: ModeReport): string {
  const s = mode.runs.find((r) => r.scaling)?.scaling;
  if (!s) return '–';
  return s.allowed ? `${s.running}/${s.requested} replicas` : `no: ${s.note}`;
}

export function transportCell(mode: ModeReport): string {
  const t = [...new Set(mode.runs.map((r) => r.transport).filter((x): x is string => Boolean(x)))];
  return t.length ? t.join(', ') : '–';
}
