// The table walker behind normalisation: like compose-go's transform.Canonical, each rule is
// keyed by a path pattern (`services.*.ports`) and turns one value into its canonical form.
// The walker applies the first matching rule at a node, then walks the result's children,
// so a rule only deals with its own level (build string → mapping; then `build.args` has
// its own rule). Rules never mutate their input.
import { ComposeError, ComposeErrors, type KeyPath, type Location } from '../../errors.js';
import { PatternTable, type PatternCursor } from '../key-pattern.js';
import { isPlainObject } from '../../lib/object.js';

export interface RuleContext {
  projectName: string;
  /** Absolute: relative host paths are resolved against it. */
  projectDir: string;
  homeDir: string;
}

/** A rule returns the canonical value, or throws a ComposeError naming what is wrong. */
export type Rule = (value: unknown, path: KeyPath, ctx: RuleContext) => unknown;

export interface WalkResult {
  value: unknown;
  errors: ComposeError[];
}

/**
 * Applies `table` to every node of `value`. A rule that throws leaves the node as it was and
 * its error is collected, so one pass reports every problem.
 */
export function walk(
  value: unknown,
  table: PatternTable<Rule>,
  ctx: RuleContext,
  locate?: (path: KeyPath) => Location | undefined,
): WalkResult {
  const errors: ComposeError[] = [];
  // The path of the node being visited, one array for the whole walk: rules and errors get copies.
  const path: (string | number)[] = [];
  const visit = (node: unknown, cursor: PatternCursor<Rule>): unknown => {
    // No pattern matches at or below this path: the subtree is already canonical.
    if (cursor.dead) return node;
    let out = node;
    const rule = cursor.rule;
    if (rule) {
      const at = path.slice();
      try {
        out = rule(node, at, ctx);
      } catch (e) {
        const found = e instanceof ComposeErrors ? e.errors : e instanceof ComposeError ? [e] : undefined;
        if (!found) throw e;
        for (const err of found) {
          const where = err.location?.path ?? at;
          errors.push(err.withLocation({ ...locate?.(where), path: where }));
        }
        return node;
      }
    }
    // Nothing below has a rule: the children stay as they are.
    if (cursor.leaf) return out;
    if (Array.isArray(out)) {
      const next: unknown[] = [];
      for (let i = 0; i < out.length; i++) {
        path.push(i);
        next.push(visit(out[i], cursor.step(i)));
        path.pop();
      }
      return next;
    }
    if (isPlainObject(out)) {
      const next: Record<string, unknown> = {};
      for (const k of Object.keys(out)) {
        path.push(k);
        next[k] = visit(out[k], cursor.step(k));
        path.pop();
      }
      return next;
    }
    return out;
  };
  return { value: visit(value, table.start()), errors };
}

/** Errors raised inside a rule about one of the node's children carry the child's path. */
export function errorAt(path: KeyPath, detail: string, hint?: string): ComposeError {
  return new ComposeError(detail, { location: { path }, hint });
}

