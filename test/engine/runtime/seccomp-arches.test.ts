// The seccomp filter names the native ABI only unless the engine is asked for Docker's compat
// ABIs (seccompCompatArches): a real container makes a 32-bit syscall (`int $0x80`) and is killed
// by SIGSYS under the default filter, and gets its answer under the compat one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../helpers/daemon-harness.js';
import { cc, engineHost, kernelFactSkip, requirePrereq } from '../../support/gates.js';

// No libc (the busybox image has none): ia32 getpid through int $0x80, then exit(0) if it
// answered a pid, exit(1) if it was refused — via the native syscall.
const PROBE = `
void _start(void) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
  long code = r > 0 ? 0 : 1;
  __asm__ volatile("syscall" : : "a"(60L), "D"(code) : "rcx", "r11", "memory");
  for (;;) {}
}
`;

/** Compiles the probe into `dir`; true when the host itself answers its 32-bit syscall (outside any filter). */
function buildProbe(dir: string): boolean {
  writeFileSync(path.join(dir, 'probe.c'), PROBE);
  execFileSync('gcc', ['-static', '-nostdlib', '-O1', '-o', path.join(dir, 'probe'), path.join(dir, 'probe.c')]);
  try {
    execFileSync(path.join(dir, 'probe'), { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let probeDir: string | undefined;
let skip = requirePrereq('seccomp architectures', [...engineHost(), cc()]) || kernelFactSkip('seccomp architectures', process.arch === 'x64' ? undefined : `the probe is x86-64 code and this is ${process.arch}`);
if (!skip) {
  probeDir = mkdtempSync('/tmp/berth-seccomp-');
  if (!buildProbe(probeDir)) {
    // Some kernels have no 32-bit syscall entry at all (seen on a paravirtualised VM: int $0x80 is
    // a SIGSEGV on the host too); there is then no ABI difference for a filter to make.
    skip = kernelFactSkip('seccomp architectures', 'this kernel does not run 32-bit syscalls (int $0x80), even outside a container');
    rmSync(probeDir, { recursive: true, force: true });
    probeDir = undefined;
  }
}

afterAll(() => {
  if (probeDir) rmSync(probeDir, { recursive: true, force: true });
});

describe.skipIf(skip)('seccomp architectures (real containers)', () => {
  const engines: TestEngine[] = [];

  afterAll(async () => {
    for (const e of engines) await e.close();
  });

  async function runProbe(engine: TestEngine): Promise<number> {
    const docker = new Docker({ socketPath: engine.socketPath });
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['/probe'], HostConfig: { NetworkMode: 'none', Binds: [`${path.join(probeDir!, 'probe')}:/probe:ro`] } });
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    await c.remove({ force: true });
    return StatusCode;
  }

  it('kills a 32-bit syscall by default (native ABI only)', async () => {
    const engine = await startTestEngine('sc-native');
    engines.push(engine);
    expect(await runProbe(engine)).toBe(128 + 31); // SIGSYS
  });

  it('admits it with seccompCompatArches, as Docker does', async () => {
    const engine = await startTestEngine('sc-compat', { engine: { seccompCompatArches: true } });
    engines.push(engine);
    expect(await runProbe(engine)).toBe(0);
  });
});
