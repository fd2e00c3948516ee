// Platforms as containerd's `platforms` package reads and normalises them (`linux/arm64`,
// `linux/arm/v7`, `amd64`), and the automatic platform ARGs BuildKit defines in the global
// scope: BUILDPLATFORM/BUILDOS/BUILDARCH/BUILDVARIANT for the machine that builds,
// TARGETPLATFORM/TARGETOS/TARGETARCH/TARGETVARIANT for the one the image is for.
import { ValueError } from './values.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const ARCH_ALIASES: Record<string, [string, string?]> = {
  i386: ['386'],
  x86_64: ['amd64'],
  'x86-64': ['amd64'],
  aarch64: ['arm64'],
  armhf: ['arm', 'v7'],
  armel: ['arm', 'v6'],
};
const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'android', 'ios', 'aix', 'plan9', 'dragonfly', 'js', 'wasip1']);

function normalizeArch(arch: string, variant: string | undefined): [string, string | undefined] {
  const alias = ARCH_ALIASES[arch];
  if (alias) return [alias[0], variant ?? alias[1]];
  if (arch === 'aarch64' || arch === 'arm64') return ['arm64', variant === 'v8' || variant === '8' ? undefined : variant];
  if (arch === 'arm') {
    const v = variant === undefined ? 'v7' : /^\d+$/.test(variant) ? `v${variant}` : variant;
    return ['arm', v];
  }
  if (arch === 'amd64' && variant === 'v1') return ['amd64', undefined];
  return [arch, variant];
}

/** `linux/arm64/v8` → {linux, arm64}; a lone architecture gets the default OS. */
export function parsePlatform(spec: string, defaultOs = DEFAULT_PLATFORM.os): Platform {
  const bad = (why: string): never => {
    throw new ValueError(`invalid platform ${JSON.stringify(spec)}: ${why}`, 'use os/arch[/variant], e.g. linux/amd64 or linux/arm/v7');
  };
  const parts = spec.toLowerCase().split('/');
  if (parts.some((p) => !/^[a-z0-9_.+-]+$/.test(p))) bad('each part must be a name');
  if (parts.length > 3) bad('too many parts');
  let os: string;
  let arch: string;
  let variant: string | undefined;
  if (parts.length === 1) {
    if (KNOWN_OS.has(parts[0])) bad('an architecture is needed after the OS');
    [os, arch] = [defaultOs, parts[0]];
  } else {
    [os, arch, variant] = parts;
  }
  if (os === 'macos') os = 'darwin';
  const [a, v] = normalizeArch(arch, variant);
  return v === undefined ? { os, architecture: a } : { os, architecture: a, variant: v };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** The automatic global ARGs, in BuildKit's order. */
export function platformArgs(build: Platform, target: Platform): [string, string][] {
  return [
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
  ];
}
