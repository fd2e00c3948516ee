// Comparing one step's outcome on the two engines, and matching the differences against the
// allow-list. Pure: no engines, no I/O but reading the allow-list file.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { flattenJson, normalizeText, type NormalizeContext } from './normalize.js';
import type { Step } from './script.js';

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One way a step differs: `part` is `exit`, `stdout`, `stderr` or `inspect:<key path>`. */
export interface Difference {
  step: string;
  part: string;
  builtin: string;
  dockerd: string;
}

export interface Allowed {
  step: string;
  /** `exit`, `stdout`, `stderr`, or `inspect:<key path>` where `*` matches any run of characters. */
  part: string;
  /** The item of issue #20's "Why" list it belongs to; `new` where #20 does not list it yet; `by design`. */
  item: number | 'by design' | 'new';
  reason: string;
  /** The difference comes and goes between runs: allowed, but exempt from the stale check. */
  flaky?: boolean;
}

const short = (s: string, max = 400): string => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);

/** A small line diff: the lines only one side has, each prefixed with the engine. */
export function lineDiff(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  const inB = new Map<string, number>();
  for (const l of bl) inB.set(l, (inB.get(l) ?? 0) + 1);
  const inA = new Map<string, number>();
  for (const l of al) inA.set(l, (inA.get(l) ?? 0) + 1);
  const onlyA = al.filter((l) => {
    const n = inB.get(l) ?? 0;
    if (n > 0) inB.set(l, n - 1);
    return n === 0;
  });
  const onlyB = bl.filter((l) => {
    const n = inA.get(l) ?? 0;
    if (n > 0) inA.set(l, n - 1);
    return n === 0;
  });
  return [...onlyA.map((l) => `  builtin: ${short(l, 200)}`), ...onlyB.map((l) => `  dockerd: ${short(l, 200)}`)].join('\n');
}

export function compareStep(step: Step, builtin: Outcome, dockerd: Outcome, ctx: { builtin: NormalizeContext; dockerd: NormalizeContext }): Difference[] {
  const diffs: Difference[] = [];
  const extra = step.normalize ?? [];
  const compareExit = step.compare?.exit ?? true;
  if (compareExit && builtin.code !== dockerd.code) diffs.push({ step: step.id, part: 'exit', builtin: String(builtin.code), dockerd: String(dockerd.code) });

  if (step.json) {
    const parse = (o: Outcome): unknown => {
      try {
        return JSON.parse(o.stdout);
      } catch {
        return undefined;
      }
    };
    const a = parse(builtin);
    const b = parse(dockerd);
    if (a === undefined || b === undefined) {
      const na = normalizeText(builtin.stdout, ctx.builtin, extra);
      const nb = normalizeText(dockerd.stdout, ctx.dockerd, extra);
      if (na !== nb) diffs.push({ step: step.id, part: 'stdout', builtin: short(na), dockerd: short(nb) });
    } else {
      const fa = flattenJson(a, ctx.builtin);
      const fb = flattenJson(b, ctx.dockerd);
      for (const key of new Set([...fa.keys(), ...fb.keys()])) {
        const va = fa.get(key) ?? '(missing)';
        const vb = fb.get(key) ?? '(missing)';
        if (va !== vb) diffs.push({ step: step.id, part: `inspect:${key}`, builtin: short(va, 200), dockerd: short(vb, 200) });
      }
    }
  } else if (step.compare?.stdout ?? true) {
    const na = normalizeText(builtin.stdout, ctx.builtin, extra);
    const nb = normalizeText(dockerd.stdout, ctx.dockerd, extra);
    if (na !== nb) diffs.push({ step: step.id, part: 'stdout', builtin: short(na), dockerd: short(nb) });
  }
  if (step.compare?.stderr ?? true) {
    const na = normalizeText(builtin.stderr, ctx.builtin, extra);
    const nb = normalizeText(dockerd.stderr, ctx.dockerd, extra);
    if (na !== nb) diffs.push({ step: step.id, part: 'stderr', builtin: short(na), dockerd: short(nb) });
  }
  return diffs;
}

function partMatches(pattern: string, part: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(part);
}

/**
 * The allow-list: `differences:` entries of step, part, item and reason. A list of steps (or of
 * parts) shares one reason and stands for one entry per step and part, each of which must still
 * differ.
 */
export function loadAllowList(file: string): Allowed[] {
  type Entry = Omit<Allowed, 'step' | 'part'> & { step: string | string[]; part: string | string[] };
  const doc = parse(readFileSync(file, 'utf8')) as { differences?: Entry[] } | null;
  const all = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
  const list: Allowed[] = (doc?.differences ?? []).flatMap((a) => all(a.step).flatMap((step) => all(a.part).map((part) => ({ ...a, step, part }))));
  for (const a of list) {
    if (typeof a.step !== 'string' || typeof a.part !== 'string' || typeof a.reason !== 'string' || a.reason.trim() === '') {
      throw new Error(`${file}: every entry needs step, part and reason: ${JSON.stringify(a)}`);
    }
    if (!(a.item === 'by design' || a.item === 'new' || (typeof a.item === 'number' && a.item >= 1 && a.item <= 10))) {
      throw new Error(`${file}: item must be 1–10 (#20 "Why"), "new" or "by design": ${JSON.stringify(a)}`);
    }
  }
  return list;
}

export interface Verdict {
  /** Differences no allow-list entry covers. */
  unexpected: Difference[];
  /** Allow-list entries that matched no difference (fixed: remove them). */
  stale: Allowed[];
  /** Differences the allow-list covers, with the entry. */
  allowed: { diff: Difference; entry: Allowed }[];
}

export function judge(diffs: readonly Difference[], allowList: readonly Allowed[], stepsRun: ReadonlySet<string>): Verdict {
  const used = new Set<Allowed>();
  const unexpected: Difference[] = [];
  const allowed: Verdict['allowed'] = [];
  for (const d of diffs) {
    const entry = allowList.find((a) => a.step === d.step && partMatches(a.part, d.part));
    if (entry) {
      used.add(entry);
      allowed.push({ diff: d, entry });
    } else unexpected.push(d);
  }
  const stale = allowList.filter((a) => !used.has(a) && !a.flaky && stepsRun.has(a.step));
  const unknownSteps = allowList.filter((a) => !stepsRun.has(a.step));
  return { unexpected, stale: [...stale, ...unknownSteps], allowed };
}

export function formatDifference(d: Difference): string {
  const body = d.part === 'stdout' || d.part === 'stderr' ? lineDiff(d.builtin, d.dockerd) : `  builtin: ${d.builtin}\n  dockerd: ${d.dockerd}`;
  return `${d.step} [${d.part}]\n${body}`;
}
