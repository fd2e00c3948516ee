// `build`: a string is the context; the context defaults to the project directory and is
// made absolute unless it is a URL or git reference; `dockerfile` defaults to "Dockerfile"
// unless the Dockerfile is inline.
import { isRemoteContext } from '../paths.js';
import { resolveHostPath } from './volumes.js';
import { type Rule } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

export const normalizeBuild: Rule = (value, _at, ctx) => {
  let build: Record<string, unknown>;
  if (typeof value === 'string') build = { context: value };
  else if (isPlainObject(value)) build = { ...value };
  else return value;

  const context = typeof build.context === 'string' ? build.context : '.';
  build.context = isRemoteContext(context) ? context : resolveHostPath(context, ctx);
  if (build.dockerfile === undefined && build.dockerfile_inline === undefined) build.dockerfile = 'Dockerfile';
  return build;
};

/** `build.additional_contexts`: `[name=ref]` → mapping; local directories made absolute. */
export const normalizeAdditionalContexts: Rule = (value, _at, ctx) => {
  let contexts: Record<string, unknown>;
  if (Array.isArray(value)) {
    contexts = {};
    for (const entry of value) {
      const text = String(entry);
      const eq = text.indexOf('=');
      if (eq === -1) contexts[text] = null;
      else contexts[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isPlainObject(value)) {
    contexts = { ...value };
  } else {
    return value;
  }
  for (const [name, ref] of Object.entries(contexts)) {
    // `docker-image://x`, `service:x`, `target:x`, URLs: references, not directories.
    if (typeof ref === 'string' && !ref.includes(':') && !isRemoteContext(ref)) contexts[name] = resolveHostPath(ref, ctx);
  }
  return contexts;
};
