// The container part of the backend the API serves: each call is one of the daemon's verbs.

import type { Readable } from 'node:stream';
import type {
  ArchivePutOptions,
  AttachOptions,
  AttachSession,
  ContainerBackend,
  ContainerCommitOptions,
  ContainerCreateOptions,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerListOptions,
  ContainerRemoveOptions,
  ContainerStats,
  ContainerStopOptions,
  ContainerSummary,
  ContainerUpdateRequest,
  ContainerWaiter,
  FilesystemChange,
  LogStream,
  LogsOptions,
  PathStat,
  ProcessList,
  StatsOptions,
  WaitCondition,
} from '../backend.js';
import { inspectOf, listContainers } from '../container/views.js';
import { archiveGet, archivePut, archiveStat } from './archive-ops.js';
import { commitContainer, containerChanges, exportContainer } from './commit.js';
import { containerStats, pauseContainer, renameContainer, resizeContainerTty, topContainer, updateContainer, waitContainer } from './container-ops.js';
import type { EngineCore } from './core.js';
import { createContainer } from './create.js';
import { removeContainer } from './delete.js';
import { containerSizes } from './sizes.js';
import { restartContainer, startContainer } from './start.js';
import { killContainer, stopContainer } from './stop.js';
import { attachContainer, containerLogs } from './streams.js';

export class Containers implements ContainerBackend {
  constructor(private readonly core: EngineCore) {}

  create(request: ContainerCreateRequest, options: ContainerCreateOptions): Promise<ContainerCreateResponse> {
    return createContainer(this.core, request, options);
  }

  start(id: string): Promise<void> {
    return startContainer(this.core, id);
  }

  stop(id: string, options: ContainerStopOptions): Promise<void> {
    return stopContainer(this.core, id, options);
  }

  kill(id: string, signal: string | undefined): Promise<void> {
    return killContainer(this.core, id, signal);
  }

  restart(id: string, options: ContainerStopOptions): Promise<void> {
    return restartContainer(this.core, id, options);
  }

  wait(id: string, condition: WaitCondition): Promise<ContainerWaiter> {
    return waitContainer(this.core, id, condition);
  }

  remove(id: string, options: ContainerRemoveOptions): Promise<void> {
    return removeContainer(this.core, id, options);
  }

  async inspect(id: string, options: { size: boolean }): Promise<ContainerInspect> {
    const live = this.core.find(id);
    const lower = await this.core.store.lowerDirs(live.rec.image).catch(() => []);
    const view = inspectOf(this.core.viewContext, live, lower);
    return options.size ? { ...view, ...(await containerSizes(this.core, live.rec)) } : view;
  }

  async list(options: ContainerListOptions): Promise<ContainerSummary[]> {
    const ancestors = new Set<string>();
    for (const a of options.filters.ancestor ?? []) {
      const id = await this.core.store.resolve(a).catch(() => undefined);
      if (id) ancestors.add(id);
    }
    const list = listContainers(this.core.viewContext, this.core.containers.values(), options, ancestors);
    if (!options.size) return list;
    return Promise.all(list.map(async (c) => ({ ...c, ...(await containerSizes(this.core, this.core.find(c.Id).rec)) })));
  }

  logs(id: string, options: LogsOptions): Promise<LogStream> {
    return containerLogs(this.core, id, options);
  }

  attach(id: string, options: AttachOptions): Promise<AttachSession> {
    return attachContainer(this.core, id, options);
  }

  resize(id: string, size: { height: number; width: number }): Promise<void> {
    return resizeContainerTty(this.core, id, size);
  }

  top(id: string, psArgs: string | undefined): Promise<ProcessList> {
    return topContainer(this.core, id, psArgs);
  }

  stats(id: string, options: StatsOptions): AsyncIterable<ContainerStats> {
    return containerStats(this.core, id, options);
  }

  rename(id: string, newName: string): Promise<void> {
    return renameContainer(this.core, id, newName);
  }

  update(id: string, update: ContainerUpdateRequest): Promise<{ Warnings: string[] }> {
    return updateContainer(this.core, id, update);
  }

  pause(id: string): Promise<void> {
    return pauseContainer(this.core, id, true);
  }

  unpause(id: string): Promise<void> {
    return pauseContainer(this.core, id, false);
  }

  archiveStat(id: string, p: string): Promise<PathStat> {
    return archiveStat(this.core, id, p);
  }

  archiveGet(id: string, p: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
    return archiveGet(this.core, id, p, signal);
  }

  archivePut(id: string, p: string, tar: Readable, options: ArchivePutOptions): Promise<void> {
    return archivePut(this.core, id, p, tar, options);
  }

  changes(id: string): Promise<FilesystemChange[]> {
    return containerChanges(this.core, id);
  }

  export(id: string, signal: AbortSignal): Promise<Readable> {
    return exportContainer(this.core, id, signal);
  }

  commit(id: string, options: ContainerCommitOptions): Promise<{ Id: string }> {
    return commitContainer(this.core, id, options);
  }
}
