// Errors of the build context: a source that is missing or excluded, an archive or directory
// that tries to reach outside the context. `kind` lets the API layer pick a status code.
import { BerthError } from '../../../errors.js';

export type ContextErrorKind = 'not-found' | 'excluded' | 'escape' | 'invalid' | 'io';

export class ContextError extends BerthError {
  constructor(
    readonly kind: ContextErrorKind,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(hint ? `${message} (${hint})` : message, options);
  }
}
