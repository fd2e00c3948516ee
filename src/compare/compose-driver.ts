// StackDriver over the compose engine: plan + apply (`berth up -d` with the placement override
// and --scale) and down (-v), on the selected engine port.

import type { DockerPort } from '../client/docker-port.js';
import { BerthError } from '../errors.js';
import type { StackDriver } from './stack-driver.js';

export interface ComposeDriverOptions {
  files: string[];
  workingDir: string;
}

export class OrchestrationUnavailableError extends BerthError {}

export function createComposeDriver(port: DockerPort, _opts: ComposeDriverOptions): StackDriver {
  const missing = (): never => {
    throw new OrchestrationUnavailableError('berth compare needs the compose engine (src/plan, src/apply: up/down with placement modes), which this build does not have yet');
  };
  return {
    async engineDescription() {
      const v = await port.version();
      return `${v.flavour === 'berth' ? 'berth built-in' : 'Docker Engine'} ${v.version}`;
    },
    up: async () => missing(),
    down: async () => missing(),
  };
}
