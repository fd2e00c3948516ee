// Whether a pid names a live process, read from /proc: the engine asks it of its own lock holder,
// of monitors and of the processes it adopts after a restart.
import { readFileSync } from 'node:fs';

/** Whether `pid` is a live process (a zombie counts as dead). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
