// `HostConfig.SecurityOpt` (`docker run --security-opt`) as dockerd reads it (moby
// daemon/create_unix.go parseSecurityOpt): `key=value` or the legacy `key:value`. What berth can
// honour is applied — no-new-privileges, seccomp (unconfined or a profile the CLI sends inline as
// JSON), systempaths=unconfined, label=disable — and the rest is refused by name: there is no
// AppArmor and no SELinux on the hosts the built-in engine runs on.

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** `default`, `unconfined`, or a Docker seccomp profile (JSON text). */
  seccomp: 'default' | 'unconfined' | { profile: string };
  /** No masked or read-only paths (MaskedPaths/ReadonlyPaths are emptied at create). */
  systemPathsUnconfined: boolean;
}

export function parseSecurityOpts(opts: readonly string[]): { options: SecurityOptions; problems: string[] } {
  const options: SecurityOptions = { noNewPrivileges: false, seccomp: 'default', systemPathsUnconfined: false };
  const problems: string[] = [];
  for (const opt of opts) {
    // Bare no-new-privileges and disable (label=disable) are the options without a value.
    if (opt === 'no-new-privileges') {
      options.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue;
    const sep = opt.includes('=') ? opt.indexOf('=') : opt.indexOf(':');
    if (sep < 0) {
      problems.push(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
      continue;
    }
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'no-new-privileges':
        // Go's strconv.ParseBool.
        if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) options.noNewPrivileges = true;
        else if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) options.noNewPrivileges = false;
        else problems.push(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        break;
      case 'seccomp':
        if (value === 'unconfined') options.seccomp = 'unconfined';
        else if (value === 'builtin' || value === '') options.seccomp = 'default';
        else {
          try {
            JSON.parse(value);
          } catch (e) {
            problems.push(`Decoding seccomp profile failed: ${(e as Error).message}`);
            break;
          }
          options.seccomp = { profile: value };
        }
        break;
      case 'systempaths':
        if (value !== 'unconfined') problems.push(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        else options.systemPathsUnconfined = true;
        break;
      case 'apparmor':
        // Unconfined is what every container here is; a profile cannot be applied.
        if (value !== 'unconfined') problems.push(`--security-opt ${opt}: AppArmor is not available to the built-in engine, so the profile "${value}" cannot be applied`);
        break;
      case 'label':
        // Turning labelling off is what every container here has; a label cannot be applied.
        if (value !== 'disable') problems.push(`--security-opt ${opt}: SELinux labels are not available to the built-in engine (only label=disable)`);
        break;
      default:
        problems.push(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return { options, problems };
}
