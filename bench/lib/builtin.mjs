// Starts berth's built-in engine for a bench run, in this process, on private state and
// runtime roots with its own socket; stop() closes it and removes what it made.
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';

function rmdirSafe(d) {
  try {
    rmdirSync(d);
  } catch {
    /* absent, or not empty: leave it */
  }
}

export async function startBuiltinEngine(repoRoot) {
  const { startDaemon } = await import(path.join(repoRoot, 'dist/engine/daemon/daemon.js'));
  const { cgroupDirs } = await import(path.join(repoRoot, 'dist/engine/runtime/cgroups.js'));
  const cgroupParent = `/berth-bench-${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-engine-'));
  const daemon = await startDaemon({
    root: path.join(dir, 'state'),
    runRoot: path.join(dir, 'run'),
    logFile: path.join(dir, 'engine.log'),
    shimBinary: path.join(repoRoot, 'dist/native/berth-shim'),
    cgroupParent,
  });
  const docker = new Docker({ socketPath: daemon.socketPath });
  return {
    docker,
    daemon,
    async stop() {
      for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });
      // The engine's networks (the default bridge too) have kernel bridges: they go with the bench's engine.
      await daemon.engine.dismantleNetworks?.();
      await daemon.close();
      // The engine keeps its cgroup parent while containers may run; this bench's is private.
      for (const d of cgroupDirs(cgroupParent)) rmdirSafe(d);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
