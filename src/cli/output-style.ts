// What a command may write besides plain text, decided once from `--ansi` (or COMPOSE_ANSI),
// `--progress` (or COMPOSE_PROGRESS), NO_COLOR and whether stdout is a terminal — before any
// file is loaded or engine chosen, so a bad value is a usage error and nothing else happens.
// `never` means no escape sequence at all: no colour, and no redrawn (tty) progress.
import type { ProgressMode } from '../apply/progress.js';
import { UsageError } from '../errors.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

export type AnsiMode = 'never' | 'always' | 'auto';
const ANSI_MODES: readonly string[] = ['never', 'always', 'auto'];
const PROGRESS_MODES: readonly string[] = ['auto', 'tty', 'plain', 'json', 'quiet'];

export interface OutputStyle {
  ansi: AnsiMode;
  /** Colour escape sequences (log prefixes, progress marks). */
  colour: boolean;
  /** Cursor movement: live tables and progress redrawn in place. */
  redraw: boolean;
  progress: ProgressMode;
}

export function ansiMode(globals: GlobalFlags, env: CliIO['env']): AnsiMode {
  const [value, from] = globals.ansi !== undefined ? [globals.ansi, '--ansi'] : [env.COMPOSE_ANSI || 'auto', 'COMPOSE_ANSI'];
  if (!ANSI_MODES.includes(value)) throw new UsageError(`${from} ${value}: expected never, always or auto`);
  return value as AnsiMode;
}

/** `progressFlag`: the command's `--progress`, when it has one. */
export function outputStyle(globals: GlobalFlags, io: Pick<CliIO, 'env' | 'isTTY'>, progressFlag?: string): OutputStyle {
  const ansi = ansiMode(globals, io.env);
  const redraw = ansi === 'always' || (ansi === 'auto' && io.isTTY);
  const colour = redraw && !io.env.NO_COLOR;
  const [value, from] = progressFlag !== undefined ? [progressFlag, '--progress'] : [io.env.COMPOSE_PROGRESS || 'auto', 'COMPOSE_PROGRESS'];
  if (!PROGRESS_MODES.includes(value)) throw new UsageError(`${from} ${value}: expected auto, tty, plain, json or quiet`);
  if (value === 'tty' && ansi === 'never') throw new UsageError(`${from} tty: cannot redraw progress with ANSI output disabled (--ansi never / COMPOSE_ANSI=never)`);
  const progress = value === 'auto' ? (redraw ? 'tty' : 'plain') : (value as ProgressMode);
  return { ansi, colour, redraw, progress };
}
