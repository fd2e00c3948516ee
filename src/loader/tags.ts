// Markers for the Compose merge tags. The parser turns `!reset` and `!override` nodes into
// these; merge honours them; `stripTags` removes whatever is left once merging is done.

import { isPlainObject } from '../lib/object.js';

/** `!reset`: the key is removed from the merged result, whatever the base file said. */
export class ResetTag {
  readonly tag = '!reset';
}

/** `!override value`: the value replaces the base one instead of being merged with it. */
export class OverrideTag {
  readonly tag = '!override';
  constructor(readonly value: unknown) {}
}

export function isReset(v: unknown): v is ResetTag {
  return v instanceof ResetTag;
}

export function isOverride(v: unknown): v is OverrideTag {
  return v instanceof OverrideTag;
}

/**
 * Applies what the tags mean to a model that is not merged with anything else (the first
 * file, or what is left after merging): `!reset` keys disappear, `!override` unwraps.
 */
export function stripTags(value: unknown): unknown {
  if (value instanceof OverrideTag) return stripTags(value.value);
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof ResetTag)).map(stripTags);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v instanceof ResetTag) continue;
      out[k] = stripTags(v);
    }
    return out;
  }
  return value;
}

