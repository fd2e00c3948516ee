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
    Labels: image.config.config?.Labels ?? null,
    Containers: containers,
  };
}

/** A stored list that Go's strslice reads: an array as it is, a lone string as a one-element list. */
function strSlice(v: string[] | string | null | undefined): string[] | null {
  return typeof v === 'string' ? [v] : (v ?? null);
}

/**
 * A container config as dockerd prints one it read from an image config (moby's container.Config
 * through encoding/json): every field without `omitempty` is there — '' or false for a missing
 * scalar, null for a missing list or map, [] and {} kept as stored — and the `omitempty` ones
 * (ExposedPorts, Healthcheck, ArgsEscaped, NetworkDisabled, MacAddress, StopSignal, StopTimeout,
 * Shell) only when set. In Go's field order.
 */
export function dockerContainerConfig(c: ContainerConfig = {}): ContainerConfig {
  const shell = strSlice(c.Shell);
  return {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0 ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: c.Tty ?? false,
    OpenStdin: c.OpenStdin ?? false,
    StdinOnce: c.StdinOnce ?? false,
    Env: c.Env ?? null,
    Cmd: strSlice(c.Cmd),
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: c.Image ?? '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: strSlice(c.Entrypoint),
    ...(c.NetworkDisabled ? { NetworkDisabled: true } : {}),
    ...(c.MacAddress ? { MacAddress: c.MacAddress } : {}),
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.StopTimeout !== undefined && c.StopTimeout !== null ? { StopTimeout: c.StopTimeout } : {}),
    ...(shell && shell.length > 0 ? { Shell: shell } : {}),
  };
}

/**
 * The overlay directories of an image as its containers stack them: the top layer is UpperDir and
 * the ones under it LowerDir (top-most first), dockerd's keys for an image. An image has no merged
 * or work dir of its own here (its layers are only ever lower dirs of a container's overlay), so
 * MergedDir and WorkDir, which dockerd names without making them, are left out.
 */
function imageGraphDriverData(lowerDirs: readonly string[]): Record<string, string> {
  const [upper, ...lower] = lowerDirs;
  if (upper === undefined) return {};
  return { ...(lower.length > 0 ? { LowerDir: lower.join(':') } : {}), UpperDir: upper };
}

/**
 * `GET /images/{name}/json`, as dockerd 20.10 prints it: the stored config's container config,
 * the container a commit came from with its config, and the version of the daemon that made the
 * image, each with the keys and null-or-empty values Go's types give them.
 */
export function imageInspect(image: StoredImage): ImageInspect {
  const c = image.config;
  return {
    Id: image.id,
    RepoTags: image.names.map(familiarName),
    RepoDigests: image.digests.map(familiarName),
    Parent: '',
    Comment: c.comment ?? '',
    Created: c.created ?? ZERO_TIME,
    Container: c.container ?? '',
    ContainerConfig: dockerContainerConfig(c.container_config),
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: c.config ? dockerContainerConfig(c.config) : null,
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Name: 'overlay', Data: imageGraphDriverData(image.lowerDirs) },
    RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: image.lastTagTime ?? ZERO_TIME },
  };
}
