// Errors of the registry client. One class with a `kind` the API layer can map to a status code
// and the CLI to a message, so no caller parses text. Every error names the reference, the
// host it was talking to and what the registry itself said (`errors[].code: message`), plus a
// hint when there is something the user can do (log in, mark a registry insecure).
import { BerthError } from '../../errors.js';
import type { ApiErrorKind } from '../backend.js';

export type RegistryErrorKind =
  /** The reference cannot be parsed or is not usable here (a digest where a tag is needed). */
  | 'invalid-reference'
  /** The repository, tag, manifest or blob does not exist (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, 404). */
  | 'not-found'
  /** No or wrong credentials (401, a token server refusing them). */
  | 'unauthorized'
  /** Credentials were accepted but do not allow this (403, `DENIED`). */
  | 'denied'
  /** Content did not hash to the digest it was fetched by or announced with. */
  | 'digest-mismatch'
  /** No endpoint (mirror or registry) answered at the network level. */
  | 'unreachable'
  /** A TLS failure on a host not marked insecure. */
  | 'tls'
  /** Something we deliberately do not handle (schema 1 manifests, unknown media types). */
  | 'unsupported'
  /** An index has no manifest for the requested platform. */
  | 'platform-not-found'
  /** Malformed content: a manifest or config that is not what its media type says. */
  | 'invalid-content'
  /** The registry kept answering 429 or 5xx after every retry, or answered something unexpected. */
  | 'registry';

/** One entry of a registry's `{"errors": [...]}` body (distribution spec, "Error Codes"). */
export interface RegistryErrorDetail {
  code: string;
  message: string;
}

export interface RegistryErrorContext {
  /** The image reference or repository the operation was about. */
  reference?: string;
  /** The host (or mirror) that answered, or the hosts that were tried. */
  host?: string;
  /** HTTP status, when the error came from a response. */
  status?: number;
  /** What the registry said, from its JSON error body. */
  errors?: RegistryErrorDetail[];
  hint?: string;
  cause?: unknown;
}

export class RegistryError extends BerthError {
  readonly reference?: string;
  readonly host?: string;
  readonly status?: number;
  readonly errors: RegistryErrorDetail[];
  readonly hint?: string;
  /** The message without context, hint or registry errors: what tests compare. */
  readonly detail: string;

  constructor(
    readonly kind: RegistryErrorKind,
    detail: string,
    ctx: RegistryErrorContext = {},
  ) {
    super(formatMessage(detail, ctx), { cause: ctx.cause });
    this.detail = detail;
    this.reference = ctx.reference;
    this.host = ctx.host;
    this.status = ctx.status;
    this.errors = ctx.errors ?? [];
    this.hint = ctx.hint;
  }

  /** What the engine's API answers with (as dockerd maps the same registry errors). */
  get apiKind(): ApiErrorKind | undefined {
    switch (this.kind) {
      case 'not-found':
      case 'platform-not-found':
        return 'not-found';
      case 'invalid-reference':
      case 'unsupported':
        return 'invalid';
      // 403, not 401, as dockerd answers a refused pull: the docker CLI answers a 401 by
      // prompting for a login, which hides the registry's message on a non-TTY.
      case 'unauthorized':
      case 'denied':
        return 'forbidden';
      case 'unreachable':
      case 'tls':
        return 'unavailable';
      default:
        return undefined;
    }
  }
}

function formatMessage(detail: string, ctx: RegistryErrorContext): string {
  const where = [ctx.reference, ctx.host ? `(${ctx.host})` : undefined].filter(Boolean).join(' ');
  let msg = where ? `${where}: ${detail}` : detail;
  if (ctx.errors && ctx.errors.length > 0) {
    msg += `; the registry said: ${ctx.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`;
  }
  if (ctx.hint) msg += ` (${ctx.hint})`;
  return msg;
}

/** Reads `{"errors":[{"code","message"}]}` from a registry response body; anything else yields `[]`. */
export function parseErrorBody(body: string): RegistryErrorDetail[] {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return [];
    const list = (parsed as { errors?: unknown }).errors;
    if (!Array.isArray(list)) return [];
    const out: RegistryErrorDetail[] = [];
    for (const e of list) {
      if (typeof e !== 'object' || e === null) continue;
      const { code, message } = e as { code?: unknown; message?: unknown };
      out.push({ code: typeof code === 'string' ? code : 'UNKNOWN', message: typeof message === 'string' ? message : '' });
    }
    return out;
  } catch {
    return [];
  }
}

/** A short text for an underlying error (errno code and message), for wrapping into our messages. */
export function describeCause(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
