// `berth attach [--index N] [--no-stdin] [--sig-proxy=false] [--detach-keys KEYS] SERVICE`: thin
// over src/compose/attach.ts. Exits with the container's exit code, or 0 after detaching.
import { attachService } from '../../compose/attach.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../compose/detach-keys.js';
import { booleanFlag } from '../flags.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { terminalSession, type TerminalSession } from './terminal.js';

export interface AttachFlags {
  index?: string;
  /** commander's `--no-stdin`: false when given. */
  stdin?: boolean;
  sigProxy?: string | boolean;
  detachKeys?: string;
}

export async function runAttach(globals: GlobalFlags, flags: AttachFlags, service: string, io: CliIO): Promise<number> {
  const index = intFlag('--index', flags.index);
  const sigProxy = booleanFlag('--sig-proxy', flags.sigProxy, true);
  const detachKeys = parseDetachKeys(flags.detachKeys ?? io.env.BERTH_DETACH_KEYS ?? DEFAULT_DETACH_KEYS);
  const withStdin = flags.stdin !== false;
  const c = await lifecycleContext(globals, io, { engine: 'require', services: [service] });
  let session: TerminalSession | undefined;
  try {
    const result = await attachService(
      c.target,
      service,
      { ...(index !== undefined ? { index } : {}), sigProxy, detachKeys, ...(io.onInterrupt ? { onInterrupt: io.onInterrupt } : {}) },
      (tty) => {
        session = terminalSession(io, { wantTty: tty, attachStdin: withStdin });
        return { ...(session.stdin ? { stdin: session.stdin } : {}), output: session.output };
      },
    );
    if (result.exitCode === undefined) {
      io.stderr(`\ndetached from ${result.container}; it keeps running\n`);
      return 0;
    }
    return result.exitCode;
  } finally {
    session?.restore();
  }
}
