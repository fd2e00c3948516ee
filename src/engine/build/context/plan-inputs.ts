// Where the plan meets the context: the selection digests a step's cache key needs from the
// build context, and a check that every context source of a plan exists, reported all at once
// at the instructions that name them.
import { DockerfileError } from '../dockerfile/errors.js';
import type { BuildPlan, PlannedStep } from '../plan/types.js';
import { ContextError } from './errors.js';
import { selectSource } from './select.js';
import type { ContextIndex } from './walk.js';

/**
 * The context selection digests of a step, aligned with its sources (COPY/ADD) or its mounts
 * (RUN): undefined where the input does not come from the context (stages, images, URLs and
 * heredocs are the solver's or already in the key).
 */
export function stepContextDigests(step: PlannedStep, index: ContextIndex): (string | undefined)[] {
  const op = step.op;
  if (op.op === 'copy') {
    return op.sources.map((s) =>
      s.kind === 'path' && s.from.kind === 'context' ? selectSource(index, s.path, { what: op.instruction, excludes: op.excludes }).digest : undefined,
    );
  }
  if (op.op === 'run') {
    return op.mounts.map((m) => (m.type === 'bind' && m.from.kind === 'context' ? selectSource(index, m.source ?? '.', { what: 'RUN --mount' }).digest : undefined));
  }
  return [];
}

/** Every missing or excluded context source of the plan, located at its instruction. */
export function checkContextSources(plan: BuildPlan, index: ContextIndex): DockerfileError[] {
  const errors: DockerfileError[] = [];
  const check = (step: PlannedStep, source: string, what: string, excludes?: readonly string[]): void => {
    try {
      selectSource(index, source, { what, excludes });
    } catch (e) {
      if (!(e instanceof ContextError)) throw e;
      errors.push(new DockerfileError(e.detail, { file: plan.file, position: step.position, hint: e.hint, cause: e }));
    }
  };
  for (const step of plan.stages.flatMap((s) => s.steps)) {
    const op = step.op;
    if (op.op === 'copy') {
      for (const s of op.sources) if (s.kind === 'path' && s.from.kind === 'context') check(step, s.path, op.instruction, op.excludes);
    } else if (op.op === 'run') {
      for (const m of op.mounts) if (m.type === 'bind' && m.from.kind === 'context') check(step, m.source ?? '.', 'RUN --mount');
    }
  }
  return errors;
}
