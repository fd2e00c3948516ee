// `berth engine run`: the built-in engine's daemon in the foreground, and `berth engine cleanup`:
// what a dead engine left on the host, removed. `start`, `stop` and `status` are the launcher's
// (src/client/engine-launcher.ts), which engine selection also uses.

import { checkSocketAndHosts, daemonFlagsOf, resolveEnginePaths, type EngineFlags } from '../../client/engine-launcher.js';
import { BerthError } from '../../errors.js';
import type { CliIO } from '../io.js';

/** Foreground: serves until SIGTERM/SIGINT, then stops serving (containers keep running). */
export async function runEngineForeground(flags: EngineFlags, io: CliIO): Promise<void> {
  const { startDaemon, DaemonLockError } = await import('../../engine/daemon/daemon.js');
  const { networkSettingsFromEnv, NetworkSettingsError } = await import('../../engine/networks/config.js');
  const { daemonSettings, DaemonConfigError } = await import('../../engine/daemon/daemon-config.js');
  const r = resolveEnginePaths(flags, io);
  // <root>/daemon.json or --config-file, then --registry-mirror, --insecure-registry,
  // --max-concurrent-*, -H, --group and --tls*.
  const daemonFlags = daemonFlagsOf(flags, io.cwd);
  let daemon;
  try {
    const { access, ...registry } = await daemonSettings(r.root, daemonFlags);
    checkSocketAndHosts(flags.socket, access.hosts);
    daemon = await startDaemon({
      ...r,
      ...registry,
      access,
      // BERTH_ADDRESS_POOLS, BERTH_DNS_UPSTREAM, BERTH_OUTBOUND_NAT (`engine start` passes its environment on).
      ...networkSettingsFromEnv(io.env),
      ...(flags.runc ? { runcBinary: flags.runc } : {}),
      ...(flags.shim ? { shimBinary: flags.shim } : {}),
      ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}),
      ...(flags.log ? { logFile: flags.log } : {}),
      // BERTH_SECCOMP_COMPAT_ARCHES=1: seccomp filters also admit 32-bit/x32 programs, as Docker's do.
      ...(/^(1|true|yes)$/i.test(io.env.BERTH_SECCOMP_COMPAT_ARCHES ?? '') ? { seccompCompatArches: true } : {}),
      // BERTH_PREPARE_AHEAD=0: do a start's work at start, not right after create.
      ...(/^(0|false|no)$/i.test(io.env.BERTH_PREPARE_AHEAD ?? '') ? { prepareAhead: false } : {}),
    });
  } catch (e) {
    if (e instanceof DaemonLockError || e instanceof NetworkSettingsError || e instanceof DaemonConfigError) throw new BerthError(e.message);
    // Its state and runtime directories could not be made (a file in the way, no permission).
    const fsError = e as NodeJS.ErrnoException;
    if (fsError.syscall && fsError.path && fsError.code) throw new BerthError(`cannot prepare ${fsError.path}: ${fsError.code} (choose another place with --root / --run-root)`);
    throw e;
  }
  io.stderr(`berth engine listening on ${daemon.addresses.join(', ')} (pid ${process.pid})\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void daemon.close().then(done, done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}


/** `berth engine cleanup`: removes what a dead engine left (engine/daemon/cleanup.ts) and says what. */
export async function cleanupEngineLeftovers(flags: EngineFlags, io: CliIO): Promise<void> {
  const { cleanupEngine } = await import('../../engine/daemon/cleanup.js');
  const r = resolveEnginePaths(flags, io);
  const report = await cleanupEngine({
    ...r,
    ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}),
    ...(flags.runc ? { runcBinary: flags.runc } : {}),
  });
  const lines: [string, number][] = [
    ['container processes stopped', report.containers.length],
    ['monitors killed', report.monitors.length],
    ['network namespaces removed', report.netns.length],
    ['links (bridges, veths) removed', report.links.length],
    ['isolation rules removed', report.rules.length],
    ['outbound NAT setups removed', report.firewall.length],
    ['mounts unmounted', report.mounts.length],
    ['cgroups removed', report.cgroups.length],
    ['files removed (io sockets, API socket, pid file)', report.files.length],
  ];
  const done = lines.filter(([, n]) => n > 0);
  io.stdout(done.length === 0 ? `nothing to clean up for the engine on ${r.root}\n` : `cleaned up after the engine on ${r.root}:\n${done.map(([what, n]) => `  ${n} ${what}\n`).join('')}`);
  io.stdout('containers, their data, images, volumes and networks are kept: the next engine lists the containers as exited\n');
  if (report.failed.length > 0) {
    throw new BerthError(`cleanup could not remove ${report.failed.length} thing(s):\n  ${report.failed.join('\n  ')}`);
  }
}
