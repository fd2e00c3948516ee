// The OCI image config (the blob whose digest is an image's id), typed with the engine's one set
// of Docker wire types: its `config` is the container config a container of the image starts
// with, Docker's `ContainerConfig` (backend.ts), as moby's image spec embeds it.
import { createHash } from 'node:crypto';
import type { ContainerConfig } from '../backend.js';
import { ImageError } from './errors.js';

export interface ImageHistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigFile {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ContainerConfig;
  /** Docker's: the container a commit was made from, its config, and the daemon's version that made the image. */
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  rootfs: { type: string; diff_ids: string[] };
  history?: ImageHistoryEntry[];
}

/** Parses an image config blob, with the checks every path into the store needs. */
export function parseImageConfig(bytes: Buffer, what = 'image config'): ImageConfigFile {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImageError('invalid', `${what} is not valid JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ImageError('invalid', `${what} is not a JSON object`);
  const c = doc as Partial<ImageConfigFile>;
  if (!c.rootfs || !Array.isArray(c.rootfs.diff_ids)) throw new ImageError('invalid', `${what} has no rootfs.diff_ids`);
  return { ...c, architecture: c.architecture ?? '', os: c.os ?? '', rootfs: c.rootfs };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of a sha256 digest; anything else is refused (a digest is also a file name here). */
export function hexOf(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ImageError('invalid', `invalid digest ${JSON.stringify(digest)}`);
  return hex;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function ociArchitecture(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}
