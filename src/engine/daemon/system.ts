// The system part of the backend: /info, /version, /_ping and the event stream.

import os from 'node:os';
import { InternalError, InvalidArgumentError, toEngineError, type AuthConfig, type EventMessage, type EventsOptions, type SystemBackend, type SystemDataUsage, type SystemInfo, type SystemVersion } from '../backend.js';
import { hostCgroupMounts, probeCgroupFeatures } from '../runtime/cgroups.js';
import { iso, type EngineCore } from './core.js';
import { dataUsage } from './disk-usage.js';
import { checkLogin } from './image-transfer.js';

export const ENGINE_VERSION = '0.1.0';

/** `docker info`'s registry section: mirrors and insecure registries as dockerd reports them. */
function registryInfo(core: EngineCore): Record<string, unknown> {
  const c = core.registryConfig;
  return {
    InsecureRegistryCIDRs: [...(c.loopbackInsecure === false ? [] : ['127.0.0.0/8', '::1/128']), ...(c.insecureRegistries ?? []).filter((r) => r.includes('/'))],
    IndexConfigs: {},
    Mirrors: c.mirrors?.['docker.io'] ?? [],
  };
}

export class System implements SystemBackend {
  constructor(private readonly core: EngineCore) {}

  async info(): Promise<SystemInfo> {
    const core = this.core;
    const all = [...core.containers.values()];
    const running = all.filter((l) => l.rec.state.Running && !l.rec.state.Paused).length;
    const paused = all.filter((l) => l.rec.state.Paused).length;
    const mounts = hostCgroupMounts();
    const features = probeCgroupFeatures(mounts);
    const images = await core.store.list().catch(() => []);
    return {
      ID: `berth:${os.hostname()}`,
      Containers: all.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: all.length - running - paused,
      Images: images.length,
      Driver: 'overlay',
      DriverStatus: [['Backing Filesystem', 'overlayfs']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: features.memoryLimit,
      SwapLimit: features.swapLimit,
      CpuCfsPeriod: features.cpuCfsPeriod,
      CpuCfsQuota: features.cpuCfsQuota,
      CPUShares: features.cpuShares,
      CPUSet: features.cpuSet,
      PidsLimit: features.pidsLimit,
      IPv4Forwarding: core.options.outboundNat === true,
      Debug: false,
      NFd: 0,
      // The built-in engine does not offer --oom-kill-disable.
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: iso(core.clock.now()),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: mounts.some((m) => m.version === 1) ? '1' : '2',
      NEventsListener: core.events.listenerCount,
      KernelVersion: os.release(),
      OperatingSystem: 'berth built-in engine',
      OSVersion: '',
      OSType: 'linux',
      Architecture: os.machine(),
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: registryInfo(core),
      DockerRootDir: core.root,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: os.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      Runtimes: { runc: { path: core.runner.runc.binary } },
      DefaultRuntime: 'runc',
      // By construction, not configuration: every container runs under its own berth-shim, which is
      // not this process's child, and a starting engine re-adopts them (test/engine/daemon/daemon-process.test.ts).
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: core.initBinary ?? '',
      SecurityOptions: ['name=seccomp,profile=builtin'],
      Warnings: null,
    };
  }

  async version(): Promise<SystemVersion> {
    return {
      Platform: { Name: 'berth built-in engine' },
      Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: { Runtime: 'runc', Monitor: 'berth-shim' } }],
      Version: ENGINE_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      KernelVersion: os.release(),
      BuildTime: '',
    };
  }

  async auth(config: AuthConfig): Promise<{ Status: string; IdentityToken?: string }> {
    try {
      return await checkLogin(this.core, config);
    } catch (e) {
      throw toEngineError(e);
    }
  }

  async dataUsage(types: readonly string[]): Promise<SystemDataUsage> {
    try {
      return await dataUsage(this.core, types);
    } catch (e) {
      if (e instanceof Error && /^unknown type/.test(e.message)) throw new InvalidArgumentError(e.message);
      throw toEngineError(e);
    }
  }

  async ping(): Promise<void> {
    if (this.core.closed) throw new InternalError('the engine is shutting down');
  }

  experimental(): boolean {
    return false;
  }

  events(options: EventsOptions): AsyncIterable<EventMessage> {
    return this.core.events.subscribe(options);
  }
}
