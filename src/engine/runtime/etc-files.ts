// The /etc/hosts, /etc/hostname and /etc/resolv.conf a container gets (bind-mounted from files the
// engine writes), in the shape dockerd writes them.

export interface HostsEntry {
  ip: string;
  names: readonly string[];
}

/** Docker's /etc/hosts: loopback and IPv6 defaults, the container's own address, then extra hosts. */
export function renderHosts(opts: { hostname: string; domainname?: string; ip?: string; extraHosts?: readonly HostsEntry[] }): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of opts.extraHosts ?? []) lines.push(`${e.ip}\t${e.names.join(' ')}`);
  // dockerd: `<ip>\t<hostname>.<domainname> <hostname>` when there is a domain name.
  if (opts.ip) lines.push(`${opts.ip}\t${opts.domainname ? `${opts.hostname}.${opts.domainname} ${opts.hostname}` : opts.hostname}`);
  return `${lines.join('\n')}\n`;
}

export function renderHostname(hostname: string): string {
  return `${hostname}\n`;
}

/** What a container's resolv.conf is made of beyond the host's: nameservers, and the user's --dns* options. */
export interface ResolvConfOverrides {
  /** The engine's DNS servers (or the user's --dns on the default bridge); undefined keeps the host's. */
  nameservers?: readonly string[];
  /** --dns-search; `.` alone means no search domains. */
  search?: readonly string[];
  /** --dns-option. */
  options?: readonly string[];
}

/**
 * The container's resolv.conf from the host's: nameservers on loopback cannot be reached from
 * another network namespace, so dockerd drops them. Where dockerd would then fall back to public
 * resolvers, berth writes none: containers have no outbound network unless the engine says so.
 * With the user's search domains or options, the file is built as dockerd's resolvconf.Build
 * writes it: search, nameservers, options.
 */
export function renderResolvConf(hostResolvConf: string, overrides: ResolvConfOverrides = {}): string {
  const keep: string[] = [];
  const nameservers: string[] = [];
  let hostSearch: string[] | undefined;
  let hostOptions: string[] | undefined;
  for (const raw of hostResolvConf.split('\n')) {
    const line = raw.trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver') {
      const ip = rest[0] ?? '';
      if (!/^127\./.test(ip) && ip !== '::1') nameservers.push(ip);
      continue;
    }
    if (key === 'search' || key === 'domain') hostSearch = rest;
    if (key === 'options') hostOptions = rest;
    if (line !== '' && !line.startsWith('#') && !line.startsWith(';')) keep.push(line);
  }
  const servers = (overrides.nameservers ?? nameservers).map((ns) => `nameserver ${ns}`);
  if (overrides.search === undefined && overrides.options === undefined) return `${[...servers, ...keep].join('\n')}\n`;
  const search = overrides.search ?? hostSearch ?? [];
  const options = overrides.options ?? hostOptions ?? [];
  const lines: string[] = [];
  if (search.length > 0 && search.join(' ').trim() !== '.') lines.push(`search ${search.join(' ')}`);
  lines.push(...servers);
  if (options.length > 0 && options.join(' ').trim() !== '') lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
