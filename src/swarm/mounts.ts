// A service's `volumes:` and `tmpfs:` → Swarm mounts. Named volumes carry their driver and
// options, because each node creates the volume the first time a task there mounts it; binds
// read a path of whichever node runs the task.
import type { ServiceConfig, ServiceVolume } from '../model/project.js';
import { parseSize, SizeError } from '../loader/sizes.js';
import type { Labels, Mount } from '../client/swarm-api.js';
import type { SwarmVolume } from './objects.js';
import { compact, stringMap, type Findings } from './values.js';

export interface MountContext {
  service: string;
  volumes: ReadonlyMap<string, SwarmVolume>;
  stackLabels: Labels;
  findings: Findings;
}

export function translateMounts(svc: ServiceConfig, ctx: MountContext): Mount[] {
  const mounts: Mount[] = [];
  (svc.volumes ?? []).forEach((v, i) => {
    const m = mountFor(v, ['services', ctx.service, 'volumes', i], ctx);
    if (m) mounts.push(m);
  });
  (Array.isArray(svc.tmpfs) ? svc.tmpfs : []).forEach((entry, i) => {
    const m = tmpfsEntry(String(entry), ['services', ctx.service, 'tmpfs', i], ctx.findings);
    if (m) mounts.push(m);
  });
  if (mounts.some((m) => m.Type === 'bind')) {
    ctx.findings.notice(`services.${ctx.service}: bind mounts read the path on whichever node runs each task; Swarm does not create it, so it must exist on every node that may run the service`);
  }
  return mounts;
}

function mountFor(v: ServiceVolume, at: (string | number)[], ctx: MountContext): Mount | undefined {
  const f = ctx.findings;
  switch (v.type) {
    case 'volume': {
      const base = { Type: 'volume' as const, Target: v.target, ReadOnly: v.read_only || undefined, Consistency: v.consistency };
      if (v.source === undefined) return compact({ ...base, VolumeOptions: compact({ NoCopy: v.volume?.nocopy || undefined, Labels: { ...ctx.stackLabels } }) });
      const vol = ctx.volumes.get(v.source);
      if (!vol) {
        f.error([...at, 'source'], `volume "${v.source}" is not declared under the top-level volumes`);
        return undefined;
      }
      const own = stringMap((v.volume as { labels?: unknown } | undefined)?.labels) ?? {};
      return compact({
        ...base,
        Source: vol.name,
        VolumeOptions: compact({
          NoCopy: v.volume?.nocopy || undefined,
          Labels: vol.external ? undefined : { ...own, ...vol.labels },
          // An external volume already exists: its driver is not ours to state.
          DriverConfig: vol.external ? undefined : compact({ Name: vol.driver, Options: vol.driverOptions }),
        }),
      });
    }
    case 'bind':
      return compact({
        Type: 'bind' as const,
        Source: v.source,
        Target: v.target,
        ReadOnly: v.read_only || undefined,
        Consistency: v.consistency,
        BindOptions: v.bind?.propagation ? { Propagation: v.bind.propagation } : undefined,
      });
    case 'tmpfs':
      return compact({ Type: 'tmpfs' as const, Target: v.target, ReadOnly: v.read_only || undefined, TmpfsOptions: compact({ SizeBytes: v.tmpfs?.size, Mode: v.tmpfs?.mode }) });
    case 'npipe':
      return compact({ Type: 'npipe' as const, Source: v.source, Target: v.target, ReadOnly: v.read_only || undefined });
    default:
      f.error([...at, 'type'], `Swarm services cannot mount ${v.type} volumes (not in the Swarm API 1.41); remove it or deploy with --engine docker`);
      return undefined;
  }
}

/** `tmpfs: /run:size=64m,mode=1777` — Swarm's tmpfs mounts take a size and a mode, nothing else. */
function tmpfsEntry(entry: string, at: (string | number)[], f: Findings): Mount | undefined {
  const colon = entry.indexOf(':');
  const target = colon === -1 ? entry : entry.slice(0, colon);
  const opts = colon === -1 ? [] : entry.slice(colon + 1).split(',').filter((o) => o !== '');
  const mount: Mount = { Type: 'tmpfs', Target: target };
  const options: NonNullable<Mount['TmpfsOptions']> = {};
  for (const o of opts) {
    const [k, val = ''] = o.split('=');
    if (k === 'size') {
      try {
        options.SizeBytes = parseSize(val);
      } catch (e) {
        if (!(e instanceof SizeError)) throw e;
        f.error(at, e.message);
      }
    } else if (k === 'mode' && /^[0-7]+$/.test(val)) {
      options.Mode = parseInt(val, 8);
    } else if (k === 'rw') {
      // the default
    } else if (k === 'ro') {
      mount.ReadOnly = true;
    } else {
      f.error(at, `Swarm tmpfs mounts take only size=, mode= and ro; "${o}" cannot be set (remove it or deploy with --engine docker)`);
    }
  }
  return Object.keys(options).length ? { ...mount, TmpfsOptions: options } : mount;
}
