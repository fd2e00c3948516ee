// A service's final environment: its `env_file`s read in order, then its `environment`
// on top — compose-go's Project.WithServicesEnvironmentResolved.
import { readEnvFile } from './dotenv.js';
import type { Lookup } from './template.js';

export interface EnvFileSpec {
  path: string;
  required: boolean;
  format?: string;
}

/**
 * Precedence, strongest first: the service's `environment` (a bare `VAR` takes the project
 * environment and stays null when that does not set it, hiding any env_file value); then the
 * env files, a later one beating an earlier one. `${FOO}` inside an env file prefers the
 * project environment, then the service's `environment`, then values read before it (its
 * own earlier lines, then earlier env files). Keys come out sorted, for stable output.
 */
export function resolveServiceEnvironment(
  environment: Record<string, string | null> | undefined,
  envFiles: readonly EnvFileSpec[] | undefined,
  lookup: Lookup,
): Record<string, string | null> {
  const own: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(environment ?? {})) own[key] = value ?? lookup(key) ?? null;

  const fromFiles = new Map<string, string>();
  for (const file of envFiles ?? []) {
    const values = readEnvFile(file.path, {
      required: file.required,
      format: file.format,
      lookup: (k) => lookup(k) ?? own[k] ?? undefined,
      fallback: (k) => fromFiles.get(k),
    });
    for (const [k, v] of values ?? []) fromFiles.set(k, v);
  }

  const merged: Record<string, string | null> = { ...Object.fromEntries(fromFiles), ...own };
  const out: Record<string, string | null> = {};
  for (const key of Object.keys(merged).sort()) out[key] = merged[key];
  return out;
}
