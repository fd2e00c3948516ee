// Docker's detach keys (`docker attach` / `docker exec -it`, default ctrl-p ctrl-q; `--detach-keys`,
// the DetachKeys of an exec): the engine watches the client's input for the sequence and, when it
// comes, stops the session without touching the container or the process (moby pkg/term's
// escapeProxy). Bytes of a sequence that does not complete are passed on.

import { Transform, type Readable } from 'node:stream';
import { InvalidArgumentError } from '../backend.js';

const DEFAULT_KEYS = 'ctrl-p,ctrl-q';

/** `ctrl-p,ctrl-q` → [16, 17]; moby's term.ToBytes, with its error text. */
export function parseDetachKeys(keys: string | undefined): number[] {
  const text = keys === undefined || keys === '' ? DEFAULT_KEYS : keys;
  const out: number[] = [];
  for (const raw of text.split(',')) {
    const k = raw.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw new InvalidArgumentError(`Invalid detach keys (${text}) provided`);
    const c = m[1];
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw new InvalidArgumentError(`Invalid detach keys (${text}) provided`);
  }
  return out;
}

/**
 * The client's input with the detach sequence taken out: `onDetach` is called once it is typed,
 * and nothing more is passed on. The stream does not end then: an end is EOF on the container's
 * stdin (which closes a StdinOnce container's), and detaching must leave the process as it is.
 */
export function watchDetachKeys(input: Readable, keys: readonly number[], onDetach: () => void): Readable {
  let matched = 0;
  let detached = false;
  const filter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (detached) return done();
      const out: number[] = [];
      for (const byte of chunk) {
        if (byte === keys[matched]) {
          matched++;
          if (matched === keys.length) {
            detached = true;
            if (out.length > 0) this.push(Buffer.from(out));
            onDetach();
            return done();
          }
          continue;
        }
        // A partial sequence that broke off is the client's input after all.
        for (let i = 0; i < matched; i++) out.push(keys[i]);
        matched = 0;
        if (byte === keys[0]) matched = 1;
        else out.push(byte);
      }
      if (out.length > 0) this.push(Buffer.from(out));
      done();
    },
  });
  input.on('error', (e) => filter.destroy(e));
  // The client's own end of input is the container's EOF; after a detach it is nobody's.
  input.on('end', () => {
    if (!detached) filter.end();
  });
  return input.pipe(filter, { end: false });
}
