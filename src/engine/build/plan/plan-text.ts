// The text form of a BuildPlan: a short header (target, platforms, levels, what must be
// resolved or read), then one line per step, `[stage builder 2/5] RUN go build …`. Golden
// tests compare it and a dry run prints it.
import type { BuildPlan } from './types.js';

export function formatPlan(plan: BuildPlan): string {
  const byIndex = new Map(plan.stages.map((s) => [s.index, s]));
  const lines: string[] = [];
  const target = byIndex.get(plan.target.stage);
  lines.push(`target: ${target?.name ?? `stage ${plan.target.stage}`}${plan.target.defaulted ? ' (last stage)' : ''}`);
  lines.push(`platform: ${plan.targetPlatform} (built on ${plan.buildPlatform})`);
  lines.push(`levels: ${plan.levels.map((level, i) => `${i}[${level.map((s) => byIndex.get(s)?.label ?? s).join(' ')}]`).join(' ')}`);
  if (plan.images.length > 0) lines.push(`images: ${plan.images.join(' ')}`);
  if (plan.contextPaths.length > 0) lines.push(`context: ${plan.contextPaths.join(' ')}`);
  for (const stage of plan.stages) {
    const total = stage.steps.length;
    const prefix = stage.name ? `stage ${stage.name}` : `stage ${stage.index}`;
    for (const step of stage.steps) {
      lines.push(`[${prefix} ${step.ordinal}/${total}] ${step.trigger ? '(onbuild) ' : ''}${step.text}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
