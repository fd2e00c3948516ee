// The image builder `berth up` uses on Swarm (src/swarm/build.ts): the manager's own engine builds
// the service's image (its classic builder, POST /build, as `berth build` drives any engine) and
// pushes it to the registry its `image:` names, with the user's registry credentials. The manager
// is a node of the Swarm, so it reaches the registry the nodes pull from, which the machine running
// berth may not (a lab's registry lives in the lab's own network).
import type { ProgressTracker } from '../apply/progress.js';
import { DockerPort, dockerHostOptions } from '../client/docker-port.js';
import { buildServices } from '../compose/build.js';
import { BerthError } from '../errors.js';
import type { ImageBuilder } from '../swarm/build.js';

export function managerImageBuilder(dockerHost: string, env: Readonly<Record<string, string | undefined>>, progress: ProgressTracker, warn: (w: string) => void): ImageBuilder {
  const port = new DockerPort({ ...dockerHostOptions(dockerHost, env), description: `the Swarm manager's engine at ${dockerHost}` });
  return {
    async build(project, service) {
      await buildServices(port, project, [service], {}, progress, warn);
    },
    async push(reference) {
      const pushed = await port.images.push(reference);
      if (!pushed.digest) throw new BerthError(`pushing ${reference} reported no digest; the stack is deployed by digest, so nothing was deployed`);
      return pushed.digest;
    },
  };
}
