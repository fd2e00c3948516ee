// The engine's network settings from the environment of `berth engine run|start` (no CLI flags:
// the engine command's flags are shared ground; these are rarely changed):
//   BERTH_ADDRESS_POOLS  `base/prefix:size,…` (dockerd's default-address-pools), e.g. 10.77.0.0/16:24
//   BERTH_DNS_UPSTREAM   `ip[:port],…` servers for names the engine does not know (default: none)
//   BERTH_OUTBOUND_NAT   `1`/`true`: masquerade containers' traffic out of the host (default: off)

import { parseCidr, type AddressPool } from './ipam.js';

export interface NetworkSettings {
  addressPools?: AddressPool[];
  dnsUpstream?: string[];
  outboundNat?: boolean;
}

export class NetworkSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkSettingsError';
  }
}

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

export function networkSettingsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): NetworkSettings {
  const out: NetworkSettings = {};
  const pools = env.BERTH_ADDRESS_POOLS;
  if (pools) {
    out.addressPools = list(pools).map((p) => {
      const m = /^([\d.]+\/\d{1,2}):(\d{1,2})$/.exec(p);
      if (!m) throw new NetworkSettingsError(`BERTH_ADDRESS_POOLS: "${p}" is not base/prefix:size (e.g. 10.77.0.0/16:24)`);
      try {
        parseCidr(m[1]);
      } catch (e) {
        throw new NetworkSettingsError(`BERTH_ADDRESS_POOLS: ${(e as Error).message}`);
      }
      return { base: m[1], size: Number(m[2]) };
    });
  }
  if (env.BERTH_DNS_UPSTREAM) out.dnsUpstream = list(env.BERTH_DNS_UPSTREAM);
  const nat = env.BERTH_OUTBOUND_NAT;
  if (nat && ['1', 'true', 'yes', 'on'].includes(nat.toLowerCase())) out.outboundNat = true;
  return out;
}
