// `docker import --change` / `POST /images/create?changes=…`: Dockerfile instructions applied to
// an image's container config. Docker accepts CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL,
// USER, VOLUME and WORKDIR here (plus HEALTHCHECK and ONBUILD, which berth refuses for now).
import { ImageError } from './errors.js';
import type { ContainerConfig } from '../backend.js';

/** Parses a JSON array of strings (Dockerfile "exec form"), or `undefined` when it is not one. */
function execForm(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Splits `a=1 b="two words" c='x'` into words, honouring quotes and backslash escapes. */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new ImageError('invalid', `unterminated quote in ${JSON.stringify(text)}`);
  if (inWord) out.push(cur);
  return out;
}

/** `k=v` pairs, or the legacy single-pair form `k v…`. */
function pairs(instruction: string, rest: string): [string, string][] {
  const ws = words(rest);
  if (ws.length > 0 && !ws[0].includes('=')) {
    const space = rest.search(/\s/);
    if (space === -1) throw new ImageError('invalid', `${instruction} needs a value: ${JSON.stringify(rest)}`);
    return [[ws[0], rest.slice(space).trim()]];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ImageError('invalid', `${instruction} expects key=value, got ${JSON.stringify(w)}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Applies each instruction in order to a copy of `base`. */
export function applyChanges(base: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const config: ContainerConfig = structuredClone(base);
  for (const change of changes) {
    const trimmed = change.trim();
    if (trimmed === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(trimmed)!;
    const instruction = m[1].toUpperCase();
    const rest = m[2].trim();
    switch (instruction) {
      case 'CMD':
      case 'ENTRYPOINT': {
        const value = execForm(rest) ?? ['/bin/sh', '-c', rest];
        if (instruction === 'CMD') config.Cmd = value;
        else config.Entrypoint = value;
        break;
      }
      case 'ENV': {
        const env = [...(config.Env ?? [])];
        for (const [k, v] of pairs(instruction, rest)) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i === -1) env.push(`${k}=${v}`);
          else env[i] = `${k}=${v}`;
        }
        config.Env = env;
        break;
      }
      case 'LABEL':
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairs(instruction, rest)) };
        break;
      case 'EXPOSE': {
        const ports = { ...(config.ExposedPorts ?? {}) };
        for (const w of words(rest)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(w)) throw new ImageError('invalid', `EXPOSE: invalid port ${JSON.stringify(w)}`);
          ports[w.includes('/') ? w : `${w}/tcp`] = {};
        }
        config.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const volumes = { ...(config.Volumes ?? {}) };
        for (const v of execForm(rest) ?? words(rest)) volumes[v] = {};
        config.Volumes = volumes;
        break;
      }
      case 'WORKDIR':
        // A relative WORKDIR continues from the previous one, as in a Dockerfile.
        config.WorkingDir = rest.startsWith('/') ? rest : `${(config.WorkingDir ?? '/').replace(/\/$/, '')}/${rest}`;
        break;
      case 'USER':
        config.User = rest;
        break;
      case 'STOPSIGNAL':
        config.StopSignal = rest;
        break;
      case 'HEALTHCHECK':
      case 'ONBUILD':
        throw new ImageError('invalid', `${instruction} is not supported in image changes yet`);
      default:
        throw new ImageError('invalid', `${instruction} is not a valid change: use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR`);
    }
  }
  return config;
}
