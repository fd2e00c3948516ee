// The classic builder's JSON stream (`{"stream":"Step 2/5 : RUN make\n"}`, `" ---> Using cache"`,
// `" ---> 3a9d…"`, `{"aux":{"ID":…}}`, `{"error":…}`), as Docker Engine and berth's engine both
// write it, read into step events. Stream text may split anywhere: it is cut into lines here.
import type { BuildStreamEvent } from './engine-port.js';

export interface BuildStreamResult {
  id?: string;
  error?: string;
  /** The output lines of the step that was running last (what a failure shows). */
  lastOutput: string[];
}

export class BuildStreamReader {
  private partial = '';
  private jsonPartial = '';
  private output: string[] = [];
  readonly result: BuildStreamResult = { lastOutput: [] };

  constructor(private readonly onEvent: (e: BuildStreamEvent) => void) {}

  /** Feeds raw bytes of the response body. */
  push(chunk: Buffer | string): void {
    const lines = (this.jsonPartial + chunk.toString()).split('\n');
    this.jsonPartial = lines.pop() ?? '';
    for (const l of lines) this.message(l);
  }

  end(): BuildStreamResult {
    if (this.jsonPartial.trim()) this.message(this.jsonPartial);
    this.jsonPartial = '';
    if (this.partial) this.line(this.partial);
    this.partial = '';
    this.result.lastOutput = this.output.slice(-20);
    return this.result;
  }

  private message(raw: string): void {
    if (raw.trim() === '') return;
    let m: { stream?: string; aux?: { ID?: string }; error?: string; errorDetail?: { message?: string } };
    try {
      m = JSON.parse(raw) as typeof m;
    } catch {
      return;
    }
    if (typeof m.aux?.ID === 'string') this.result.id = m.aux.ID;
    if (typeof m.error === 'string') this.result.error = m.errorDetail?.message ?? m.error;
    if (typeof m.stream === 'string') {
      const lines = (this.partial + m.stream).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) this.line(l);
    }
  }

  private line(l: string): void {
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(l);
    if (step) {
      this.output = [];
      this.onEvent({ kind: 'step', number: Number(step[1]), total: Number(step[2]), text: step[3] });
      return;
    }
    if (l === ' ---> Using cache') return this.onEvent({ kind: 'cached' });
    const id = /^ ---> ([0-9a-f]{12,64})$/.exec(l);
    if (id) return this.onEvent({ kind: 'done', id: id[1] });
    if (/^ ---> Running in /.test(l) || /^Removing intermediate container /.test(l) || /^Successfully (built|tagged) /.test(l)) return;
    if (/^\[WARNING\]: /.test(l)) return this.onEvent({ kind: 'warning', text: l.slice(11) });
    this.output.push(l);
    this.onEvent({ kind: 'output', text: l });
  }
}
