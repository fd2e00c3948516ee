// A user's seccomp profile (`docker run --security-opt seccomp=profile.json`: the CLI sends the
// file's JSON) in Docker's format, turned into the OCI `linux.seccomp` runc applies — moby
// profiles/seccomp setupSeccomp: the architectures of this machine (archMap or architectures),
// each rule's includes/excludes on capabilities, architectures and kernel version resolved for
// this container, `name` or `names`, actions, errno returns and argument conditions kept.

import os from 'node:os';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** runtime-spec's LinuxSeccomp (the fields runc 1.1 reads). */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSeccompSyscall[];
}

interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

interface DockerRule {
  name?: string;
  names?: string[];
  action?: string;
  errnoRet?: number;
  args?: OciSeccompArg[] | null;
  includes?: Filter;
  excludes?: Filter;
}

interface DockerProfile {
  defaultAction?: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[] | null;
  flags?: string[];
  syscalls?: DockerRule[] | null;
}

export class SeccompProfileError extends Error {
  readonly apiKind = 'invalid';
  constructor(message: string) {
    super(message);
    this.name = 'SeccompProfileError';
  }
}

/** Node's process.arch → libseccomp's name for the native ABI. */
const NATIVE: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', ia32: 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', ppc64: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64' };
/** Docker's includes/excludes `arches` use Go's GOARCH names. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function kernelAtLeast(release: string, min: string): boolean {
  const a = release.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const b = min.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length, 2); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Parses and resolves a Docker seccomp profile for a container holding `capabilities`. */
export function dockerSeccompToOci(json: string, capabilities: readonly string[], arch: string = process.arch, kernel: string = os.release()): OciSeccomp {
  let p: DockerProfile;
  try {
    p = JSON.parse(json) as DockerProfile;
  } catch (e) {
    throw new SeccompProfileError(`Decoding seccomp profile failed: ${(e as Error).message}`);
  }
  if (p === null || typeof p !== 'object' || typeof p.defaultAction !== 'string' || p.defaultAction === '') {
    throw new SeccompProfileError('Decoding seccomp profile failed: the profile needs a defaultAction');
  }
  if (p.architectures && p.architectures.length > 0 && p.archMap && p.archMap.length > 0) {
    throw new SeccompProfileError("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const native = NATIVE[arch];
  let architectures: string[] | undefined;
  if (p.archMap && p.archMap.length > 0) {
    const mine = p.archMap.find((a) => a.architecture === native);
    architectures = mine ? [mine.architecture, ...(mine.subArchitectures ?? [])] : [];
  } else if (p.architectures && p.architectures.length > 0) architectures = [...p.architectures];
  const caps = new Set(capabilities);
  const goarch = GOARCH[arch] ?? arch;
  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of p.syscalls ?? []) {
    if (rule.name && rule.names && rule.names.length > 0) throw new SeccompProfileError("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(goarch)) continue;
    if (inc.caps && inc.caps.length > 0 && !inc.caps.every((c) => caps.has(c))) continue;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) continue;
    if (exc.arches && exc.arches.includes(goarch)) continue;
    if (exc.caps && exc.caps.some((c) => caps.has(c))) continue;
    const names = rule.name ? [rule.name] : (rule.names ?? []);
    if (names.length === 0) continue;
    const entry: OciSeccompSyscall = { names: [...names], action: rule.action ?? p.defaultAction };
    if (rule.errnoRet !== undefined) entry.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) entry.args = rule.args.map((a) => ({ index: a.index, value: a.value, ...(a.valueTwo ? { valueTwo: a.valueTwo } : {}), op: a.op }));
    syscalls.push(entry);
  }
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    ...(architectures ? { architectures } : {}),
    ...(p.flags && p.flags.length > 0 ? { flags: [...p.flags] } : {}),
    syscalls,
  };
}
