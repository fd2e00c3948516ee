// Docker's list filters as moby's api/types/filters applies them, shared by the container,
// network and volume lists: which keys a list accepts (an unknown one is refused with dockerd's
// "Invalid filter 'key'"), exact and regular-expression matches, label conditions, booleans.
// Pure: the lists bring their own objects.

import { InvalidArgumentError, type Filters } from './backend.js';

/** dockerd's refusal of a filter: `Invalid filter 'key'` or `Invalid filter 'key=value'`. */
export function invalidFilter(key: string, value?: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid filter '${key}${value === undefined ? '' : `=${value}`}'`);
}

/** Refuses keys a list does not know (moby Args.Validate). */
export function validateFilterKeys(filters: Filters, accepted: readonly string[]): void {
  for (const key of Object.keys(filters)) if (!accepted.includes(key)) throw invalidFilter(key);
}

/** The values of a key; empty when the key is absent (then it does not filter). */
export function valuesOf(filters: Filters, key: string): readonly string[] {
  return filters[key] ?? [];
}

/** moby Args.ExactMatch: no values → true; else one value equals `source`. */
export function exactMatch(filters: Filters, key: string, source: string): boolean {
  const values = valuesOf(filters, key);
  return values.length === 0 || values.includes(source);
}

/**
 * moby Args.Match: no values → true; else one value equals `source` or, read as a regular
 * expression (unanchored, as Go's regexp.MatchString), matches it. A value that is not a valid
 * expression only matches exactly.
 */
export function regexMatch(filters: Filters, key: string, source: string): boolean {
  const values = valuesOf(filters, key);
  if (values.length === 0 || values.includes(source)) return true;
  return values.some((v) => {
    try {
      return new RegExp(v).test(source);
    } catch {
      return false;
    }
  });
}

/** One `label` condition: `key` (present) or `key=value` (equal). */
export function labelMatches(labels: Readonly<Record<string, string>> | null | undefined, want: string): boolean {
  const l = labels ?? {};
  const eq = want.indexOf('=');
  return eq < 0 ? Object.hasOwn(l, want) : l[want.slice(0, eq)] === want.slice(eq + 1);
}

/** moby Args.MatchKVList: every `label` condition holds (they AND). */
export function labelsMatch(filters: Filters, labels: Readonly<Record<string, string>> | null | undefined, key = 'label'): boolean {
  return valuesOf(filters, key).every((want) => labelMatches(labels, want));
}

/**
 * A true/false filter (`dangling`): any `true`/`1` value makes it true, as moby's ExactMatch
 * tests do, else `false`/`0`; anything else is `Invalid filter 'key=value'`.
 */
export function boolFilter(filters: Filters, key: string): boolean | undefined {
  const values = valuesOf(filters, key);
  if (values.length === 0) return undefined;
  if (values.includes('true') || values.includes('1')) return true;
  if (values.includes('false') || values.includes('0')) return false;
  throw invalidFilter(key, values[0]);
}
