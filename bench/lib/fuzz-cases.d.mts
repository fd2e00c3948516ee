// Types of fuzz-cases.mjs, for test/loader/fuzz.test.ts.
export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
}
export interface Seed {
  name: string;
  text: string;
}
export interface FuzzCase {
  id: number;
  base: string;
  mutations: string[];
  text: string;
  environment: Record<string, string>;
}
export function rng(seed: number): Rng;
export function corpusSeeds(corpusDir: string | undefined, maxBytes?: number): Seed[];
export function generatedStack(r: Rng): string;
export const MUTATORS: Record<string, (text: string, r: Rng) => string>;
export function fuzzCases(o: { seed: number; count: number; seeds: readonly Seed[] }): Generator<FuzzCase>;
export interface Judgement {
  kind: 'ok' | 'located' | 'usage' | 'crash';
  message?: string;
}
export function judge(error: unknown, classes: { ComposeError: Function; ComposeErrors: Function; UsageError: Function }): Judgement;
