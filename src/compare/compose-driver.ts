// StackDriver over the compose engine: what `berth up -d` does (converge, with the group's mode
// already set in the project and any --scale) and `berth down -v`, on the
// selected engine port. Progress of the compose engine is not shown: compare has its own.

import type { EnginePort } from '../client/engine-port.js';
import { executeDown } from '../apply/down.js';
import { ProgressTracker, quietReporter } from '../apply/progress.js';
import { converge } from '../compose/converge.js';
import type { StackDriver } from './stack-driver.js';

export interface ComposeDriverOptions {
  files: string[];
  workingDir: string;
}

export function createComposeDriver(port: EnginePort, opts: ComposeDriverOptions): StackDriver {
  const progress = () => new ProgressTracker(quietReporter, Date.now);
  return {
    async engineDescription() {
      const v = await port.version();
      return `${v.flavour === 'berth' ? 'berth built-in' : 'Docker Engine'} ${v.version}`;
    },
    async up({ project, scale }) {
      await converge({ port, project, progress: progress() }, { scale, workingDir: opts.workingDir, configFiles: opts.files.filter((f) => f !== '-') });
    },
    async down(project) {
      await executeDown(project.name, project, { volumes: true, removeOrphans: true, timeout: 5 }, { port, progress: progress() });
    },
  };
}
