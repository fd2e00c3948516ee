// Small helpers the planner shares.
import { createHash } from 'node:crypto';
import { stableStringify } from '../loader/stable-json.js';

/** sha256 of the stable JSON of a value: hashes of things that are not services (sandboxes, groups). */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
