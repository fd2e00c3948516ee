// The built-in engine when it is not running and the command may not start it (the read-only
// ones: ps, logs, ls, images, top, stats). Starting a root daemon to look at nothing would leave
// it running afterwards; an engine that does not run has nothing to list, so lists are empty and
// every other call says the engine is not running and how to start it.

import { BerthError } from '../errors.js';
import type { EnginePort } from './engine-port.js';

export class EngineNotRunningError extends BerthError {
  constructor(readonly description: string) {
    super(`the ${description} is not running (start it with \`berth engine start\`, or \`berth up\`)`);
  }
}

export function notRunningPort(description: string): EnginePort {
  const refuse = (): never => {
    throw new EngineNotRunningError(description);
  };
  const refuseAsync = async (): Promise<never> => refuse();
  const none = async (): Promise<never[]> => [];
  // Streams fail on their first pull, as a connection refused would.
  const refuseStream = (): AsyncIterable<never> => ({
    [Symbol.asyncIterator]: () => ({ next: refuseAsync }),
  });
  return {
    description: `${description} (not running)`,
    containers: {
      list: none,
      inspect: refuseAsync,
      create: refuseAsync,
      start: refuseAsync,
      stop: refuseAsync,
      kill: refuseAsync,
      restart: refuseAsync,
      remove: refuseAsync,
      wait: refuseAsync,
      logs: refuseStream,
      attach: refuseAsync,
      pause: refuseAsync,
      unpause: refuseAsync,
      top: refuseAsync,
      stats: refuseAsync,
      statsStream: refuseStream,
      rename: refuseAsync,
      putArchive: refuseAsync,
      archiveStat: refuseAsync,
      getArchive: refuseAsync,
    },
    exec: { create: refuseAsync, start: refuseAsync, inspect: refuseAsync },
    networks: { list: none, inspect: refuseAsync, create: refuseAsync, remove: refuseAsync, connect: refuseAsync, disconnect: refuseAsync },
    volumes: { list: none, inspect: refuseAsync, create: refuseAsync, remove: refuseAsync },
    images: { list: none, inspect: refuseAsync, remove: refuseAsync, pull: refuseAsync, push: refuseAsync, registryDigest: refuseAsync, build: refuseAsync },
    events: refuseStream,
    ping: refuseAsync,
    version: refuseAsync,
  };
}
