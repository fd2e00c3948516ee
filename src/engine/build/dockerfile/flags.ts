// Instruction flags the way BuildKit's BFlags reads them: `--name` for booleans (or
// `--name=true|false`), `--name=value` for strings, repeatable `--name=value` for lists. Each
// instruction declares what it accepts; anything else is an error naming the flag, and the
// parse goes on so one pass reports every bad flag.
import type { SourcePosition } from './errors.js';
import type { Span } from './line-parsers.js';

export type FlagKind = 'bool' | 'string' | 'strings';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface FlagValue {
  value: string;
  /** Where the flag starts (`--`). */
  position: SourcePosition;
  /** Where its value starts. */
  valuePosition: SourcePosition;
}

export interface ParsedFlags {
  bool(name: string): boolean;
  boolOrUndefined(name: string): boolean | undefined;
  string(name: string): FlagValue | undefined;
  strings(name: string): FlagValue[];
}

export interface FlagProblem {
  message: string;
  hint?: string;
  position: SourcePosition;
}

export function parseFlags(
  keyword: string,
  flags: readonly Span[],
  spec: FlagSpec,
  positionAt: (offset: number) => SourcePosition,
  problems: FlagProblem[],
): ParsedFlags {
  const bools = new Map<string, boolean>();
  const strings = new Map<string, FlagValue>();
  const lists = new Map<string, FlagValue[]>();
  const accepted = Object.keys(spec).sort();
  for (const flag of flags) {
    const position = positionAt(flag.start);
    const body = flag.text.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const value = eq >= 0 ? body.slice(eq + 1) : '';
    const valuePosition = positionAt(flag.start + 2 + name.length + 1);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      problems.push({
        message: `unknown flag: --${name}`,
        hint:
          accepted.length === 0
            ? `${keyword} takes no flags`
            : `${keyword} accepts ${accepted.map((f) => `--${f}`).join(', ')}`,
        position,
      });
      continue;
    }
    if (kind !== 'strings' && (bools.has(name) || strings.has(name))) {
      problems.push({ message: `duplicate flag specified: --${name}`, hint: 'give it once', position });
      continue;
    }
    if (kind === 'bool') {
      if (eq >= 0 && value === '') {
        problems.push({ message: `missing a value on flag: --${name}`, hint: `write --${name} or --${name}=true|false`, position });
        continue;
      }
      const lower = value.toLowerCase();
      if (lower !== '' && lower !== 'true' && lower !== 'false') {
        problems.push({ message: `expecting boolean value for flag --${name}, not: ${value}`, position: valuePosition });
        continue;
      }
      bools.set(name, lower !== 'false');
      continue;
    }
    if (eq < 0) {
      problems.push({ message: `missing a value on flag: --${name}`, hint: `write --${name}=<value>`, position });
      continue;
    }
    const entry = { value, position, valuePosition };
    if (kind === 'string') strings.set(name, entry);
    else lists.set(name, [...(lists.get(name) ?? []), entry]);
  }
  return {
    bool: (name) => bools.get(name) ?? false,
    boolOrUndefined: (name) => bools.get(name),
    string: (name) => strings.get(name),
    strings: (name) => lists.get(name) ?? [],
  };
}
