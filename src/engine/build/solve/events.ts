// What a build reports while it runs, for the API's JSON stream (daemon/build.ts) and berth's own
// progress (compose build): one `step` per instruction in the order steps start, then `cached`
// or `done` (or the build's error), a RUN's output as it comes, warnings, and the image at the end.
import { BerthError, formatLocation, type Location } from '../../../errors.js';

export type BuildEvent =
  | { type: 'step'; id: string; stage: string; number: number; total: number; text: string }
  | { type: 'cached'; id: string; key: string }
  | { type: 'output'; id: string; stream: 'stdout' | 'stderr'; data: Buffer }
  | { type: 'done'; id: string; key: string; ms: number; layer?: string }
  | { type: 'warning'; message: string }
  | { type: 'image'; id: string; tags: string[] };

/** A step that failed: where, which command, its exit code and the end of its output. */
export class BuildStepError extends BerthError {
  readonly location: Location;
  constructor(
    readonly detail: string,
    readonly step: { text: string; stage: string; location: Location },
    readonly stepExitCode?: number,
    readonly outputTail: string[] = [],
    readonly hint?: string,
  ) {
    const tail = outputTail.length > 0 ? `\n${outputTail.map((l) => `  | ${l}`).join('\n')}` : '';
    super(`${formatLocation(step.location)}: [${step.stage}] ${step.text}: ${detail}${hint ? ` (${hint})` : ''}${tail}`);
    this.location = step.location;
  }
}

/** The last `n` lines of what a step printed. */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly n = 20) {}

  push(data: Buffer): void {
    const text = this.partial + data.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.n) this.lines = this.lines.slice(-this.n);
  }

  get(): string[] {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-this.n);
  }
}
