// Flag values shared by several commands, each checked into its type or a usage error naming the flag.
import { UsageError } from '../errors.js';

/**
 * A boolean that defaults to true and is turned off as compose users write it: `--sig-proxy=false`
 * (commander gives the text), or `--no-…` (false). A bare flag is true.
 */
export function booleanFlag(flag: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new UsageError(`${flag}=${value}: expected true or false`);
}
