// The key sequence that detaches `attach` from a container without stopping it (docker's
// `--detach-keys`, default ctrl-p,ctrl-q), and a filter over the user's input that watches for
// it: bytes of a sequence being typed are held back, and passed on if it does not complete.
import { Transform, type TransformCallback } from 'node:stream';
import { UsageError } from '../errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** `ctrl-p,ctrl-q` → [16, 17]; each key is `ctrl-<a-z @ [ \ ] ^ _>` or one character, as docker reads them. */
export function parseDetachKeys(spec: string): number[] {
  const keys: number[] = [];
  for (const key of spec.split(',')) {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1].toLowerCase();
      if (c >= 'a' && c <= 'z') keys.push(c.charCodeAt(0) - 96);
      else if (c in CTRL_SPECIAL) keys.push(CTRL_SPECIAL[c]);
      else throw new UsageError(`--detach-keys ${spec}: unknown key ${key}`);
    } else if (key.length === 1) keys.push(key.charCodeAt(0));
    else throw new UsageError(`--detach-keys ${spec}: each key is ctrl-<letter> or a single character, separated by commas`);
  }
  return keys;
}

/**
 * Passes input through, holding back a partial detach sequence; emits 'detach' when it is typed
 * whole, and passes nothing more. It does not end: an end would reach the container as the end
 * of its input, and a detached container keeps its stdin open.
 */
export class DetachFilter extends Transform {
  private matched = 0;
  detached = false;

  constructor(private readonly keys: readonly number[]) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.detached) return done();
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        if (++this.matched === this.keys.length) {
          if (out.length) this.push(Buffer.from(out));
          this.detached = true;
          this.emit('detach');
          return done();
        }
        continue;
      }
      // Not the sequence after all: what was held back was ordinary input.
      out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    if (out.length) this.push(Buffer.from(out));
    done();
  }
}
