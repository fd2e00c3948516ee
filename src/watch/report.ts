// The text a person sees for each cycle of the watch loop: what triggered it, which services
// changed and why (the top-level keys that differ), what was done, and how long detection,
// load, plan and apply took. One header line, then one line per service or resource touched.
import path from 'node:path';
import { BerthError } from '../errors.js';
import type { StackAction } from './applier.js';
import type { DevelopReport } from './develop-sync.js';
import type { ModelDiff } from './diff.js';
import type { CycleReport, CycleTimings } from './loop.js';

export interface PlannedCycle {
  diff: ModelDiff;
  actions: StackAction[];
}

const ms = (n: number | undefined) => `${Math.round(n ?? 0)}`;

export function formatTimings(t: CycleTimings): string {
  const parts = [`detect ${ms(t.detectMs)}`, `load ${ms(t.loadMs)}`];
  if (t.planMs !== undefined) parts.push(`plan ${ms(t.planMs)}`);
  if (t.applyMs !== undefined) parts.push(`apply ${ms(t.applyMs)}`);
  return `${parts.join(' · ')} ms`;
}

export function formatCycle(r: CycleReport<unknown, PlannedCycle, unknown>, cwd: string): string {
  const rel = (f: string) => {
    const p = path.relative(cwd, f);
    return p.startsWith('..') ? f : p;
  };
  const trigger =
    r.trigger.reason === 'initial'
      ? 'initial up'
      : r.trigger.reason === 'retry'
        ? 'retry'
        : // Files changed; a develop.watch rebuild request is named as it is.
          r.trigger.files.map((f) => (path.isAbsolute(f) ? `${rel(f)} changed` : f)).join(', ');
  const total = ms(r.finishedAt - r.startedAt + r.timings.detectMs);
  const lines: string[] = [];
  if (r.kind === 'invalid') {
    lines.push(`watch: ${trigger}: invalid, nothing applied (${formatTimings(r.timings)})`);
    lines.push(`  ${errorText(r.error)}`);
    lines.push('  the running stack is unchanged; fix the file and save again (still watching)');
    return lines.join('\n') + '\n';
  }
  if (r.kind === 'failed') {
    lines.push(`watch: ${trigger}: apply failed after ${total} ms (${formatTimings(r.timings)})`);
    lines.push(`  ${errorText(r.error)}`);
    lines.push(r.retryInMs !== undefined ? `  retrying in ${ms(r.retryInMs)} ms` : '  waiting for the next change');
    if (r.plan) lines.push(...detailLines(r.plan));
    return lines.join('\n') + '\n';
  }
  const changed = new Set([
    ...r.plan.diff.services.filter((s) => s.kind !== 'unchanged').map((s) => s.service),
    ...r.plan.actions.map((a) => a.target).filter((t) => !/^(network|volume) /.test(t)),
  ]).size;
  const what = r.plan.actions.length === 0 ? 'nothing to do' : `${changed} service${changed === 1 ? '' : 's'} changed`;
  lines.push(`watch: ${trigger}: ${what}, applied in ${total} ms (${formatTimings(r.timings)})`);
  lines.push(...detailLines(r.plan));
  return lines.join('\n') + '\n';
}

function detailLines(plan: PlannedCycle): string[] {
  const lines: string[] = [];
  const byTarget = new Map<string, StackAction[]>();
  for (const a of plan.actions) byTarget.set(a.target, [...(byTarget.get(a.target) ?? []), a]);
  const done = (target: string) => {
    const acts = byTarget.get(target);
    byTarget.delete(target);
    if (!acts?.length) return 'nothing to do';
    return acts.map((a) => (a.cause ? `${a.action} (${a.cause})` : a.action)).join(', ');
  };
  for (const s of plan.diff.services) {
    if (s.kind === 'unchanged' && !byTarget.has(s.service)) continue;
    const why = s.kind === 'added' ? 'added' : s.kind === 'removed' ? 'removed' : s.kind === 'changed' ? s.keys.join(', ') : 'unchanged';
    lines.push(`  ${s.service}: ${why} → ${done(s.service)}`);
  }
  for (const r of plan.diff.resources) lines.push(`  ${r.section.replace(/s$/, '')} ${r.name}: ${r.kind}`);
  // Steps for things the model diff does not name (a dependent restarted, a network created).
  for (const [target, acts] of byTarget) lines.push(`  ${target}: ${acts.map((a) => (a.cause ? `${a.action} (${a.cause})` : a.action)).join(', ')}`);
  return lines;
}

export function formatDevelop(r: DevelopReport): string {
  const parts: string[] = [];
  if (r.copied.length) parts.push(`${r.copied.length} copied`);
  if (r.removed.length) parts.push(`${r.removed.length} removed`);
  const files = parts.length ? ` ${parts.join(', ')}` : '';
  const where = r.containers.length ? ` in ${r.containers.length} container${r.containers.length === 1 ? '' : 's'}` : '';
  if (r.error) return `develop: ${r.service}: ${r.action} failed: ${r.error}\n`;
  if (r.action !== 'rebuild' && r.containers.length === 0) return `develop: ${r.service}: ${r.action}: no running container, skipped\n`;
  return `develop: ${r.service}: ${r.action}${files}${where} (${ms(r.ms)} ms)${r.output ? `\n${r.output.trimEnd()}` : ''}\n`;
}

function errorText(e: unknown): string {
  if (e instanceof BerthError) return e.message.split('\n').join('\n  ');
  return e instanceof Error ? `${e.message}` : String(e);
}
