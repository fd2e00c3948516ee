// The one policy for tests whose prerequisites may be missing (root, runc, dockerd, the docker CLI,
// the reference corpus, a compiler…):
// - on a developer's machine a missing prerequisite skips the area with a printed notice, so a
//   checkout without root still runs the unit tests;
// - in CI (`CI=true`) the same gate registers a failing test that names what is missing and how to
//   install it, so an area can never stop testing without anyone noticing.
// Every gate goes through `requirePrereq`; the prerequisites themselves are defined below, once.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';

export interface Prereq {
  /** What is needed, e.g. "runc". */
  name: string;
  /** Why it is missing, or undefined when present. */
  missing: string | undefined;
  /** How to get it, e.g. "apt-get install runc (scripts/install-system-deps.sh)". */
  install: string;
}

const DEPS = 'scripts/install-system-deps.sh --tests';

export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Checks `prereqs` for the test area `area`. Returns true when the area must be skipped. Locally
 * that is all (after a `[skip]` notice); with CI=true a failing test is registered in the current
 * suite as well, naming each missing prerequisite and its install step. Call it while tests are
 * collected (top level of a test file or inside a describe body), never inside a running test.
 */
export function requirePrereq(area: string, prereqs: Prereq | readonly Prereq[]): boolean {
  const missing = (Array.isArray(prereqs) ? prereqs : [prereqs as Prereq]).filter((p) => p.missing !== undefined);
  if (missing.length === 0) return false;
  const what = missing.map((p) => `${p.name} (${p.missing}; ${p.install})`).join(', ');
  if (inCi()) {
    it(`[prerequisite missing] ${area}`, () => {
      throw new Error(`CI=true: ${area} cannot run: missing ${what}. CI must install it rather than skip the tests.`);
    });
  } else {
    console.log(`[skip] ${area}: missing ${what}`);
  }
  return true;
}

/**
 * A skip that is a fact of this machine's kernel or architecture, not a package anyone can install
 * (so CI skips it too). The notice says so.
 */
export function kernelFactSkip(area: string, fact: string | undefined): boolean {
  if (fact === undefined) return false;
  console.log(`[skip] ${area}: ${fact} (a fact of this kernel, not a missing package: skipped in CI too)`);
  return true;
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---- the prerequisites ----

export const linux = (): Prereq => ({ name: 'Linux', missing: process.platform === 'linux' ? undefined : `running on ${process.platform}`, install: 'run the tests on Linux' });

export const root = (): Prereq => ({ name: 'root', missing: process.getuid?.() === 0 ? undefined : 'not running as root', install: 'run the tests as root (sudo npm test)' });

export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'].find((p) => existsSync(p));
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

export const runc = (): Prereq => ({ name: 'runc', missing: RUNC ? undefined : 'not installed', install: `apt-get install runc (${DEPS})` });

export const busybox = (): Prereq => ({ name: 'busybox-static', missing: BUSYBOX ? undefined : 'not installed', install: `apt-get install busybox-static (${DEPS})` });

export const cc = (): Prereq => ({ name: 'a C compiler', missing: hasCommand('gcc') || hasCommand('cc') ? undefined : 'neither gcc nor cc on PATH', install: `apt-get install gcc (${DEPS})` });

/** A C library to link static programs with (what runs in a busybox container has no libc to load). */
export const staticLibc = (): Prereq => {
  const found = hasCommand('gcc') && spawnSync('gcc', ['-print-file-name=libc.a'], { encoding: 'utf8' }).stdout.trim().startsWith('/');
  return { name: 'a static C library (libc.a)', missing: found ? undefined : 'gcc finds no libc.a', install: `apt-get install libc6-dev (${DEPS})` };
};

/** What every real-container test needs: Linux, root, runc and busybox-static. */
export const engineHost = (): Prereq[] => [linux(), root(), runc(), busybox()];

export const overlayfs = (): Prereq => {
  let has = false;
  try {
    has = readFileSync('/proc/filesystems', 'utf8').includes('overlay');
  } catch {
    // not Linux
  }
  return { name: 'overlayfs', missing: has ? undefined : 'not in /proc/filesystems', install: 'modprobe overlay (a kernel with overlayfs)' };
};

export const dockerd = (): Prereq => ({ name: 'dockerd', missing: hasCommand('dockerd') ? undefined : 'not installed', install: `apt-get install docker.io (${DEPS})` });

/**
 * The docker CLI the tests drive: Debian docker.io's `/usr/bin/docker` (the version CI installs),
 * or `BERTH_TEST_DOCKER_CLI`. Never whatever else is on PATH.
 */
export const DOCKER_CLI = process.env.BERTH_TEST_DOCKER_CLI || '/usr/bin/docker';

export const dockerCli = (): Prereq => ({
  name: `the docker CLI at ${DOCKER_CLI}`,
  missing: existsSync(DOCKER_CLI) ? undefined : 'not found',
  install: `apt-get install docker.io (${DEPS}), or set BERTH_TEST_DOCKER_CLI`,
});

export const tini = (): Prereq => ({
  name: 'tini-static',
  missing: existsSync('/usr/bin/tini-static') || existsSync('/usr/bin/docker-init') ? undefined : 'neither /usr/bin/tini-static nor /usr/bin/docker-init',
  install: `apt-get install tini (${DEPS})`,
});

export const file = (name: string, present: boolean, install: string): Prereq => ({ name, missing: present ? undefined : 'not found', install });


/** The Debian package each command-line tool of the tests comes from (the install hint). */
const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
  skopeo: 'skopeo',
  umoci: 'umoci',
  zstd: 'zstd',
  openssl: 'openssl',
  mmdebstrap: 'mmdebstrap',
  dockerd: 'docker.io',
  setcap: 'libcap2-bin',
  getcap: 'libcap2-bin',
  mkfifo: 'coreutils',
  setpriv: 'util-linux',
  groupadd: 'passwd',
  groupdel: 'passwd',
  ss: 'iproute2',
  [DOCKER_CLI]: 'docker.io',
};

/** Command-line tools (names on PATH or absolute paths), one prerequisite each. */
export const tools = (names: readonly string[]): Prereq[] =>
  names.map((t) => ({ name: t, missing: (t.startsWith('/') ? existsSync(t) : hasCommand(t)) ? undefined : 'not installed', install: `apt-get install ${TOOL_PACKAGES[t] ?? t} (${DEPS})` }));

/** `!requirePrereq(area, tools(names))`: true when every tool is there. */
export function haveTools(area: string, names: readonly string[]): boolean {
  return !requirePrereq(area, tools(names));
}

/**
 * `describe(name, body)` when `available`, else skipped through the one gate (a notice locally, a
 * failing test in CI) naming `what` is needed.
 */
export function describeNeeding(available: boolean, what: string, name: string, body: () => void): void {
  // Skipped: the body is not even collected (it may read what is missing).
  if (!requirePrereq(name, file(what, available, 'see the test file for how to provide it'))) describe(name, body);
}
