// The image a build ends with: the target stage's config (Docker's names and shapes), its layers'
// diff ids after the base's, and one history entry per instruction after the FROM (config-only
// ones marked empty_layer), after the base's own history — what `docker history` shows.
import type { Platform } from '../dockerfile/platform.js';
import type { ImageConfig } from '../plan/types.js';
import { DEFAULT_SHELL } from '../plan/state.js';
import type { OciImageConfig } from './ports.js';

export interface HistoryStep {
  text: string;
  /** The step added a layer. */
  layer: boolean;
  created: string;
}

export function ociConfig(opts: {
  config: ImageConfig;
  platform: Platform;
  labels: Readonly<Record<string, string>>;
  diffIds: readonly string[];
  baseHistory: NonNullable<OciImageConfig['history']>;
  steps: readonly HistoryStep[];
  created: string;
}): OciImageConfig {
  const c = opts.config;
  const labels = { ...c.labels, ...opts.labels };
  const record = <T>(keys: readonly string[]): Record<string, T> | undefined => (keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, {} as T])) : undefined);
  const h = c.healthcheck;
  const shellChanged = c.shell.length !== DEFAULT_SHELL.length || c.shell.some((s, i) => s !== DEFAULT_SHELL[i]);
  return {
    architecture: opts.platform.architecture,
    os: opts.platform.os,
    ...(opts.platform.variant ? { variant: opts.platform.variant } : {}),
    created: opts.created,
    ...(c.author ? { author: c.author } : {}),
    config: {
      ...(c.user ? { User: c.user } : {}),
      ...(c.exposedPorts.length > 0 ? { ExposedPorts: record<Record<string, never>>(c.exposedPorts) } : {}),
      Env: c.env,
      ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
      ...(c.cmd ? { Cmd: c.cmd } : {}),
      ...(c.volumes.length > 0 ? { Volumes: record<Record<string, never>>(c.volumes) } : {}),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(Object.keys(labels).length > 0 ? { Labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
      ...(h
        ? {
            Healthcheck: {
              Test: h.test,
              ...(h.intervalNs ? { Interval: h.intervalNs } : {}),
              ...(h.timeoutNs ? { Timeout: h.timeoutNs } : {}),
              ...(h.startPeriodNs ? { StartPeriod: h.startPeriodNs } : {}),
              ...(h.startIntervalNs ? { StartInterval: h.startIntervalNs } : {}),
              ...(h.retries !== undefined ? { Retries: h.retries } : {}),
            },
          }
        : {}),
      ...(c.onBuild.length > 0 ? { OnBuild: c.onBuild } : {}),
      ...(shellChanged ? { Shell: c.shell } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [...opts.diffIds] },
    history: [
      ...opts.baseHistory,
      ...opts.steps.map((s) => ({ created: s.created, created_by: s.text, comment: 'berth build', ...(s.layer ? {} : { empty_layer: true }) })),
    ],
  };
}
