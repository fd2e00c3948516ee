// Which compose files, which project directory, which environment and which project name
// a command works on — decided the way `docker compose` decides them.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ComposeError, UsageError } from '../errors.js';
import { readEnvFile } from './dotenv.js';

/** Lookup order of `docker compose` for default file names, searched upward from the working directory. */
export const DEFAULT_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

export interface DiscoveryOptions {
  /** `-f`, repeatable; `-` is standard input. Relative to `workingDir`. */
  files?: string[];
  /** `--project-directory`. */
  projectDirectory?: string;
  /** `-p`. Must already be a valid name. */
  projectName?: string;
  /** `--env-file`, repeatable; later files win. */
  envFiles?: string[];
  workingDir: string;
  /** The process environment; it beats anything read from env files. */
  environment: Readonly<Record<string, string | undefined>>;
}

export interface Discovery {
  /** Absolute paths, or `-` for standard input, in merge order. */
  files: string[];
  projectDir: string;
  /** Env files actually read (absolute). */
  envFiles: string[];
  /** The project environment: env files overlaid by the process environment. */
  environment: Record<string, string>;
  /** Name from `-p` or COMPOSE_PROJECT_NAME, when one was given. */
  explicitName?: string;
}

export function discover(opts: DiscoveryOptions): Discovery {
  const cwd = path.resolve(opts.workingDir);
  const explicitDir = opts.projectDirectory ? path.resolve(cwd, opts.projectDirectory) : undefined;
  if (explicitDir && !isDirectory(explicitDir)) {
    throw new UsageError(`--project-directory ${opts.projectDirectory}: no such directory`);
  }

  // The env file is read before the compose files are known, because COMPOSE_FILE may be set in it.
  let env = readProjectEnvironment(opts, explicitDir ?? cwd);
  const files = composeFiles(opts.files, env.environment, cwd);
  const projectDir = explicitDir ?? (files[0] === '-' ? cwd : path.dirname(files[0]));
  if (!opts.envFiles?.length && !explicitDir && projectDir !== cwd) {
    // A file found in a parent directory brings that directory's .env with it.
    env = readProjectEnvironment(opts, projectDir);
  }

  const name = opts.projectName ?? env.environment.COMPOSE_PROJECT_NAME;
  if (name !== undefined && name !== '') assertValidProjectName(name, opts.projectName !== undefined ? '-p' : 'COMPOSE_PROJECT_NAME');
  return { files, projectDir, envFiles: env.files, environment: env.environment, explicitName: name || undefined };
}

function readProjectEnvironment(opts: DiscoveryOptions, baseDir: string): { environment: Record<string, string>; files: string[] } {
  const fromProcess: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.environment)) if (v !== undefined) fromProcess[k] = v;
  const lookup = (k: string) => fromProcess[k];

  const explicit = opts.envFiles?.map((f) => path.resolve(opts.workingDir, f));
  const candidates = explicit ?? [path.join(baseDir, '.env')];
  const merged: Record<string, string> = {};
  const read: string[] = [];
  for (const [i, file] of candidates.entries()) {
    if (!explicit && !isFile(file)) continue;
    if (explicit && !existsSync(file)) {
      throw new ComposeError(`--env-file ${opts.envFiles?.[i]}: no such file`, { location: { file }, hint: 'check the path, relative to the working directory' });
    }
    const values = readEnvFile(file, { lookup, fallback: (k) => merged[k], required: true });
    if (!values) continue;
    read.push(file);
    for (const [k, v] of values) merged[k] = v;
  }
  return { environment: { ...merged, ...fromProcess }, files: read };
}

function composeFiles(flagFiles: string[] | undefined, env: Record<string, string>, cwd: string): string[] {
  if (flagFiles && flagFiles.length > 0) {
    return flagFiles.map((f) => (f === '-' ? '-' : requireFile(path.resolve(cwd, f), f)));
  }
  if (env.COMPOSE_FILE) {
    const sep = env.COMPOSE_PATH_SEPARATOR || path.delimiter;
    return env.COMPOSE_FILE.split(sep)
      .filter((f) => f !== '')
      .map((f) => requireFile(path.resolve(cwd, f), f, 'COMPOSE_FILE'));
  }
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const found = DEFAULT_FILE_NAMES.map((n) => path.join(dir, n)).filter(isFile);
    if (found.length > 0) {
      const main = found[0];
      const override = overrideFileFor(main);
      return override ? [main, override] : [main];
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new ComposeError('no configuration file provided: not found', {
    location: { file: cwd },
    hint: `create ${DEFAULT_FILE_NAMES[0]} here or in a parent directory, or pass one with -f`,
  });
}

/** `compose.yaml` → `compose.override.yaml` (and the other spellings), when it exists. */
function overrideFileFor(main: string): string | undefined {
  const ext = path.extname(main);
  const candidates = [path.join(path.dirname(main), `${path.basename(main, ext)}.override${ext}`)];
  for (const e of ['.yaml', '.yml']) candidates.push(path.join(path.dirname(main), `${path.basename(main, ext)}.override${e}`));
  return candidates.find(isFile);
}

function requireFile(abs: string, given: string, from = '-f'): string {
  if (isDirectory(abs)) {
    const inside = DEFAULT_FILE_NAMES.map((n) => path.join(abs, n)).find(isFile);
    throw new UsageError(
      `${from} ${given}: is a directory, not a compose file (${inside ? `pass the file itself, -f ${path.join(given, path.basename(inside))}` : 'pass a compose file'}, or use --project-directory ${given} to work in it)`,
    );
  }
  if (!isFile(abs)) {
    throw new ComposeError(`${from} ${given}: no such file`, { location: { file: abs }, hint: 'check the path, relative to the working directory' });
  }
  return abs;
}

export const VALID_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Compose v2's words. */
export function invalidProjectNameMessage(name: string): string {
  return `invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`;
}

/** Names given explicitly (`-p`, COMPOSE_PROJECT_NAME) must already be valid; compose refuses them otherwise. */
export function assertValidProjectName(name: string, from: string): void {
  if (!VALID_PROJECT_NAME.test(name)) throw new UsageError(`${from}: ${invalidProjectNameMessage(name)}`);
}

/** Names derived from `name:` or the directory are normalised: lower case, other characters dropped. */
export function normalizeProjectName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
