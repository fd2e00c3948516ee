// `env_file`: a string, a list of strings, or a list of `{path, required, format}` →
// EnvFileRef[] with absolute paths (relative to the project directory) and `required`
// defaulting to true.
import { resolveHostPath } from './volumes.js';
import { errorAt, type Rule } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

export const normalizeEnvFile: Rule = (value, at, ctx) => {
  const entries = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(entries)) return value;
  return entries.map((entry, i) => {
    if (typeof entry === 'string') return { path: resolveHostPath(entry, ctx), required: true };
    if (isPlainObject(entry) && typeof entry.path === 'string') {
      return { ...entry, path: resolveHostPath(entry.path, ctx), required: entry.required ?? true };
    }
    throw errorAt([...at, i], 'an env_file entry must be a path or a mapping with `path:`');
  });
};
