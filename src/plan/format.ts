// The plan's text form: one line per step, in execution order — networks, volumes, then units by
// start level — and removals last. Deterministic: golden tests compare it, `up --dry-run` prints it.
import type { ContainerStep, Plan } from './plan.js';

function containerLine(s: ContainerStep): string {
  const id = s.existing && s.action !== 'create' ? ` [${s.existing.id.slice(0, 12)}]` : '';
  return `container ${s.name}: ${s.action} (${s.cause})${s.action === 'noop' ? '' : id}`;
}

export function formatPlan(plan: Plan, options: { includeNoop?: boolean } = {}): string {
  const lines: string[] = [];
  const includeNoop = options.includeNoop ?? true;
  for (const b of plan.builds) lines.push(`image ${b.image}: build (${b.cause})`);
  for (const p of plan.pulls ?? []) lines.push(`image ${p.image}: pull (${p.cause}) for ${p.services.join(', ')}`);
  for (const n of plan.networks) if (includeNoop || n.action === 'create') lines.push(`network ${n.name}: ${n.action} (${n.cause})`);
  for (const v of plan.volumes) if (includeNoop || v.action === 'create') lines.push(`volume ${v.name}: ${v.action} (${v.cause})`);
  for (const u of plan.units) {
    for (const s of u.steps) {
      if (!includeNoop && s.action === 'noop') continue;
      lines.push(`${containerLine(s)}${s.supervised?.length && s.action !== 'remove' ? ` + supervised ${s.supervised.map((m) => m.service).join(', ')}` : ''}`);
    }
  }
  for (const r of plan.removals) lines.push(containerLine(r));
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Stable form for golden tests: container ids stripped. */
export function formatPlanForTest(plan: Plan): string {
  return formatPlan(plan).replace(/ \[[0-9a-f]{12}\]/g, '');
}
