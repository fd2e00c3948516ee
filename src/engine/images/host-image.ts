// The built-in host image (`berth/host:latest`) is virtual: nothing is stored for it. Its only
// "layer" is the machine's own `/`, used read-only as the overlay lower dir, so a container of
// it sees the host's programs without a copy. It is listed and inspected like any image but
// cannot be removed, saved, pushed or have its name taken by another image. Its config is
// fixed, so it has one id across restarts and machines of one architecture.
import { ociArchitecture, sha256, type ImageConfigFile } from './image-config.js';

export const HOST_IMAGE_TAG = 'docker.io/berth/host:latest';
export const HOST_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The host image's label; images built on it inherit it, which stacks their layers on the host's root. */
export const HOST_BASE_LABEL = 'io.berth.image.host';

export function hostImageConfig(): { bytes: Buffer; id: string; config: ImageConfigFile } {
  const config: ImageConfigFile = {
    architecture: ociArchitecture(),
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    comment: "this machine's root filesystem, read-only",
    config: { Env: [`PATH=${HOST_IMAGE_PATH}`], Cmd: ['/bin/sh'], Labels: { [HOST_BASE_LABEL]: 'true' } },
    rootfs: { type: 'layers', diff_ids: [] },
  };
  const bytes = Buffer.from(JSON.stringify(config));
  return { bytes, id: sha256(bytes), config };
}
