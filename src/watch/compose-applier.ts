// The StackApplier over the compose engine: observe the running stack, plan against it (planUp),
// execute the plan. Filled in when the compose engine's plan/apply lands on this branch.
import type { EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import type { StackApplier } from './applier.js';

export interface ComposeApplierOptions {
  dryRun?: boolean;
  print: (text: string) => void;
}

export function composeApplier(_port: EnginePort, _opts: ComposeApplierOptions): StackApplier {
  const missing = () => Promise.reject(new BerthError('berth watch needs the compose engine (plan/apply), which this build does not have yet'));
  return { plan: missing, describe: () => [], execute: missing };
}
