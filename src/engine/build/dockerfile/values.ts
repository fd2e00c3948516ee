// The value grammars Dockerfile instructions share with Docker and Go: durations
// (time.ParseDuration), stop signals (moby/sys/signal), exposed ports (go-connections/nat),
// --chmod modes, --checksum digests. The parser checks literal values with them; the planner
// checks the same values again once variables are expanded.

export class ValueError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration → nanoseconds. */
export function parseGoDuration(text: string): number {
  const bad = (): never => {
    throw new ValueError(`invalid duration ${JSON.stringify(text)}`, 'use a Go duration such as 30s, 1m30s or 500ms');
  };
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') bad();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '') || m[3] === '') bad();
    const unit = NS[m![3]];
    if (unit === undefined) bad();
    total += (Number(m![1] || '0') + Number(`0.${m![2] || '0'}`)) * unit;
    s = s.slice(m![0].length);
  }
  if (total > 2 ** 63 - 1) bad();
  return sign * Math.round(total);
}

/** Go's time.Duration.String() for the durations HEALTHCHECK takes (ms precision and up). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns / 1e3}µs`;
  let rest = ns;
  const h = Math.floor(rest / 3600e9);
  rest -= h * 3600e9;
  const m = Math.floor(rest / 60e9);
  rest -= m * 60e9;
  const sec = `${Number((rest / 1e9).toFixed(9))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

// Linux signal names (moby/sys/signal SignalMap), without the SIG prefix.
const SIGNALS: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31,
  TERM: 15, TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28,
  XCPU: 24, XFSZ: 25, RTMIN: 34, RTMAX: 64,
};
for (let i = 1; i <= 15; i++) SIGNALS[`RTMIN+${i}`] = 34 + i;
for (let i = 1; i <= 14; i++) SIGNALS[`RTMAX-${i}`] = 64 - i;

/** A stop signal: a name with or without SIG, or a number other than 0. Returns its number. */
export function parseSignal(raw: string): number {
  if (/^-?\d+$/.test(raw)) {
    const n = Number(raw);
    if (n === 0 || !Number.isSafeInteger(n)) throw new ValueError(`invalid signal: ${raw}`, 'use a signal name such as SIGTERM or a number');
    return n;
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  const n = SIGNALS[name];
  if (n === undefined) throw new ValueError(`invalid signal: ${raw}`, 'use a signal name such as SIGTERM, SIGINT or SIGQUIT');
  return n;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortRange {
  start: number;
  end: number;
  protocol: PortProtocol;
  /** A host address or port was given: EXPOSE ignores it, as Docker does. */
  hostPartIgnored: boolean;
}

/** One EXPOSE word: `80`, `80/udp`, `8000-8010/tcp` (an `ip:host:` prefix is tolerated and ignored). */
export function parsePortSpec(spec: string): PortRange {
  const bad = (why: string): never => {
    throw new ValueError(`invalid port ${JSON.stringify(spec)}: ${why}`, 'use PORT, PORT/PROTO or START-END/PROTO, e.g. 8080/tcp');
  };
  let rest = spec;
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') bad(`unknown protocol "${rest.slice(slash + 1)}"`);
    protocol = proto as PortProtocol;
    rest = rest.slice(0, slash);
  }
  const colon = rest.lastIndexOf(':');
  const hostPartIgnored = colon >= 0;
  if (colon >= 0) rest = rest.slice(colon + 1);
  const m = /^(\d+)(?:-(\d+))?$/.exec(rest);
  if (!m) bad('not a port number or range');
  const start = Number(m![1]);
  const end = m![2] === undefined ? start : Number(m![2]);
  if (start > 65535 || end > 65535) bad('ports go up to 65535');
  if (end < start) bad('the range ends before it starts');
  return { start, end, protocol, hostPartIgnored };
}

export type Chmod = { kind: 'octal'; mode: number } | { kind: 'symbolic'; expression: string };

const SYMBOLIC = /^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+$/;

/** A --chmod value: octal (`755`, `0644`) or symbolic (`u+x,go-w`). */
export function parseChmod(value: string): Chmod {
  if (/^[0-7]+$/.test(value)) {
    const mode = parseInt(value, 8);
    if (mode > 0o7777) throw new ValueError(`invalid --chmod value ${JSON.stringify(value)}: mode out of range`, 'use at most four octal digits, e.g. 0755');
    return { kind: 'octal', mode };
  }
  if (value !== '' && value.split(',').every((part) => SYMBOLIC.test(part))) return { kind: 'symbolic', expression: value };
  throw new ValueError(`invalid --chmod value ${JSON.stringify(value)}`, 'use an octal mode such as 0755 or a symbolic one such as u+x');
}

const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** An --checksum value: `sha256:<64 hex>` (or sha384/sha512). */
export function parseChecksum(value: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(value);
  if (!m || DIGEST_LENGTHS[m[1]] !== m[2].length) {
    throw new ValueError(`invalid checksum ${JSON.stringify(value)}`, 'use sha256:<64 hex digits>');
  }
  return value;
}
