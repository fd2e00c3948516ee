// The conformance script: docker CLI commands, run in this order against the built-in engine and
// against dockerd, each step's exit code, stdout and stderr compared after normalisation
// (normalize.ts). A step is data: its id (what allowed-differences.yaml refers to), the command
// line, and how to read its output. Steps depend on the ones before them (containers, networks
// and volumes made earlier), never on timing beyond what a step waits for itself.
//
// Placeholders in a command line, filled per engine:
//   {{work}}        the engine's scratch dir for files (env files, bind sources, copies)
//   {{port}}        a host port of this engine's own (the two engines run side by side)
//   {{net:N}}       an address prefix in the engine's pool: `{{net:200}}.0/24`
//   {{mark:NAME}}   the Unix time recorded by the step with `mark: NAME` (before it ran)
//   {{cap:NAME}}    the trimmed stdout of the step with `capture: NAME`; {{cap12:NAME}} its first 12 characters
//   {{cgroup}}      a cgroup parent name of this run's own

import type { ExtraRule } from './normalize.js';

export interface Step {
  id: string;
  args: string[];
  /** Run `args` on the host (cwd = the work dir) instead of `docker args`: to look at what a step left. */
  host?: boolean;
  /** Written to stdin; `@imageTar` is a small root filesystem tarball for `docker import`. */
  input?: string;
  /** stdout is JSON (inspect): compared key by key. */
  json?: boolean;
  normalize?: ExtraRule[];
  /** Parts not compared (default: all). */
  compare?: { exit?: boolean; stdout?: boolean; stderr?: boolean };
  mark?: string;
  capture?: string;
  /** Waits this long before running (health checks, event windows). */
  sleepMs?: number;
}

