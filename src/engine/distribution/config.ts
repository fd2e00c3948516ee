// Which endpoints serve a registry, and how to reach them. A plain object the engine will fill
// from its config file and flags (`registry-mirrors`, `insecure-registries`, a proxy), mirroring
// dockerd's daemon.json keys, with mirrors per registry as containerd's hosts.toml allows.
//
// Order of endpoints for a pull: the registry's mirrors in the order given, then the registry
// itself. Pushes go to the registry only (a mirror is a read-only cache).
//
// Scheme: HTTPS always first; plain HTTP only for insecure hosts, and then an insecure host's
// HTTPS does not verify the certificate either — both exactly as dockerd. Loopback
// (127.0.0.0/8, ::1, localhost) is insecure by default, as in Docker.
import net from 'node:net';

export interface ProxyConfig {
  /** Proxy for `http://` endpoints, e.g. `http://127.0.0.1:3128`. */
  http?: string;
  /** Proxy for `https://` endpoints (tunnelled with CONNECT). */
  https?: string;
  /** Hosts (`host`, `host:port`, `.suffix`, `*`) that bypass the proxy. Unlike Go, loopback is not exempt unless listed. */
  noProxy?: string[];
}

export interface RegistryConfig {
  /**
   * Mirrors per registry domain (`docker.io`, `host:5000`): URLs like `https://mirror.example`
   * or `http://127.0.0.1:5001`, or a bare `host[:port]` (HTTPS, then HTTP if insecure).
   */
  mirrors?: Record<string, string[]>;
  /** Hosts (`host`, `host:port`) or CIDR ranges (`10.0.0.0/8`) that may be reached over plain HTTP or unverified TLS. */
  insecureRegistries?: string[];
  /** Treat loopback as insecure, as Docker does (default true). */
  loopbackInsecure?: boolean;
  /** Extra trusted CA certificates (PEM) per host[:port], like `/etc/docker/certs.d/<host>/ca.crt`. */
  certificateAuthorities?: Record<string, string>;
  proxy?: ProxyConfig;
}

/** One place to talk to: the registry itself or one of its mirrors, with the schemes to try in order. */
export interface Endpoint {
  /** host[:port] as used in URLs and for credentials. */
  host: string;
  /** Path prefix of a mirror URL (`https://m.example/prefix`), `''` usually. */
  pathPrefix: string;
  schemes: ('https' | 'http')[];
  /** Skip certificate verification over HTTPS (insecure hosts). */
  insecure: boolean;
  mirror: boolean;
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Endpoints for a pull from `domain` (served at `host`): mirrors first, then the registry. */
export function pullEndpoints(config: RegistryConfig, domain: string, host: string): Endpoint[] {
  const mirrors = config.mirrors?.[domain] ?? (domain !== host ? config.mirrors?.[host] : undefined) ?? [];
  return [...mirrors.map((m) => mirrorEndpoint(config, m)), registryEndpoint(config, host)];
}

/** The registry itself, for pushes and logins. */
export function registryEndpoint(config: RegistryConfig, host: string): Endpoint {
  const insecure = isInsecure(config, host);
  return { host, pathPrefix: '', schemes: insecure ? ['https', 'http'] : ['https'], insecure, mirror: false };
}

function mirrorEndpoint(config: RegistryConfig, spec: string): Endpoint {
  const m = /^(https?):\/\/([^/]+)(\/.*)?$/i.exec(spec.trim());
  if (!m) {
    const host = spec.trim().replace(/\/+$/, '');
    const insecure = isInsecure(config, host);
    return { host, pathPrefix: '', schemes: insecure ? ['https', 'http'] : ['https'], insecure, mirror: true };
  }
  const scheme = m[1].toLowerCase() as 'https' | 'http';
  const host = m[2].toLowerCase();
  // An explicit scheme is what the user asked for; insecure still governs certificate checks.
  return { host, pathPrefix: (m[3] ?? '').replace(/\/+$/, ''), schemes: [scheme], insecure: isInsecure(config, host), mirror: true };
}

/** Whether `host[:port]` is an insecure registry: listed by name, inside a listed CIDR, or loopback. */
export function isInsecure(config: RegistryConfig, hostPort: string): boolean {
  const { hostname } = splitHostPort(hostPort);
  const ranges = [...(config.insecureRegistries ?? [])];
  if (config.loopbackInsecure !== false) {
    ranges.push(...LOOPBACK);
    if (hostname === 'localhost') return true;
  }
  for (const entry of ranges) {
    if (entry.includes('/') && net.isIP(hostname) !== 0) {
      if (inCidr(hostname, entry)) return true;
    } else if (entry.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase() === hostPort.toLowerCase() || entry.toLowerCase() === hostname.toLowerCase()) {
      return true;
    }
  }
  return false;
}

/** `[::1]:5000` → `::1`, 5000; `host` → `host`, undefined. */
export function splitHostPort(hostPort: string): { hostname: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (v6) return { hostname: v6[1], ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const colon = hostPort.lastIndexOf(':');
  if (colon !== -1 && hostPort.indexOf(':') === colon) {
    return { hostname: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
  }
  return { hostname: hostPort };
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const family = net.isIP(ip);
  if (family === 0 || family !== net.isIP(base) || !Number.isInteger(bits)) return false;
  const list = new net.BlockList();
  list.addSubnet(base, bits, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The proxy URL to use for a URL, or undefined for a direct connection. */
export function proxyFor(config: RegistryConfig, url: URL): URL | undefined {
  const p = config.proxy;
  if (!p) return undefined;
  const raw = url.protocol === 'https:' ? p.https : p.http;
  if (!raw) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const entry of p.noProxy ?? []) {
    const e = entry.trim().toLowerCase();
    if (e === '*') return undefined;
    if (e === host || e === url.host.toLowerCase()) return undefined;
    if (e.startsWith('.') ? host.endsWith(e) : host.endsWith(`.${e}`)) return undefined;
    if (e.includes('/') && net.isIP(host) !== 0 && inCidr(host, e)) return undefined;
  }
  return new URL(raw);
}
