// Sizes the way docker prints them: go-units' HumanSizeWithPrecision(n, 3), decimal units
// (1kB, 500kB, 1.23MB). One copy for the CLI's tables, pull/push progress and the engine's
// progress bars, so the three always agree.
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

export function humanSize(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Number(v.toPrecision(3))}${UNITS[u]}`;
}
