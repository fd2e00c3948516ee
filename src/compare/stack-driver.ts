// The port between compare and the orchestration: bring one project up with the compared group in
// a given placement mode (optionally with a service scaled), and take it down leaving nothing
// behind. compare never creates containers itself; the compose engine's up/down do, so what is
// measured is exactly what `berth up --placement MODE` runs.

import type { PlacementMode, Project } from '../model/project.js';

export interface StackUpRequest {
  /** The stack, already named for this run (each mode is its own project). */
  project: Project;
  group: string;
  mode: PlacementMode;
  /** Replicas per service, like `up --scale api=3`. */
  scale?: Record<string, number>;
}

export interface StackDriver {
  /** Which engine runs the stacks, for the report ("berth 0.1.0", "Docker Engine 24.0"). */
  engineDescription(): Promise<string>;
  /** Creates and starts the project detached; resolves once up has returned (not yet healthy). */
  up(request: StackUpRequest): Promise<void>;
  /** Stops and removes the project's containers, networks and volumes. */
  down(project: Project): Promise<void>;
}

/**
 * The project with a new name and the group's mode replaced: one run's stack. Networks and volumes
 * the loader named after the project (`<project>_<key>`) follow the new name, so two runs never
 * share (or remove) each other's network; names the user wrote or external ones stay.
 */
export function projectForRun(base: Project, name: string, group: string, mode: PlacementMode): Project {
  const placement = structuredClone((base.extensions['x-placement'] ?? {}) as { groups?: Record<string, { mode: PlacementMode }> });
  if (placement.groups?.[group]) placement.groups[group].mode = mode;
  const rename = <T extends { name?: string; external?: boolean }>(objects: Record<string, T>): Record<string, T> =>
    Object.fromEntries(
      Object.entries(objects).map(([key, o]) => [key, !o.external && o.name === `${base.name}_${key}` ? { ...o, name: `${name}_${key}` } : o]),
    );
  return { ...base, name, networks: rename(base.networks), volumes: rename(base.volumes), extensions: { ...base.extensions, 'x-placement': placement } };
}
