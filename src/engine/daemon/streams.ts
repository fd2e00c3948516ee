// What a container says: `docker logs` (past entries, then following the run) and `docker attach`
// (its output from now on, and a client's input to its stdin), both read from the json-file log
// the shim writes.

import { ConflictError, NotImplementedError, type AttachOptions, type AttachSession, type LogEntry, type LogStream, type LogsOptions, type OutputChunk } from '../backend.js';
import { Channel } from '../../lib/channel.js';
import type { EngineCore } from './core.js';
import { endOfLog, followLog, readWholeLog } from './logs.js';
import { parseDetachKeys, watchDetachKeys } from '../runtime/detach-keys.js';
import { connectStdin } from './run.js';

export async function containerLogs(core: EngineCore, ref: string, options: LogsOptions): Promise<LogStream> {
  const live = core.find(ref);
  // dockerd's answer for a container whose driver keeps nothing (`--log-driver none`).
  if (live.rec.hostConfig.LogConfig?.Type === 'none') throw new NotImplementedError('configured logging driver does not support reading');
  const file = core.paths(live.rec.id).log;
  const out = new Channel<LogEntry>(options.signal);
  const wanted = (e: LogEntry): boolean =>
    (e.stream === 'stdout' ? options.stdout : options.stderr) &&
    (!options.since || e.time.getTime() >= options.since.getTime()) &&
    (!options.until || e.time.getTime() < options.until.getTime());
  const { entries, position } = await readWholeLog(file);
  let past = entries.filter(wanted);
  if (options.tail !== undefined) past = options.tail <= 0 ? [] : past.slice(Math.max(0, past.length - options.tail));
  for (const e of past) out.push(e);
  const untilPassed = options.until !== undefined && options.until.getTime() <= core.clock.now();
  if (options.follow && live.rec.state.Running && !untilPassed) {
    const target = live.exits;
    followLog({
      file,
      from: position,
      finished: () => live.exits > target || !core.containers.has(live.rec.id) || (options.until !== undefined && options.until.getTime() <= Date.now()),
      signal: options.signal,
      onEntry: (e) => {
        if (wanted(e)) out.push(e);
      },
      onEnd: () => out.end(),
    });
  } else out.end();
  return { tty: live.rec.config.Tty === true, entries: out };
}

export async function attachContainer(core: EngineCore, ref: string, options: AttachOptions): Promise<AttachSession> {
  const live = core.find(ref);
  if (live.rec.state.Paused) throw new ConflictError('You cannot attach to a paused container, unpause it first');
  const file = core.paths(live.rec.id).log;
  const out = new Channel<OutputChunk>(options.signal);
  const wanted = (e: LogEntry): boolean => (e.stream === 'stdout' ? options.stdout : options.stderr);
  if (options.stdin) {
    // The detach keys end this session (its output) and leave the container running.
    const input = watchDetachKeys(options.stdin, parseDetachKeys(options.detachKeys), () => out.end());
    // Without OpenStdin the container's stdin is /dev/null: input is read and dropped so the connection does not stall.
    if (live.rec.config.OpenStdin !== true) input.resume();
    else if (live.rec.state.Running) connectStdin(core, live, input);
    else live.pendingStdin.push(input);
  }
  core.emit(live, 'attach');
  if (!options.stream) {
    const { entries } = await readWholeLog(file);
    for (const e of entries) if (wanted(e)) out.push({ stream: e.stream, data: e.line });
    out.end();
    return { tty: live.rec.config.Tty === true, output: out };
  }
  let from = await endOfLog(file);
  if (options.logs) {
    const whole = await readWholeLog(file);
    for (const e of whole.entries) if (wanted(e)) out.push({ stream: e.stream, data: e.line });
    from = whole.position;
  }
  // An attach to a container that is not running follows its next run (`docker start -a`, `docker run`).
  const target = live.exits;
  followLog({
    file,
    from,
    finished: () => live.exits > target || !core.containers.has(live.rec.id),
    signal: options.signal,
    pollMs: 20,
    onEntry: (e) => {
      if (wanted(e)) out.push({ stream: e.stream, data: e.line });
    },
    onEnd: () => out.end(),
  });
  return { tty: live.rec.config.Tty === true, output: out };
}
