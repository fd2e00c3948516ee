// Every normalisation of the conformance suite, in one place: what legitimately differs between
// two runs (or two engines) is replaced by a placeholder, so that what is left is the behaviour.
//   - the engine's own paths (state dirs, scratch dir)      → <root>, <work>, <home>
//   - ids (64 and 12 hex digits, sha256 digests)             → <id>, <id12>, sha256:<id>
//   - timestamps, Unix times, "… ago" and "Up …" durations   → <time>, <unix>, <dur>
//   - sizes (12.3kB, 4MiB, 0B)                                → <size>
//   - IPv4 addresses in the engines' subnets (10.212–214.x.y) → 10.N.N.y (the host part kept)
//   - MAC addresses                                            → <mac>
//   - the daemons' version strings                             → <version>
//   - runs of two or more spaces (table padding)               → two spaces
// A step can ask for extra rules by name (`Step.normalize`), defined here too.

import { SUBNET_PREFIXES } from './engines.js';

export interface NormalizeContext {
  /** Absolute paths to replace, longest first; each with its placeholder. */
  paths: [string, string][];
}

export type ExtraRule = 'pids' | 'numbers' | 'sortLines' | 'hostnames' | 'timePrecision';

const SUBNET = new RegExp(`\\b(?:${SUBNET_PREFIXES.map((p) => p.replace('.', '\\.')).join('|')})\\.\\d{1,3}\\.(\\d{1,3})\\b`, 'g');

const RULES: [RegExp, string][] = [
  [/sha256:[0-9a-f]{64}/g, 'sha256:<id>'],
  [/\b[0-9a-f]{64}\b/g, '<id>'],
  // ISO and Go's default time formats.
  [/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g, '<time>'],
  [/\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4}(?: [A-Z]{3,4})?)?/g, '<time>'],
  [/\b1[6-9]\d{8}(?:\d{9})?\b/g, '<unix>'],
  [/\b(?:Less than a second|About a minute|About an hour|an? (?:second|minute|hour)|\d+ (?:seconds?|minutes?|hours?|days?))\b/g, '<dur>'],
  // A zero size stays itself: "0B" where dockerd counts something is a difference worth seeing.
  [/\b(?!0(?:\.0+)?B\b)\d+(?:\.\d+)?(?:B|kB|KB|KiB|MB|MiB|GB|GiB)\b/g, '<size>'],
  [SUBNET, '10.N.N.$1'],
  [/\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi, '<mac>'],
  [/\b(?:20\.10\.\d+\+dfsg\d*|0\.1\.0(?:-\w+)?)\b/g, '<version>'],
  // 12-hex short ids last: after the 64-digit ones, not inside them.
  [/\b[0-9a-f]{12}\b/g, '<id12>'],
];

const EXTRA: Record<ExtraRule, (s: string) => string> = {
  /** `docker top`: the PID and PPID columns, and the start time. */
  pids: (s) => s.replace(/^(\S+\s+)\d+(\s+)\d+/gm, '$1<pid>$2<pid>').replace(/\b\d\d:\d\d(:\d\d)?\b/g, '<clock>'),
  /** Any number (counters, percentages). */
  numbers: (s) => s.replace(/\d+(?:\.\d+)?/g, '<n>'),
  /** Lines in any order. */
  sortLines: (s) => s.split('\n').filter((l) => l !== '').sort().join('\n') + (s.endsWith('\n') ? '\n' : ''),
  /** Names the daemon generates for unnamed containers (adjective_surname). */
  hostnames: (s) => s.replace(/\b[a-z]+_[a-z]+\b/g, '<generated-name>'),
  /** Applied before the time rule: keeps how many fractional digits a timestamp has. */
  timePrecision: (s) => s.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?Z/g, (_m, frac: string | undefined) => `<time .${frac?.length ?? 0} digits>`),
};

const BEFORE: readonly ExtraRule[] = ['timePrecision'];

/**
 * The docker CLI's own noise, which depends on timing on either engine: when a `docker run`'s
 * start fails, the CLI cancels its wait for the exit and sometimes (not always) logs that.
 */
const CLI_NOISE = /^time="[^"]*" level=error msg="error waiting for container: context canceled"\n/gm;

export function normalizeText(text: string, ctx: NormalizeContext, extra: readonly ExtraRule[] = []): string {
  let s = text.replace(CLI_NOISE, '');
  for (const [p, placeholder] of ctx.paths) s = s.split(p).join(placeholder);
  for (const rule of extra) if (BEFORE.includes(rule)) s = EXTRA[rule](s);
  for (const [re, to] of RULES) s = s.replace(re, to);
  s = s.replace(/ {2,}/g, '  ').replace(/ +$/gm, '');
  for (const rule of extra) if (!BEFORE.includes(rule)) s = EXTRA[rule](s);
  return s;
}

/** Keys whose numeric values are times or process ids, wherever they appear in a JSON document. */
const TIME_KEYS = /^(Created|CreatedAt|time|timeNano|StartedAt|FinishedAt|Since|Until|LastTagTime|Start|End)$/;
const PID_KEYS = /^(Pid)$/;
const SIZE_KEYS = /^(Size|VirtualSize|SizeRw|SizeRootFs|SharedSize)$/;

/**
 * A JSON document flattened to `path → normalised leaf`: `Config.Env[0]`, `HostConfig.Binds`…
 * Empty arrays and objects are leaves (`[]`, `{}`), so null vs [] vs {} vs missing all differ.
 * A one-element top-level array (what `docker inspect X` prints) is unwrapped.
 */
export function flattenJson(doc: unknown, ctx: NormalizeContext): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, at: string, key: string): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) out.set(at, '[]');
      v.forEach((x, i) => walk(x, `${at}[${i}]`, key));
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) out.set(at, '{}');
      for (const [k, x] of entries) walk(x, at === '' ? normalizeKey(k, ctx) : `${at}.${normalizeKey(k, ctx)}`, k);
    } else if (typeof v === 'number' && TIME_KEYS.test(key)) out.set(at, '<time>');
    else if (typeof v === 'number' && PID_KEYS.test(key)) out.set(at, v === 0 ? '0' : '<pid>');
    else if (typeof v === 'number' && SIZE_KEYS.test(key)) out.set(at, v === 0 ? '0' : '<size>');
    else out.set(at, typeof v === 'string' ? JSON.stringify(normalizeText(v, ctx)) : JSON.stringify(v));
  };
  walk(Array.isArray(doc) && doc.length === 1 ? doc[0] : doc, '', '');
  return out;
}

/** Map keys can be ids or paths (`Containers.<id>`, `Volumes./data`): normalised like values. */
function normalizeKey(k: string, ctx: NormalizeContext): string {
  return normalizeText(k, ctx);
}
