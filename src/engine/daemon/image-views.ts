// The one place the image store's records become the Docker API's image shapes (`GET
// /images/json` rows and `GET /images/{name}/json`), as moby's daemon/images builds them from
// its image store: familiar names, RepoDigests, the image config's container config, RootFS and
// the overlay GraphDriver.
import type { ContainerConfig, ImageInspect, ImageSummary } from '../backend.js';
import { familiarName } from '../reference/reference.js';
import type { StoredImage } from '../images/store.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function createdSeconds(image: StoredImage): number {
  return Math.floor((Date.parse(image.config.created ?? '1970-01-01T00:00:00Z') || 0) / 1000);
}

/** A row of `GET /images/json`; `containers` is how many containers use it (-1: not counted). */
export function imageSummary(image: StoredImage, containers = -1): ImageSummary {
  return {
    Id: image.id,
    ParentId: '',
    RepoTags: image.names.map(familiarName),
    RepoDigests: image.digests.map(familiarName),
    Created: createdSeconds(image),
    Size: image.size,
    SharedSize: -1,
    VirtualSize: image.size,
    Labels: image.config.config?.Labels ?? {},
    Containers: containers,
  };
}

/** `GET /images/{name}/json`: the config's fields Docker always prints, null where it prints null. */
export function imageInspect(image: StoredImage): ImageInspect {
  const c: ContainerConfig = image.config.config ?? {};
  const config: ContainerConfig = {
    ...c,
    User: c.User ?? '',
    Env: c.Env ?? [],
    Cmd: c.Cmd ?? null,
    Entrypoint: c.Entrypoint ?? null,
    WorkingDir: c.WorkingDir ?? '',
    ExposedPorts: c.ExposedPorts ?? null,
    Volumes: c.Volumes ?? null,
    Labels: c.Labels ?? null,
    OnBuild: c.OnBuild ?? null,
  };
  return {
    Id: image.id,
    RepoTags: image.names.map(familiarName),
    RepoDigests: image.digests.map(familiarName),
    Parent: '',
    Comment: image.config.comment ?? '',
    Created: image.config.created ?? '',
    DockerVersion: '',
    Author: image.config.author ?? '',
    Config: config,
    Architecture: image.config.architecture,
    ...(image.config.variant ? { Variant: image.config.variant } : {}),
    Os: image.config.os,
    Size: image.size,
    VirtualSize: image.size,
    // Every layer is a read-only lower dir of a container's overlay, top-most first.
    GraphDriver: { Name: 'overlay', Data: { LowerDir: image.lowerDirs.join(':') } },
    RootFS: { Type: 'layers', Layers: image.config.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: image.lastTagTime ?? ZERO_TIME },
  };
}
