// ONBUILD triggers: instructions a base recorded for whoever builds on it. BuildKit parses them
// when the base is used and runs them first thing in the new stage. They come from the base
// image's config (given by the solver) or from the ONBUILD lines of a base stage.
import { DockerfileError, DockerfileErrors, type SourcePosition } from '../dockerfile/errors.js';
import type { Stage, StageInstruction } from '../dockerfile/model.js';
import { parseDockerfile } from '../dockerfile/parse.js';

/**
 * Parses trigger expressions as instructions. A broken trigger is reported at the FROM that
 * brought it in, since it is not written in this Dockerfile.
 */
export function parseTriggers(
  expressions: readonly string[],
  file: string,
  from: SourcePosition,
  errors: DockerfileError[],
): StageInstruction[] {
  const out: StageInstruction[] = [];
  for (const expression of expressions) {
    try {
      const parsed = parseDockerfile(`FROM scratch\n${expression}\n`, { file });
      for (const instr of parsed.stages[0]?.instructions ?? []) out.push({ ...instr, position: from });
    } catch (e) {
      const inner = e instanceof DockerfileErrors ? e.errors : e instanceof DockerfileError ? [e] : undefined;
      if (!inner) throw e;
      for (const err of inner) {
        errors.push(
          new DockerfileError(`ONBUILD trigger of the base ${JSON.stringify(expression)}: ${err.detail}`, {
            file,
            position: from,
            hint: 'the trigger comes from the base image; use another base or fix its ONBUILD',
          }),
        );
      }
    }
  }
  return out;
}

/** The triggers a stage leaves to stages built on it: its own ONBUILD lines. */
export function stageTriggers(stage: Stage): string[] {
  return stage.instructions.flatMap((i) => (i.kind === 'ONBUILD' ? [i.expression] : []));
}
