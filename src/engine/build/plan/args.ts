// The build's variables before any stage runs: the automatic platform ARGs, then the global
// ARGs (those before the first FROM) in order, each default expanded with what came before it,
// each overridden by a build arg of the same name. FROM lines see exactly these. Build args
// reach a stage only through an ARG that declares them; the proxy variables are the exception
// (given to RUN without being declared, never stored in the image).
import { DockerfileError } from '../dockerfile/errors.js';
import { LexError, processWord, type EscapeToken } from '../dockerfile/lex.js';
import type { ArgInstruction } from '../dockerfile/model.js';
import { platformArgs, type Platform } from '../dockerfile/platform.js';

/** BuildKit's predefined args: usable without an ARG, kept out of the image and the cache key. */
export const PROXY_ARGS = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

/** Args that configure the frontend itself, never reported as unused. */
export const isFrontendArg = (name: string): boolean => name.startsWith('BUILDKIT_') || name === 'SOURCE_DATE_EPOCH';

/** Global args in declaration order; a declared arg without value is `undefined`. */
export type MetaArgs = Map<string, string | undefined>;

export function evaluateMetaArgs(
  metaArgs: readonly ArgInstruction[],
  buildArgs: Readonly<Record<string, string>>,
  build: Platform,
  target: Platform,
  escape: EscapeToken,
  file: string,
  errors: DockerfileError[],
): MetaArgs {
  const out: MetaArgs = new Map();
  for (const [k, v] of platformArgs(build, target)) out.set(k, Object.hasOwn(buildArgs, k) ? buildArgs[k] : v);
  for (const instr of metaArgs) {
    for (const def of instr.args) {
      const name = def.name.value;
      let value: string | undefined;
      if (Object.hasOwn(buildArgs, name)) value = buildArgs[name];
      else if (def.default) {
        try {
          value = processWord(def.default.value, metaEnv(out), { escape }).result;
        } catch (e) {
          if (!(e instanceof LexError)) throw e;
          errors.push(new DockerfileError(e.message, { file, position: def.default.position }));
        }
      }
      // A bare `ARG TARGETARCH` (or a second `ARG V`) keeps the value already there rather
      // than blanking it: it only declares.
      if (value === undefined && out.get(name) !== undefined) continue;
      out.set(name, value);
    }
  }
  return out;
}

/** The environment FROM lines expand with: declared-but-unset global args count as empty. */
export function metaEnv(meta: MetaArgs): Map<string, string> {
  return new Map([...meta].map(([k, v]) => [k, v ?? '']));
}

/** The proxy variables given as build args, as `KEY=value` for RUN. */
export function proxyEnv(buildArgs: Readonly<Record<string, string>>): string[] {
  return PROXY_ARGS.filter((k) => Object.hasOwn(buildArgs, k)).map((k) => `${k}=${buildArgs[k]}`);
}
