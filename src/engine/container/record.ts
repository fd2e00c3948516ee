// What the engine persists per container, and how: one JSON file per container written atomically
// (temp file, fsync, rename, fsync of the directory) so a crash leaves the old or the new record,
// never a torn one.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerConfig, ContainerState, HostConfig } from '../backend.js';
import type { PortBindingActual } from '../networks/ports.js';
import type { EndpointState } from '../networks/store.js';
import type { ContainerMount } from '../volumes/service.js';

export interface ContainerRecord {
  id: string;
  /** Without the leading slash. */
  name: string;
  created: string;
  /** Resolved image id (sha256:…) and the reference the client gave. */
  image: string;
  imageRef: string;
  /** The effective config (image config merged in). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  /** Host pid of berth-shim while the container runs. */
  monitorPid: number;
  restartCount: number;
  /** Stopped by the user (stop, or kill): restart policies other than `always` after a daemon restart stay off. */
  manuallyStopped: boolean;
  hasBeenStarted: boolean;
  /** Created with a warning about an unavailable init. */
  warnings: string[];
  /** Endpoints by network id (bridge networks only); kept while the container exists. */
  endpoints?: Record<string, EndpointState>;
  /** Host ports bound for the current (or last) run. */
  ports?: PortBindingActual[];
  /** Mounts decided at create (volumes named, anonymous ones made); absent in records of older engines. */
  mounts?: ContainerMount[];
}

/** Records live apart from the runner's per-container directory, which a failed start removes. */
export function recordPath(recordsDir: string, id: string): string {
  return path.join(recordsDir, `${id}.json`);
}

/** Every readable record `<recordsDir>/<id>.json`; unreadable ones are reported, not fatal. */
export async function loadRecords(recordsDir: string): Promise<{ records: ContainerRecord[]; broken: string[] }> {
  const records: ContainerRecord[] = [];
  const broken: string[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(recordsDir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const n of names.sort()) {
    try {
      records.push(JSON.parse(await readFile(path.join(recordsDir, n), 'utf8')) as ContainerRecord);
    } catch {
      broken.push(n);
    }
  }
  return { records, broken };
}

/** The endpoint published ports forward to, and the pre-1.44 inspect fields describe: the container's first interface. */
export function primaryEndpoint(rec: ContainerRecord): EndpointState | undefined {
  return Object.values(rec.endpoints ?? {}).sort((a, b) => Number(a.ifName.slice(3)) - Number(b.ifName.slice(3)))[0];
}
