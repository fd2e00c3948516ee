// Errors of the image store. `kind` is what the Docker API layer maps to a status code
// (not-found → 404, conflict → 409, invalid → 400), so no caller has to parse messages.
import { BerthError } from '../../errors.js';
import type { ApiErrorKind } from '../backend.js';

export type ImageErrorKind = 'not-found' | 'conflict' | 'invalid';

export class ImageError extends BerthError {
  constructor(
    readonly kind: ImageErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get apiKind(): ApiErrorKind {
    return this.kind;
  }
}
