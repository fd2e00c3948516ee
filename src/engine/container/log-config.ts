// A container's logging driver (`--log-driver`, `--log-opt`) as the built-in engine honours it.
// The shim (native/berth-shim.c) holds the log's file descriptor, so it also rotates the file
// (max-size/max-file); the engine reads the rotated files back for `docker logs`.
//   json-file  Docker's: unbounded unless max-size, then max-file files (default 1: the file is
//              cut back to empty when full). compress is refused: rotated files stay plain.
//   local      Docker's defaults for it (20 MiB × 5 files), stored as json-file under the hood
//              (dockerd's local driver writes protobuf and compresses; berth does neither).
//   none       Nothing kept: `docker logs` refuses, as with dockerd. `docker attach`/`run` still see
//              the output, through a small file the shim keeps cutting back (1 MiB).
// Keys are checked at create (dockerd ValidateLogOpt); values when the container starts, with
// dockerd's "failed to initialize logging driver: …".

export type LogDriver = 'json-file' | 'local' | 'none';

export interface LogPolicy {
  driver: LogDriver;
  /** Rotate once the file holds this many bytes; undefined: never. */
  maxSize?: number;
  /** Files kept, the live one included (1: cut back to empty). */
  maxFiles: number;
  /** `docker logs` may read it. */
  readable: boolean;
}

export class LogConfigError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'not-implemented' = 'invalid',
  ) {
    super(message);
    this.name = 'LogConfigError';
  }

  get apiKind(): 'invalid' | 'not-implemented' {
    return this.kind;
  }
}

const KEYS: Record<LogDriver, readonly string[]> = {
  'json-file': ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  local: ['max-file', 'max-size', 'compress'],
  none: [],
};

/** Drivers dockerd has that the built-in engine does not. */
const ELSEWHERE = ['syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries'];

/** What create checks: the driver and the option keys (dockerd's ValidateLogOpt). */
export function checkLogConfig(type: string | undefined, config: Readonly<Record<string, string>> = {}): void {
  const driver = type || 'json-file';
  if (ELSEWHERE.includes(driver)) throw new LogConfigError(`logging driver "${driver}" is not supported by the built-in engine (json-file, local and none are)`, 'not-implemented');
  if (!(driver in KEYS)) throw new LogConfigError(`logger: no log driver named '${driver}' is registered`);
  for (const key of Object.keys(config)) {
    if (!KEYS[driver as LogDriver].includes(key)) throw new LogConfigError(`unknown log opt '${key}' for ${driver} log driver`);
    // Labels and env go into each line's attrs (docker logs --details), which berth's log does not carry.
    if (['labels', 'labels-regex', 'env', 'env-regex'].includes(key) && config[key] !== '') {
      throw new LogConfigError(`log opt '${key}' is not supported by the built-in engine (log lines carry no attributes)`, 'not-implemented');
    }
  }
}

/** go-units FromHumanSize (decimal: 1k = 1000) or RAMInBytes (binary: 1k = 1024). */
function parseSize(text: string, binary: boolean): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)$/i.exec(text.trim());
  if (!m) throw new LogConfigError(`failed to initialize logging driver: invalid size: '${text}'`);
  const base = binary ? 1024 : 1000;
  const power = ['', 'k', 'm', 'g', 't', 'p'].indexOf(m[2].toLowerCase());
  return Math.floor(Number(m[1]) * base ** power);
}

function parseMaxFile(text: string): number {
  if (!/^[-+]?\d+$/.test(text)) throw new LogConfigError(`failed to initialize logging driver: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (n < 1) throw new LogConfigError('failed to initialize logging driver: max-file cannot be less than 1');
  return n;
}

/** What the shim and the log reader do for a LogConfig; throws what dockerd says when its logger cannot start. */
export function logPolicy(type: string | undefined, config: Readonly<Record<string, string>> = {}): LogPolicy {
  checkLogConfig(type, config);
  const driver = (type || 'json-file') as LogDriver;
  if (driver === 'none') return { driver, maxSize: 1024 * 1024, maxFiles: 1, readable: false };
  const local = driver === 'local';
  let maxSize = local ? 20 * 1024 * 1024 : undefined;
  if (config['max-size'] !== undefined) {
    maxSize = parseSize(config['max-size'], local);
    if (maxSize <= 0) throw new LogConfigError('failed to initialize logging driver: max-size must be a positive number');
  }
  const maxFiles = config['max-file'] !== undefined ? parseMaxFile(config['max-file']) : local ? 5 : 1;
  const compress = config.compress;
  if (compress !== undefined) {
    if (!['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(compress)) {
      throw new LogConfigError(`failed to initialize logging driver: strconv.ParseBool: parsing ${JSON.stringify(compress)}: invalid syntax`);
    }
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(compress)) {
      if (!local && (maxFiles === 1 || maxSize === undefined)) throw new LogConfigError('failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set');
      if (!local) throw new LogConfigError('log opt compress=true is not supported by the built-in engine (rotated logs stay uncompressed)', 'not-implemented');
    }
  }
  return { driver, ...(maxSize !== undefined ? { maxSize } : {}), maxFiles, readable: true };
}
