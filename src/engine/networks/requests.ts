// What a network request asks for, checked before the manager acts: the filters of `docker network
// ls` as moby's daemon/network/filter.go applies them, and the options of a create the built-in
// engine's bridges cannot honour, each refused by name. Pure.

import { InvalidArgumentError, type Filters, type NetworkCreateRequest } from '../backend.js';
import { exactMatch, invalidFilter, labelsMatch, regexMatch, validateFilterKeys, valuesOf } from '../filters.js';
import { parseCidr } from './ipam.js';
import type { NetworkRecord } from './store.js';

/**
 * The predicate `docker network ls` keeps networks by (validating the filters first): name and id
 * as regular expressions, driver, scope, labels, type builtin/custom, and dangling (no container).
 */
export function networkListFilter(filters: Filters): (r: NetworkRecord, attached: () => number) => boolean {
  validateFilterKeys(filters, ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
  const types = valuesOf(filters, 'type');
  for (const t of types) if (t !== 'builtin' && t !== 'custom') throw invalidFilter('type', t);
  const dangling = valuesOf(filters, 'dangling');
  if (dangling.length > 1) throw new InvalidArgumentError('got more than one value for filter key "dangling"');
  if (dangling.length === 1 && !['0', '1', 'true', 'false'].includes(dangling[0])) {
    throw new InvalidArgumentError('invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")');
  }
  return (r, attached) =>
    exactMatch(filters, 'driver', r.driver) &&
    regexMatch(filters, 'name', r.name) &&
    regexMatch(filters, 'id', r.id) &&
    labelsMatch(filters, r.labels) &&
    exactMatch(filters, 'scope', 'local') &&
    (types.length === 0 || types.includes(r.predefined ? 'builtin' : 'custom')) &&
    (dangling.length === 0 || (dangling[0] === 'true' || dangling[0] === '1') === (!r.predefined && attached() === 0));
}

/**
 * Bridge driver options whose value the built-in engine's bridges already have: accepted, as the
 * option is then honoured. Any other option (a bridge name, an MTU, masquerading off…) is refused.
 */
const HONOURED_OPTIONS: Readonly<Record<string, (v: string) => boolean>> = {
  'com.docker.network.bridge.enable_icc': (v) => v === 'true',
};

/** What a network create asks for that the built-in engine cannot honour, each named. */
export function refusedNetworkOptions(req: NetworkCreateRequest): string[] {
  const out: string[] = [];
  if (req.Scope && req.Scope !== 'local') out.push(`Scope ${req.Scope}: the built-in engine's networks are local`);
  if (req.Ingress) out.push('Ingress: the built-in engine has no swarm routing mesh');
  const extra = req as { ConfigOnly?: boolean; ConfigFrom?: { Network?: string } | null };
  if (extra.ConfigOnly || extra.ConfigFrom?.Network) out.push('ConfigOnly/ConfigFrom: configuration-only networks are not supported by the built-in engine');
  if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') out.push(`IPAM driver ${req.IPAM.Driver}: only the default IPAM driver is available`);
  if (req.IPAM?.Options && Object.keys(req.IPAM.Options).length > 0) out.push(`IPAM.Options (${Object.keys(req.IPAM.Options).join(', ')}): the default IPAM driver takes no options`);
  for (const c of req.IPAM?.Config ?? []) if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0) out.push('IPAM.Config.AuxiliaryAddresses: reserved auxiliary addresses are not supported by the built-in engine');
  for (const [k, v] of Object.entries(req.Options ?? {})) if (!HONOURED_OPTIONS[k]?.(v)) out.push(`driver option ${k}=${v} is not supported by the built-in engine's bridge driver`);
  return out;
}

/** A subnet that is no CIDR at all (as opposed to one that is wrong for the network). */
export function unparsable(subnet: string): boolean {
  try {
    parseCidr(subnet);
    return false;
  } catch {
    return true;
  }
}

