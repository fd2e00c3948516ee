// How deep a stack file may nest. Every stage after parsing (interpolation, merge, extends,
// normalize, schema validation, printing, hashing) walks values recursively, and so does the
// `yaml` library's composer, which runs out of stack at 800–900 levels on its own. Bounding the
// depth once, where the text is parsed, keeps all of them within the stack and gives one located
// error instead of "Maximum call stack size exceeded".
//
// go-yaml (compose's parser) refuses 10,000 levels; real Compose files nest under 10. 200 leaves
// every recursive stage a wide margin whatever stack its caller already used.

/** Collections (mappings, sequences) inside one another, aliases expanded. */
export const MAX_NESTING = 200;

/** `${A:-${B:-…}}`: variables nested in each other's defaults, alternates and messages. */
export const MAX_TEMPLATE_NESTING = 100;

/** The nesting of a plain value (a scalar is 0, `[]` is 1), measured without recursion. */
export function nestingOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    const here = Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? depth + 1 : depth;
    if (here > deepest) deepest = here;
    for (const c of children) stack.push([c, here]);
  }
  return deepest;
}
