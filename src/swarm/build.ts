// Services with `build:` on Swarm: every node pulls the same image from a registry, so berth builds
// the image, pushes it to the registry its `image:` names, and deploys it by the digest the push
// returned. The builder and the push belong to the engine side (cli/swarm-builder.ts drives the
// manager's engine); this module needs only the small ImageBuilder below. Without one, `build:` is
// refused with what to do instead — never skipped, which would deploy whatever the registry has.
import { ComposeError, throwIfAny } from '../errors.js';
import type { Project } from '../model/project.js';

export interface ImageBuilder {
  /** Builds the service's `build:` into `reference` on the builder's engine. */
  build(project: Project, service: string, reference: string): Promise<void>;
  /** Pushes `reference` to its registry; resolves with the manifest digest (`sha256:…`). */
  push(reference: string): Promise<string>;
}

/**
 * Builds and pushes every selected service that has `build:`; resolves with image reference →
 * digest for the translation to pin. One build per image, even when several services share it.
 */
export async function buildForSwarm(project: Project, services: readonly string[], builder: ImageBuilder | undefined): Promise<Record<string, string>> {
  const toBuild = services.filter((s) => project.services[s].build !== undefined);
  if (toBuild.length === 0) return {};
  const errors: ComposeError[] = [];
  for (const s of toBuild) {
    const image = project.services[s].image;
    if (!image) {
      errors.push(new ComposeError('Swarm nodes pull their images from a registry, so a built service needs image: <registry>/<name>[:tag] to push the build to', { location: { path: ['services', s, 'build'] }, hint: 'add image:, or deploy with --engine docker' }));
    } else if (!builder) {
      errors.push(
        new ComposeError(`berth cannot build images for Swarm yet (its image builder and push are not part of this build); build and push ${image} first, then deploy the stack without build:`, {
          location: { path: ['services', s, 'build'] },
          hint: `docker build -t ${image} <context> && docker push ${image}; then an override file with \`services: { ${s}: { build: !reset null } }\`, or --engine docker to build and run on one engine`,
        }),
      );
    } else if (image.includes('@')) {
      errors.push(new ComposeError(`image ${image} names a digest, so a build cannot produce it`, { location: { path: ['services', s, 'image'] }, hint: 'name a tag to push the build to' }));
    }
  }
  throwIfAny(errors);
  const digests: Record<string, string> = {};
  for (const s of toBuild) {
    const image = project.services[s].image!;
    if (digests[image]) continue;
    await builder!.build(project, s, image);
    digests[image] = await builder!.push(image);
  }
  return digests;
}
