// Durations and byte sizes in their canonical form: durations as Go prints them ("1m30s"),
// sizes as a number of bytes.
import { canonicalDuration, DurationError } from '../durations.js';
import { sizeAt } from './volumes.js';
import { errorAt, type Rule } from './walk.js';

export const duration: Rule = (value, at) => {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  try {
    return canonicalDuration(value);
  } catch (e) {
    if (e instanceof DurationError) throw errorAt(at, e.message, 'write a duration such as "30s", "1m30s" or "500ms"');
    throw e;
  }
};

export const bytes: Rule = (value, at) => sizeAt(at, value);

/** CPU counts: compose reads `cpus: '0.5'` as the number 0.5 (a float in compose-go's model). */
export const decimal: Rule = (value, at) => {
  if (typeof value !== 'string') return value;
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n)) throw errorAt(at, `invalid number: ${JSON.stringify(value)}`, 'write a number such as 0.5 or 2');
  return n;
};
