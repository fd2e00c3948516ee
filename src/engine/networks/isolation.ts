// Keeping networks apart, and the optional way out.
//
// Isolation, two guards: each bridge gets `net.ipv4.conf.<bridge>.forwarding=0`, and a policy rule
// `iif <bridge> prohibit` (below) that holds even when someone turns forwarding back on. The kernel checks the
// forwarding flag of the interface a packet arrives on before routing it, so nothing that enters
// from a bridge is ever routed to another bridge (or anywhere else): containers reach their own
// subnet at layer 2 (bridged, not routed), and the host's own addresses (the gateway, where the
// DNS server listens). No iptables rules are needed, so nothing can go stale or collide with the
// rules of other engines on the host. The flag is re-asserted on every attach, because writing the
// global net.ipv4.ip_forward (a dockerd starting on the same host does) resets every interface's.
//
// Outbound NAT (engine option, off by default, never used by the tests): the bridge forwards, and
// iptables masquerades its subnet leaving through any other interface, while a DROP rule for
// traffic from this bridge to any other berth bridge keeps the isolation promise.

import { execCommand as execFileP } from '../runtime/spawner.js';
import { addProhibitRule, IP, NetOpError, prohibitRuleDeletes, setDeviceSysctl } from './sysnet.js';

export async function isolateBridge(bridge: string): Promise<void> {
  await setDeviceSysctl(bridge, 'forwarding', '0');
  // Without a route back, reverse-path filtering would otherwise be the only guard; keep it strict too.
  await setDeviceSysctl(bridge, 'rp_filter', '1').catch(() => undefined);
}

/** Priority of the per-bridge policy rule: after `local` (0), before `main` (32766). */
export const ISOLATION_RULE_PRIORITY = 32000;

/**
 * The second guard, independent of sysctls anyone may reset: a policy rule `iif <bridge> prohibit`.
 * Packets for the host's own addresses match the `local` table first (priority 0) and are
 * delivered (DNS, published ports); anything else that arrives from the bridge and would be routed
 * is refused with ICMP "administratively prohibited". Removed with the bridge.
 */
export async function addIsolationRule(bridge: string): Promise<void> {
  // Copies left behind (an engine killed between the add and the bridge's removal) go first.
  await addProhibitRule(ISOLATION_RULE_PRIORITY, bridge);
}

/**
 * `ip -batch` lines that delete the bridge's isolation rule, a duplicate too (one match per line;
 * a failing line just means nothing was left): to run in the same `ip` as the bridge's removal.
 */
export function isolationRuleDeletes(bridge: string): string[] {
  return prohibitRuleDeletes(bridge, ISOLATION_RULE_PRIORITY);
}

/** Bridges named in this engine's isolation rules (leftover checks). */
export async function isolationRuleBridges(): Promise<string[]> {
  const { stdout } = await execFileP(IP, ['-j', '-4', 'rule', 'show']);
  const rules = JSON.parse(stdout || '[]') as { priority?: number; iif?: string; action?: string }[];
  return rules.filter((r) => r.priority === ISOLATION_RULE_PRIORITY && r.iif).map((r) => r.iif!);
}

async function iptables(args: string[]): Promise<void> {
  try {
    await execFileP('iptables', ['-w', ...args]);
  } catch (e) {
    throw new NetOpError(`iptables ${args.join(' ')}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message} (outbound NAT needs iptables)`, { cause: e });
  }
}

function natRules(bridge: string, subnet: string): string[][] {
  return [
    ['-t', 'nat', 'POSTROUTING', '-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'],
    ['FORWARD', '-i', bridge, '-o', 'brt-+', '-j', 'DROP'],
    ['FORWARD', '-i', bridge, '-j', 'ACCEPT'],
    ['FORWARD', '-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
  ];
}

const withOp = (rule: string[], op: '-A' | '-D' | '-C'): string[] => (rule[0] === '-t' ? [rule[0], rule[1], op, ...rule.slice(2)] : [op, ...rule]);

/** Masquerades the bridge's subnet; the kernel must forward meanwhile (the caller holds ip_forward, see forwarding.ts). */
export async function enableOutboundNat(bridge: string, subnet: string): Promise<void> {
  for (const rule of natRules(bridge, subnet)) {
    const present = await iptables(withOp(rule, '-C')).then(() => true, () => false);
    if (!present) await iptables(withOp(rule, '-A'));
  }
  await setDeviceSysctl(bridge, 'forwarding', '1');
}

export async function disableOutboundNat(bridge: string, subnet: string): Promise<void> {
  for (const rule of natRules(bridge, subnet)) await iptables(withOp(rule, '-D')).catch(() => undefined);
}
