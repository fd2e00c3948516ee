// Plain-data helpers shared by the loader, the planner and the engine.

/**
 * A mapping as JSON or YAML parsing makes it: an object whose prototype is Object's (or none).
 * Arrays, null, class instances (the loader's `!reset`/`!override` tags, Dates, Buffers) are not.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