/** Splits a command line like a shell would (single and double quotes, no expansion). */
export function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      any = true;
    } else if (ch === ' ') {
      if (cur !== '' || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`);
  if (cur !== '' || any) out.push(cur);
  return out;
}

type Opts = Omit<Step, 'id' | 'args'>;
const step = (id: string, line: string, opts: Opts = {}): Step => ({ id, args: words(line), ...opts });
const host = (id: string, line: string, opts: Opts = {}): Step => ({ id, args: words(line), host: true, ...opts });

// A long-running command whose process list stays the same (sh and one sleep), for top.
const LOOP = `sh -c 'trap "exit 0" TERM; sleep 2147483647 & wait'`;
const SORTED: Opts = { normalize: ['sortLines'] };

export const SCRIPT: readonly Step[] = [
  // ---- the engines ----
  step('version-client-api', "version --format '{{.Client.APIVersion}}'"),
  step('version-server-api', "version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}/{{.Server.Arch}}'"),
  step('info-basics', "info --format '{{.OSType}} {{.Architecture}} {{.CgroupDriver}} {{.LoggingDriver}} {{.Driver}}'"),
  step('images-start', "images --format '{{.Repository}}:{{.Tag}}'"),

  // ---- run: output, exit codes, environment ----
  step('run-echo', 'run --rm busybox echo hello'),
  step('run-exit-code', "run --rm busybox sh -c 'exit 3'"),
  step('run-stdout-stderr', "run --rm busybox sh -c 'echo out; echo err >&2'"),
  step('run-stdin', 'run --rm -i busybox tr a-z A-Z', { input: 'piped input\n' }),
  step('run-env', "run --rm -e A=1 -e B= -e UNSET_IN_CLI busybox sh -c 'echo A=$A B=${B-unset} U=${UNSET_IN_CLI-unset}'"),
  step('run-env-default', 'run --rm busybox env', SORTED),
  step('run-env-file', "run --rm --env-file {{work}}/env.list busybox sh -c 'echo $FOO/$BAR/${COMMENTED-none}'"),
  step('run-env-file-missing', 'run --rm --env-file {{work}}/nope.list busybox true'),
  step('run-workdir', 'run --rm -w /made/by/docker busybox pwd'),
  step('run-workdir-relative', 'run --rm -w relative busybox pwd'),
  step('run-user-uid', 'run --rm -u 1000:1000 busybox id'),
  step('run-user-name', 'run --rm -u app busybox id'),
  step('run-user-uid-groups', 'run --rm -u 1000 busybox id'),
  step('run-user-unknown', 'run --rm -u nosuch busybox id'),
  step('run-name-hostname', 'run --rm --name named --hostname myhost busybox hostname'),
  step('run-domainname', "run --rm --hostname h1 --domainname example.org busybox sh -c 'hostname; domainname; grep -c h1.example.org /etc/hosts'"),
  step('run-hosts-default', "run --rm --hostname h2 busybox sh -c 'grep -v ^# /etc/hosts'"),
  step('run-dockerenv', 'run --rm busybox ls /.dockerenv'),
  step('run-entrypoint', 'run --rm --entrypoint echo busybox from-entrypoint'),
  step('run-entrypoint-empty', "run --rm --entrypoint '' busybox echo no-entrypoint"),
  step('run-init', "run --rm --init busybox sh -c 'cat /proc/1/comm'"),
  step('run-read-only', 'run --rm --read-only busybox touch /x'),
  step('run-read-only-tmpfs', "run --rm --read-only --tmpfs /tmp busybox sh -c 'touch /tmp/x && echo ok'"),
  step('run-tmpfs-size', "run --rm --tmpfs /t:size=1m busybox sh -c 'grep \" /t \" /proc/mounts'"),
  step('run-shm-default', "run --rm busybox sh -c 'grep \" /dev/shm \" /proc/mounts'"),

  // ---- run: mounts ----
  step('run-bind', 'run --rm -v {{work}}/data:/data busybox cat /data/file.txt'),
  step('run-bind-ro', 'run --rm -v {{work}}/data:/data:ro busybox touch /data/x'),
  step('run-mount-bind', 'run --rm --mount type=bind,source={{work}}/data,target=/d,readonly busybox cat /d/file.txt'),
  step('run-mount-bind-missing', 'run --rm --mount type=bind,source={{work}}/nope,target=/d busybox true'),
  step('run-bind-relative', 'run --rm -v data:/data busybox ls /data'),
  step('run-volume-write', "run --rm -v confvol:/v busybox sh -c 'echo persisted > /v/f'"),
  step('run-volume-read', 'run --rm -v confvol:/v busybox cat /v/f'),
  step('run-mount-volume', 'run --rm --mount source=confvol,target=/v,readonly busybox cat /v/f'),
  step('run-mount-bad-type', 'run --rm --mount type=bogus,target=/v busybox true'),
  step('run-volume-bad-mode', 'run --rm -v confvol:/v:bogus busybox true'),

  // ---- run: namespaces ----
  step('run-network-none', 'run --rm --network none busybox ls /sys/class/net'),
  step('run-network-missing', 'run --rm --network nosuchnet busybox true'),
  step('run-ipc-none', "run --rm --ipc none busybox sh -c 'grep -c \" /dev/shm \" /proc/mounts'"),
  step('run-ipc-bogus', 'run --rm --ipc bogus busybox true'),
  step('run-uts-host', 'run --rm --uts host busybox hostname'),
  step('run-pid-host', "run --rm --pid host busybox sh -c 'test -e /proc/1/comm && echo sees-host-pid-1'"),
  step('run-pid-private', "run --rm busybox sh -c 'cat /proc/1/comm'"),

  // ---- run: security ----
  step('run-caps-default', "run --rm busybox grep -E '^Cap(Eff|Bnd)' /proc/self/status"),
  step('run-cap-add', "run --rm --cap-add NET_ADMIN busybox grep CapEff /proc/self/status"),
  step('run-cap-drop', 'run --rm --cap-drop CHOWN busybox chown 1 /tmp'),
  step('run-cap-drop-all', "run --rm --cap-drop ALL busybox grep CapEff /proc/self/status"),
  step('run-cap-bogus', 'run --rm --cap-add BOGUS busybox true'),
  step('run-nnp', 'run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status'),
  step('run-nnp-default', 'run --rm busybox grep NoNewPrivs /proc/self/status'),
  step('run-security-opt-bogus', 'run --rm --security-opt bogus busybox true'),
  step('run-privileged', "run --rm --privileged busybox grep CapEff /proc/self/status"),

  // ---- run: DNS and hosts ----
  step('run-dns', 'run --rm --dns 10.0.0.53 --dns-search example.org --dns-option ndots:2 busybox cat /etc/resolv.conf'),
  step('run-dns-bad', 'run --rm --dns not-an-ip busybox true'),
  step('run-add-host', 'run --rm --add-host db:10.1.2.3 --hostname h3 busybox cat /etc/hosts'),
  step('run-add-host-bad', 'run --rm --add-host nohost busybox true'),

  // ---- run: resources, restart, devices, cgroups, logging ----
  step('create-memory', 'create --name mem -m 64m --memory-swap 128m busybox true'),
  step('inspect-memory', "inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' mem"),
  step('run-memory-too-small', 'run --rm -m 1k busybox true'),
  step('run-memory-garbage', 'run --rm -m lots busybox true'),
  step('create-cpus', 'create --name cpu --cpus 0.5 busybox true'),
  step('inspect-cpus', "inspect --format '{{.HostConfig.NanoCpus}}' cpu"),
  step('run-cpus-too-many', 'run --rm --cpus 99 busybox true'),
  step('create-restart', 'create --name rst --restart on-failure:2 busybox true'),
  step('inspect-restart', "inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' rst"),
  step('run-restart-bogus', 'run --rm --restart bogus busybox true'),
  step('run-restart-with-rm', 'run --rm --restart always busybox true'),
  step('run-device', "run --rm --device /dev/null:/dev/xnull busybox sh -c 'test -c /dev/xnull && echo char-device'"),
  step('run-device-missing', 'run --rm --device /dev/nosuch busybox true'),
  step('run-cgroup-parent', "run --rm --cgroup-parent {{cgroup}} busybox sh -c 'grep -c {{cgroup}} /proc/self/cgroup'"),
  step('create-log-opt', 'create --name logopt --log-opt max-size=1k --log-opt max-file=2 busybox true'),
  step('inspect-log-opt', "inspect --format '{{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}}' logopt"),
  step('run-log-opt-bogus', 'run --rm --log-opt max-size=lots busybox true'),
  step('run-log-driver-none', 'run --rm --log-driver none busybox echo not-logged'),
  step('run-log-driver-local', 'run --name logl --log-driver local busybox echo kept'),
  step('logs-driver-local', 'logs logl'),
  step('run-log-driver-none-named', 'run --name logn --log-driver none busybox echo shown'),
  step('logs-driver-none', 'logs logn'),
  // 200 lines through 1k files, 2 kept: the last lines are there whatever the rotation's boundaries.
  step('run-log-rotate', "run --name logr --log-opt max-size=1k --log-opt max-file=2 busybox sh -c 'seq 1 200'", { compare: { stdout: false } }),
  step('logs-rotated-tail', 'logs --tail 5 logr'),
  step('run-seccomp-profile', "run --rm --security-opt seccomp={{work}}/deny-mkdir.json busybox sh -c 'mkdir /x && echo made || echo refused'"),
  step('run-ipc-host', "run --rm --ipc host busybox sh -c 'grep -c \" /dev/shm \" /proc/mounts'"),
  step('run-ipc-shareable', "run --rm --ipc shareable busybox sh -c 'grep -c \" /dev/shm \" /proc/mounts'"),
  step('run-cgroupns-private', 'run --rm --cgroupns private busybox cat /proc/self/cgroup', { normalize: ['sortLines'] }),
  step('run-memory-reservation-too-small', 'run --rm --memory-reservation 1k busybox true'),
  step('run-cpu-period-bad', 'run --rm --cpu-period 10 busybox true'),
  step('run-oom-score-bad', 'run --rm --oom-score-adj 2000 busybox true'),
  step('run-sysctl-not-namespaced', 'run --rm --sysctl kernel.hostname=x busybox true'),
  step('rm-resource-containers', 'rm mem cpu rst logopt logl logn logr'),

  // ---- lifecycle ----
  step('create-life', `create --name life --label app=life busybox ${LOOP}`, { compare: { stdout: true } }),
  step('create-name-conflict', 'create --name life busybox true'),
  step('create-name-invalid', "create --name 'bad name!' busybox true"),
  step('create-image-missing', 'create --pull never --name nope nosuchimage:1 true'),
  step('ps-created', "ps -a --filter name=life --format '{{.Names}} {{.Status}} {{.Command}} {{.Labels}}'"),
  step('start-life', 'start life'),
  step('start-life-again', 'start life'),
  step('ps-running', "ps --filter name=life --format '{{.Names}} {{.Status}} {{.Image}}'"),
  step('pause-life', 'pause life'),
  step('pause-life-again', 'pause life'),
  step('ps-paused', "ps --filter status=paused --format '{{.Names}} {{.Status}}'"),
  step('exec-paused', 'exec life true'),
  step('unpause-life', 'unpause life'),
  step('unpause-life-again', 'unpause life'),
  step('rename-life', 'rename life life2'),
  step('rename-to-existing', 'rename life2 life2'),
  step('rename-missing', 'rename nosuch other'),
  step('restart-life', 'restart -t 1 life2'),
  step('inspect-restart-count', "inspect --format '{{.State.Status}} {{.RestartCount}} {{.Name}}' life2"),
  step('stop-life', 'stop -t 1 life2'),
  step('stop-life-again', 'stop life2'),
  step('kill-stopped', 'kill life2'),
  step('wait-stopped', 'wait life2'),
  step('inspect-stopped', "inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Running}}' life2"),
  step('start-life2', 'start life2'),
  step('kill-signal', 'kill -s KILL life2'),
  step('wait-killed', 'wait life2'),
  step('kill-bad-signal', 'kill -s BOGUS life2'),
  step('update-memory', 'update --memory 32m --memory-swap 64m life2'),
  step('inspect-updated', "inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' life2"),
  step('update-restart', 'update --restart always life2'),
  step('update-memory-too-small', 'update --memory 1k life2'),
  // Where the engine took 1k, put a startable limit back so that the steps after do not inherit it.
  step('update-memory-reset', 'update --memory 64m --memory-swap 128m life2'),
  step('update-cpus-too-many', 'update --cpus 99 life2'),
  step('update-missing', 'update --memory 32m nosuch'),
  step('wait-exits-3', "run -d --name w3 busybox sh -c 'sleep 0.2; exit 3'", { compare: { stdout: true } }),
  step('wait-3', 'wait w3'),
  step('start-life2-for-rm', 'start life2'),
  step('rm-running', 'rm life2'),
  step('rm-force', 'rm -f life2 w3'),
  step('rm-missing', 'rm nosuch'),

  // ---- ps filters ----
  step('network-create-confnet', 'network create --label scope=conf confnet', { compare: { stdout: true } }),
  step('run-psa', `run -d --name psa --label tier=web -v psvol:/data --network confnet busybox ${LOOP}`),
  step('run-psb', "run --name psb --label tier=db busybox sh -c 'exit 3'"),
  step('create-psc', 'create --name psc busybox true'),
  step('run-psd', `run -d --name psd --health-cmd true --health-interval 300ms busybox ${LOOP}`),
  step('run-pse', `run -d --name pse -p 127.0.0.1:{{port}}:80 --expose 8080 busybox ${LOOP}`),
  step('run-psf', "run --name psf busybox sh -c 'exit 0'"),
  step('id-psa', "inspect --format '{{.Id}}' psa", { capture: 'psa' }),
  // Sorted: the built-in engine listed psc and psd in either order from one run to the next.
  step('ps-all-names', "ps -a --format '{{.Names}}'", SORTED),
  step('ps-default', "ps --format '{{.Names}} {{.Image}} {{.Command}} {{.Status}} {{.Ports}}'", SORTED),
  step('ps-table', 'ps -a --filter name=psb'),
  step('ps-quiet', 'ps -q --no-trunc --filter name=psa'),
  step('ps-last', "ps -n 1 --format '{{.Names}}'"),
  step('ps-latest', "ps -l --format '{{.Names}}'"),
  step('ps-size', "ps -s --filter name=psa --format '{{.Names}} {{.Size}}'"),
  step('ps-filter-status-running', "ps -a --filter status=running --format '{{.Names}}'", SORTED),
  step('ps-filter-status-exited', "ps -a --filter status=exited --format '{{.Names}}'", SORTED),
  step('ps-filter-status-created', "ps -a --filter status=created --format '{{.Names}}'", SORTED),
  step('ps-filter-status-bogus', "ps -a --filter status=bogus --format '{{.Names}}'"),
  step('ps-filter-name', "ps -a --filter name=ps --format '{{.Names}}'", SORTED),
  step('ps-filter-name-regex', "ps -a --filter name=^ps[ab]$ --format '{{.Names}}'", SORTED),
  step('ps-filter-id', "ps -a --filter id={{cap12:psa}} --format '{{.Names}}'"),
  step('ps-filter-label-key', "ps -a --filter label=tier --format '{{.Names}}'", SORTED),
  step('ps-filter-label-value', "ps -a --filter label=tier=db --format '{{.Names}}'"),
  step('ps-filter-ancestor', "ps -a --filter ancestor=busybox --format '{{.Names}}'", SORTED),
  step('ps-filter-ancestor-missing', "ps -a --filter ancestor=nosuchimage --format '{{.Names}}'"),
  step('ps-filter-network', "ps -a --filter network=confnet --format '{{.Names}}'"),
  step('ps-filter-before', "ps -a --filter before=psc --format '{{.Names}}'", SORTED),
  step('ps-filter-since', "ps -a --filter since=psc --format '{{.Names}}'", SORTED),
  step('ps-filter-exited-3', "ps -a --filter exited=3 --format '{{.Names}}'"),
  step('ps-filter-exited-0', "ps -a --filter exited=0 --format '{{.Names}}'"),
  step('ps-filter-exited-bogus', "ps -a --filter exited=x --format '{{.Names}}'"),
  step('ps-filter-health-healthy', "ps --filter health=healthy --format '{{.Names}} {{.Status}}'", { sleepMs: 1500 }),
  step('ps-filter-health-none', "ps --filter health=none --format '{{.Names}}'", SORTED),
  step('ps-filter-health-bogus', "ps --filter health=bogus --format '{{.Names}}'"),
  step('ps-filter-volume', "ps -a --filter volume=psvol --format '{{.Names}}'"),
  step('ps-filter-volume-path', "ps -a --filter volume=/data --format '{{.Names}}'"),
  step('ps-filter-publish', "ps --filter publish=80 --format '{{.Names}}'"),
  step('ps-filter-expose', "ps --filter expose=8080 --format '{{.Names}}'"),
  step('ps-filter-is-task', "ps -a --filter is-task=false --format '{{.Names}}'", SORTED),
  step('ps-filter-unknown-key', "ps -a --filter bogus=1 --format '{{.Names}}'"),
  step('ps-filter-no-value', "ps -a --filter status --format '{{.Names}}'"),
  step('ps-filter-before-missing', "ps -a --filter before=nosuch --format '{{.Names}}'"),

  // ---- inspect, key by key ----
  step('inspect-running', 'inspect psa', { json: true }),
  step('inspect-exited', 'inspect psb', { json: true }),
  step('inspect-created', 'inspect psc', { json: true }),
  step('inspect-published', "inspect --format '{{json .NetworkSettings.Ports}} {{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}}' pse"),
  step('inspect-health', "inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' psd"),
  // A container made with many options, inspected key by key: what each engine stored and defaulted.
  step(
    'create-insp-opts',
    'create --name insp-opts --memory 64m --memory-reservation 32m --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --pids-limit 50 --shm-size 128m ' +
      '--ulimit nofile=100:200 --cap-add NET_ADMIN --cap-drop CHOWN --security-opt no-new-privileges --dns 10.0.0.53 --dns-search example.org ' +
      '--dns-option ndots:2 --add-host db:10.1.2.3 --hostname insp --domainname example.org --user 1000:1000 -w /tmp -e A=1 -l k=v --read-only ' +
      '--tmpfs /run --log-opt max-size=1m --restart on-failure:3 --stop-signal SIGUSR1 --stop-timeout 5 --health-cmd true --expose 9000 ' +
      '--sysctl net.ipv4.ip_forward=1 --oom-score-adj 100 --ipc shareable --device /dev/null:/dev/xnull --group-add 50 --entrypoint sh busybox -c true',
    { compare: { stdout: false } },
  ),
  step('inspect-options', 'inspect insp-opts', { json: true }),
  step('rm-insp-opts', 'rm insp-opts'),
  // Its health checks are execs every 300 ms: they would fill the event windows below.
  step('rm-psd', 'rm -f psd'),
  step('inspect-size', "inspect -s --format '{{.SizeRw}} {{.SizeRootFs}}' psa", { normalize: ['numbers'] }),
  step('inspect-type-container', "inspect --type container --format '{{.Name}}' psa"),
  step('inspect-type-image-wrong', 'inspect --type image psa'),
  step('inspect-missing', 'inspect nosuch'),
  step('inspect-image', 'image inspect busybox', { json: true }),
  step('inspect-network', 'network inspect confnet', { json: true }),
  step('inspect-network-bridge', "network inspect bridge --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.EnableIPv6}} {{json .Options}}'"),
  step('inspect-volume', 'volume inspect psvol', { json: true }),

  // ---- exec ----
  step('exec-echo', 'exec psa echo hi'),
  step('exec-exit-code', "exec psa sh -c 'exit 5'"),
  step('exec-env', "exec -e FOO=bar psa sh -c 'echo $FOO'"),
  step('exec-env-no-value', "exec -e CONF_NOT_SET psa sh -c 'echo ${CONF_NOT_SET-unset}'"),
  step('exec-user', 'exec -u 1000 psa id'),
  step('exec-user-unknown', 'exec -u nosuch psa id'),
  step('exec-workdir', 'exec -w /tmp psa pwd'),
  step('exec-workdir-missing', 'exec -w /nosuch psa pwd'),
  step('exec-missing-binary', 'exec psa /nosuch'),
  step('exec-not-executable', 'exec psa /etc/passwd'),
  step('exec-privileged', 'exec --privileged psa grep CapEff /proc/self/status'),
  step('exec-stdin', 'exec -i psa cat', { input: 'to exec\n' }),
  step('exec-detached', 'exec -d psa sleep 1'),
  step('exec-stopped', 'exec psb true'),
  step('exec-missing-container', 'exec nosuch true'),
  // After the detached `sleep 1` above has ended on both engines: finished execs leave ExecIDs.
  step('exec-ids', "inspect --format '{{len .ExecIDs}}' psa", { sleepMs: 1200 }),

  // ---- logs ----
  // Paced, so that the order of stdout and stderr lines in the log is not a race on either engine.
  step('run-logc', "run --name logc busybox sh -c 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three'"),
  step('logs', 'logs logc'),
  step('logs-tail', 'logs --tail 1 logc'),
  step('logs-tail-zero', 'logs -n 0 logc'),
  step('logs-timestamps', 'logs -t logc', { normalize: ['timePrecision'] }),
  step('logs-since-future', 'logs --since 2099-01-01T00:00:00Z logc'),
  step('logs-since-past', 'logs --since 2001-01-01T00:00:00Z logc'),
  step('logs-until-past', 'logs --until 2001-01-01T00:00:00Z logc'),
  step('logs-since-bad', 'logs --since yesterday logc'),
  step('logs-missing', 'logs nosuch'),

  // ---- cp ----
  step('cp-into-running', 'cp {{work}}/data/file.txt psa:/tmp/copied.txt'),
  step('cp-into-check', 'exec psa cat /tmp/copied.txt'),
  step('cp-out-running', 'cp psa:/etc/hostname {{work}}/hostname-running'),
  host('cp-out-running-check', 'wc -c hostname-running'),
  step('cp-out-stopped-hostname', 'cp psb:/etc/hostname {{work}}/hostname-stopped'),
  host('cp-out-stopped-hostname-check', 'wc -c hostname-stopped'),
  step('cp-out-dir', 'cp psa:/etc {{work}}/etc-copy'),
  host('cp-out-dir-check', 'ls etc-copy'),
  step('cp-missing-path', 'cp psa:/nosuch {{work}}/x'),
  step('cp-missing-container', 'cp nosuch:/etc/hostname {{work}}/x'),
  step('cp-into-missing-dir', 'cp {{work}}/data/file.txt psa:/nosuch/dir/'),

  // ---- top, port, stats ----
  step('top', 'top psa', { normalize: ['pids'] }),
  step('top-args', 'top psa -o pid,comm', { normalize: ['numbers'] }),
  step('top-stopped', 'top psb'),
  step('port', 'port pse'),
  step('port-one', 'port pse 80/tcp'),
  step('port-unpublished', 'port pse 8080'),
  step('port-none', 'port psa'),
  step('stats-pids', "stats --no-stream --format '{{.Name}} {{.PIDs}}' psa"),
  step('stats-net-traffic', "exec psa sh -c 'ping -c 2 -W 1 $(ip route | awk \"/default/ {print \\$3}\") >/dev/null; echo $?'"),
  step('stats-net', "stats --no-stream --format '{{.Name}} {{.NetIO}}' psa"),
  step('stats-stopped', "stats --no-stream --format '{{.Name}} {{.CPUPerc}}' psb"),

  // ---- images: filters ----
  step('import-app-1', 'import - conf/app:1', { input: '@imageTar' }),
  step('import-app-2', 'import - conf/app:1', { input: '@imageTar', sleepMs: 1100 }),
  step('import-labelled', "import --change 'LABEL tier=base' --change 'ENV X=1' - conf/lab:1", { input: '@imageTar', sleepMs: 1100 }),
  step('rmi-in-use', 'rmi busybox'),
  step('tag-busybox', 'tag busybox conf/bb:2'),
  step('tag-invalid', "tag busybox 'Bad:Tag:x'"),
  step('tag-missing', 'tag nosuch conf/x:1'),
  step('images-all', "images --format '{{.Repository}}:{{.Tag}}'", SORTED),
  step('images-table', 'images conf/bb'),
  step('images-filter-dangling', "images --filter dangling=true --format '{{.Repository}}:{{.Tag}}'"),
  step('images-filter-dangling-false', "images --filter dangling=false --format '{{.Repository}}:{{.Tag}}'", SORTED),
  step('images-filter-dangling-bogus', "images --filter dangling=maybe --format '{{.Repository}}:{{.Tag}}'"),
  step('images-filter-label-key', "images --filter label=tier --format '{{.Repository}}:{{.Tag}}'"),
  step('images-filter-label-value', "images --filter label=tier=base --format '{{.Repository}}:{{.Tag}}'"),
  step('images-filter-before', "images --filter before=conf/lab:1 --format '{{.Repository}}:{{.Tag}}'", SORTED),
  step('images-filter-since', "images --filter since=conf/app:1 --format '{{.Repository}}:{{.Tag}}'", SORTED),
  step('images-filter-reference', "images --filter reference='conf/*' --format '{{.Repository}}:{{.Tag}}'", SORTED),
  step('images-filter-reference-tag', "images --filter reference='*:2' --format '{{.Repository}}:{{.Tag}}'", SORTED),
  step('images-repo', "images conf/app --format '{{.Repository}}:{{.Tag}}'"),
  step('images-repo-tag', "images conf/bb:2 --format '{{.Repository}}:{{.Tag}}'"),
  step('images-filter-unknown-key', "images --filter bogus=1 --format '{{.Repository}}'"),
  step('images-filter-before-missing', "images --filter before=nosuch:1 --format '{{.Repository}}'"),
  step('image-inspect-labels', "image inspect --format '{{json .Config.Labels}} {{json .Config.Env}}' conf/lab:1"),
  step('image-inspect-missing', 'image inspect nosuch:1'),
  step('history', "history --format '{{.CreatedBy}}' busybox"),
  step('rmi-missing', 'rmi nosuch:1'),
  step('rmi-tag', 'rmi conf/bb:2'),
  step('image-prune-dangling', 'image prune -f'),
  step('images-after-prune', "images --format '{{.Repository}}:{{.Tag}}'", SORTED),

  // ---- networks ----
  step('network-create-duplicate', 'network create confnet'),
  step('network-create-subnet', 'network create --subnet {{net:200}}.0/24 --gateway {{net:200}}.254 --label scope=conf confsub', { compare: { stdout: true } }),
  step('network-create-internal', 'network create --internal confint', { compare: { stdout: true } }),
  step('network-create-bad-subnet', 'network create --subnet 10.300.0.0/24 confbad'),
  step('network-ls', "network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'", SORTED),
  step('network-ls-filter-name', "network ls --filter name=conf --format '{{.Name}}'", SORTED),
  step('network-ls-filter-driver', "network ls --filter driver=bridge --format '{{.Name}}'", SORTED),
  step('network-ls-filter-label', "network ls --filter label=scope=conf --format '{{.Name}}'", SORTED),
  step('network-ls-filter-type-custom', "network ls --filter type=custom --format '{{.Name}}'", SORTED),
  step('network-ls-filter-type-builtin', "network ls --filter type=builtin --format '{{.Name}}'", SORTED),
  step('network-ls-filter-dangling', "network ls --filter dangling=true --format '{{.Name}}'", SORTED),
  step('network-ls-filter-bogus', "network ls --filter bogus=1 --format '{{.Name}}'"),
  step('network-inspect-subnet', "network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{json .Labels}}' confsub"),
  step('network-connect', 'network connect --alias extra confsub psa'),
  step('network-connect-again', 'network connect confsub psa'),
  step('network-connected-ip', "inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' psa"),
  step('network-inspect-containers', "network inspect --format '{{range .Containers}}{{.Name}} {{end}}' confnet"),
  step('network-disconnect', 'network disconnect confsub psa'),
  step('network-disconnect-again', 'network disconnect confsub psa'),
  step('network-connect-missing-net', 'network connect nosuchnet psa'),
  step('network-connect-missing-container', 'network connect confsub nosuch'),
  step('network-rm-in-use', 'network rm confnet'),
  step('network-rm-missing', 'network rm nosuchnet'),
  step('network-rm', 'network rm confint'),
  step('network-prune', 'network prune -f'),
  step('network-ls-after-prune', "network ls --format '{{.Name}}'", SORTED),

  // ---- volumes ----
  step('volume-create', 'volume create --label a=b confv'),
  step('volume-create-again', 'volume create confv'),
  // (No unknown network or volume driver: dockerd looks for the plugin for 15 s before it answers.)
  step('volume-create-bad-name', "volume create 'bad/name'"),
  step('volume-create-tmpfs', 'volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=1m conftmp'),
  step('volume-ls', "volume ls --format '{{.Driver}} {{.Name}}'", SORTED),
  step('volume-ls-filter-name', "volume ls --filter name=conf --format '{{.Name}}'", SORTED),
  step('volume-ls-filter-label', "volume ls --filter label=a=b --format '{{.Name}}'"),
  step('volume-ls-filter-dangling', "volume ls --filter dangling=true --format '{{.Name}}'", SORTED),
  step('volume-ls-filter-driver', "volume ls --filter driver=local --format '{{.Name}}'", SORTED),
  step('volume-ls-filter-bogus', "volume ls --filter bogus=1 --format '{{.Name}}'"),
  step('volume-inspect', 'volume inspect confv', { json: true }),
  step('volume-inspect-missing', 'volume inspect nosuch'),
  step('volume-rm-in-use', 'volume rm psvol'),
  step('volume-rm-missing', 'volume rm nosuch'),
  step('volume-rm', 'volume rm conftmp'),
  step('volume-prune', 'volume prune -f', SORTED),
  step('volume-ls-after-prune', "volume ls --format '{{.Name}}'", SORTED),

  // ---- events ----
  step('events-run', 'run --rm --name evc busybox true', { mark: 'ev0' }),
  step('events-window-mark', 'network ls -q --filter name=^none$', { mark: 'ev1', sleepMs: 500, compare: { stdout: false } }),
  step('events-container', "events --since {{mark:ev0}} --until {{mark:ev1}} --filter container=evc --format '{{.Type}} {{.Action}}'"),
  step('events-container-start', "events --since {{mark:ev0}} --until {{mark:ev1}} --filter container=evc --filter event=start --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}'"),
  step('events-type-network', "events --since {{mark:ev0}} --until {{mark:ev1}} --filter type=network --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'"),
  step('events-raw', 'events --since {{mark:ev0}} --until {{mark:ev1}} --filter container=evc --filter event=destroy'),
  step('events-filter-bogus', 'events --since {{mark:ev0}} --until {{mark:ev1}} --filter bogus=1'),
  step('events-since-bad', 'events --since yesterday --until {{mark:ev1}}'),

  // ---- endpoints the built-in engine may not serve ----
  step('system-df', "system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'"),
  step('commit', 'commit psa conf/committed:1', { compare: { stdout: true } }),
  step('diff', 'diff psa', SORTED),
  step('export', 'export -o {{work}}/psa.tar psa'),
  step('history-missing', 'history nosuch:1'),

  // ---- malformed input ----
  step('run-bad-publish', 'run --rm -p 99999:80 busybox true'),
  step('run-bad-name', "run --rm --name '-bad' busybox true"),
  step('run-bad-image-name', "run --rm 'BAD/Image' true"),
  step('run-bad-ulimit', 'run --rm --ulimit nofile=bogus busybox true'),
  step('run-bad-label-file', 'run --rm --label-file {{work}}/nope busybox true'),
  step('run-missing-command', 'run --rm busybox /nosuch'),
  step('run-not-executable', 'run --rm busybox /etc/passwd'),
  step('run-workdir-is-file', 'run --rm -w /etc/passwd busybox true'),

  // ---- cleanup, through the CLI too ----
  step('rm-all', 'rm -f psa psb psc pse psf logc', SORTED),
  step('ps-empty', 'ps -a -q'),
  step('network-rm-last', 'network rm confnet confsub'),
  step('volume-prune-end', 'volume prune -f', SORTED),
];
