// Every Compose service key, and what a Swarm deployment does with it — as data, so the README
// table is generated from the same place the translator reads, and a test walks the schema to
// make sure no key is missing (a new key cannot be silently ignored).
//
//   mapped   — becomes part of the Swarm objects (the `to` field says where);
//   honoured — berth itself takes care of it, or it has no effect on Swarm (the note says why);
//   refused  — Swarm cannot do it: translating a service that sets it is an error with `why`.
//
// Paths are relative to a service. List items and per-network entries drop their index:
// `ports.host_ip` is the host_ip of any port, `networks.aliases` those of any network. Entries
// with `children: true` list their sub-keys too (and the schema walk checks those); a mapped key
// may still be refused for some values, which its note says and the translator checks.

export type Treatment = 'mapped' | 'honoured' | 'refused';

export interface KeyRule {
  treatment: Treatment;
  /** mapped: where in the Swarm objects. honoured: why nothing goes to Swarm. refused: the error. */
  note: string;
  /** Sub-keys are listed in the table as `<key>.<sub>`. */
  children?: boolean;
}

const ENGINE = 'remove it or deploy with --engine docker';
const refuse = (cannot: string): KeyRule => ({ treatment: 'refused', note: `Swarm services cannot ${cannot}; ${ENGINE}` });
const map = (to: string, children = false): KeyRule => ({ treatment: 'mapped', note: to, ...(children ? { children } : {}) });
const honour = (why: string): KeyRule => ({ treatment: 'honoured', note: why });

const UPDATE_POLICY = (which: string): Record<string, KeyRule> => ({
  [which]: map(`${which === 'deploy.update_config' ? 'UpdateConfig' : 'RollbackConfig'}`, true),
  [`${which}.parallelism`]: map('Parallelism (default 1)'),
  [`${which}.delay`]: map('Delay (ns)'),
  [`${which}.failure_action`]: map(`FailureAction (continue|pause${which === 'deploy.update_config' ? '|rollback' : ''})`),
  [`${which}.monitor`]: map('Monitor (ns)'),
  [`${which}.max_failure_ratio`]: map('MaxFailureRatio'),
  [`${which}.order`]: map('Order (stop-first|start-first)'),
});

export const SERVICE_KEYS: Readonly<Record<string, KeyRule>> = {
  annotations: refuse('set OCI annotations (not in the Swarm API 1.41)'),
  attach: honour('which logs `berth up` follows; nothing on the engine'),
  blkio_config: refuse('set block IO weights or limits'),
  build: map('built by the manager\'s engine, pushed to the registry `image` names, deployed by the pushed digest; refused without `image`'),
  cap_add: map('ContainerSpec.CapabilityAdd'),
  cap_drop: map('ContainerSpec.CapabilityDrop'),
  cgroup: refuse('choose a cgroup namespace mode'),
  cgroup_parent: refuse('choose a cgroup parent (each node\'s dockerd decides it)'),
  command: map('ContainerSpec.Args (the image\'s CMD)'),
  configs: map('a Swarm config named <project>_<name>-<hash8> + ContainerSpec.Configs'),
  container_name: refuse('have a fixed container name (Swarm names every task container)'),
  cpu_count: refuse('set cpu_count (Windows only)'),
  cpu_percent: refuse('set cpu_percent (Windows only)'),
  cpu_shares: refuse('set CPU shares; use deploy.resources.reservations.cpus'),
  cpu_quota: refuse('set a CPU quota; use deploy.resources.limits.cpus'),
  cpu_period: refuse('set a CPU period; use deploy.resources.limits.cpus'),
  cpu_rt_period: refuse('set a real-time CPU period'),
  cpu_rt_runtime: refuse('set a real-time CPU runtime'),
  cpus: map('TaskTemplate.Resources.Limits.NanoCPUs (as deploy.resources.limits.cpus)'),
  cpuset: refuse('pin containers to CPUs (cpuset)'),
  credential_spec: map('ContainerSpec.Privileges.CredentialSpec'),
  depends_on: honour('berth orders the services and waits for conditions itself; service_completed_successfully makes the dependency a job'),
  deploy: map('the service: mode, replicas, resources, restart, update and rollback, placement, endpoint mode, labels', true),
  'deploy.mode': map('Mode: replicated, global, replicated-job, global-job'),
  'deploy.endpoint_mode': map('EndpointSpec.Mode (vip|dnsrr; dnsrr when the Swarm has no IPVS)'),
  'deploy.replicas': map('Mode.Replicated.Replicas / Mode.ReplicatedJob.TotalCompletions'),
  'deploy.labels': map('the service\'s Labels'),
  ...UPDATE_POLICY('deploy.update_config'),
  ...UPDATE_POLICY('deploy.rollback_config'),
  'deploy.resources': map('TaskTemplate.Resources', true),
  'deploy.resources.limits': map('Resources.Limits', true),
  'deploy.resources.limits.cpus': map('Limits.NanoCPUs'),
  'deploy.resources.limits.memory': map('Limits.MemoryBytes'),
  'deploy.resources.limits.pids': map('Limits.Pids'),
  'deploy.resources.reservations': map('Resources.Reservations', true),
  'deploy.resources.reservations.cpus': map('Reservations.NanoCPUs'),
  'deploy.resources.reservations.memory': map('Reservations.MemoryBytes'),
  'deploy.resources.reservations.generic_resources': map('Reservations.GenericResources'),
  'deploy.resources.reservations.devices': refuse('reserve devices (GPUs); use generic_resources'),
  'deploy.restart_policy': map('TaskTemplate.RestartPolicy', true),
  'deploy.restart_policy.condition': map('Condition (none|on-failure|any)'),
  'deploy.restart_policy.delay': map('Delay (ns)'),
  'deploy.restart_policy.max_attempts': map('MaxAttempts'),
  'deploy.restart_policy.window': map('Window (ns)'),
  'deploy.placement': map('TaskTemplate.Placement', true),
  'deploy.placement.constraints': map('Placement.Constraints'),
  'deploy.placement.preferences': map('Placement.Preferences (spread)'),
  'deploy.placement.max_replicas_per_node': map('Placement.MaxReplicas'),
  develop: honour('`berth watch` acts on files; nothing on the engine'),
  device_cgroup_rules: refuse('add device cgroup rules'),
  devices: refuse('map host devices'),
  dns: map('ContainerSpec.DNSConfig.Nameservers'),
  dns_opt: map('ContainerSpec.DNSConfig.Options'),
  dns_search: map('ContainerSpec.DNSConfig.Search'),
  domainname: refuse('set a domain name'),
  entrypoint: map('ContainerSpec.Command (the image\'s ENTRYPOINT)'),
  env_file: honour('the loader read the files into environment'),
  environment: map('ContainerSpec.Env (unset variables left out)'),
  expose: honour('overlay networks do not filter ports: every port is reachable from the service\'s networks'),
  extends: honour('resolved by the loader'),
  external_links: refuse('link to containers outside the stack; attach an external overlay network instead'),
  extra_hosts: map('ContainerSpec.Hosts ("IP host")'),
  gpus: refuse('request GPUs; use deploy.resources.reservations.generic_resources'),
  group_add: map('ContainerSpec.Groups'),
  healthcheck: map('ContainerSpec.HealthCheck', true),
  'healthcheck.test': map('Test'),
  'healthcheck.disable': map('Test ["NONE"]'),
  'healthcheck.interval': map('Interval (ns)'),
  'healthcheck.timeout': map('Timeout (ns)'),
  'healthcheck.start_period': map('StartPeriod (ns)'),
  'healthcheck.start_interval': refuse('set a health check start interval (Docker API 1.44, newer than Swarm API 1.41)'),
  'healthcheck.retries': map('Retries'),
  hostname: map('ContainerSpec.Hostname'),
  image: map('ContainerSpec.Image, pinned to its digest when known; label com.docker.stack.image'),
  init: map('ContainerSpec.Init'),
  ipc: refuse('share or choose an IPC namespace'),
  isolation: map('ContainerSpec.Isolation'),
  label_file: honour('the loader merged the files into labels'),
  labels: map('ContainerSpec.Labels (the containers\' labels; deploy.labels label the service)'),
  links: refuse('use links; services reach each other by name on their networks'),
  logging: map('TaskTemplate.LogDriver'),
  mac_address: refuse('set a MAC address'),
  mem_limit: map('TaskTemplate.Resources.Limits.MemoryBytes (as deploy.resources.limits.memory)'),
  mem_reservation: map('TaskTemplate.Resources.Reservations.MemoryBytes (as deploy.resources.reservations.memory)'),
  mem_swappiness: refuse('set memory swappiness'),
  memswap_limit: refuse('limit memory plus swap'),
  models: refuse('use AI models'),
  network_mode: map('`host`/`none`: the predefined network of that name; other modes (service:, container:, bridge) refused'),
  networks: map('TaskTemplate.Networks, the service name and aliases as DNS aliases', true),
  'networks.aliases': map('NetworkAttachmentConfig.Aliases'),
  'networks.driver_opts': map('NetworkAttachmentConfig.DriverOpts'),
  'networks.priority': honour('orders the service\'s network attachments'),
  'networks.gw_priority': refuse('choose the gateway network (Swarm routes through docker_gwbridge)'),
  'networks.interface_name': refuse('name network interfaces'),
  'networks.ipv4_address': refuse('have fixed IPv4 addresses (Swarm allocates per task)'),
  'networks.ipv6_address': refuse('have fixed IPv6 addresses (Swarm allocates per task)'),
  'networks.link_local_ips': refuse('have link-local addresses'),
  'networks.mac_address': refuse('set a MAC address per network'),
  oom_kill_disable: refuse('disable the OOM killer'),
  oom_score_adj: refuse('adjust the OOM score'),
  pid: refuse('share or choose a PID namespace'),
  pids_limit: map('TaskTemplate.Resources.Limits.Pids (as deploy.resources.limits.pids)'),
  platform: map('TaskTemplate.Placement.Platforms'),
  ports: map('EndpointSpec.Ports (host mode when the Swarm has no IPVS)', true),
  'ports.name': map('PortConfig.Name'),
  'ports.mode': map('PortConfig.PublishMode (ingress|host)'),
  'ports.host_ip': refuse('publish on one host address (ingress and host ports listen on every address)'),
  'ports.target': map('PortConfig.TargetPort'),
  'ports.published': map('PortConfig.PublishedPort; a range is refused'),
  'ports.protocol': map('PortConfig.Protocol'),
  'ports.app_protocol': refuse('declare an application protocol (not in the Swarm API 1.41)'),
  post_start: refuse('run post_start hooks (they need an exec into each task)'),
  pre_start: refuse('run pre_start hooks'),
  pre_stop: refuse('run pre_stop hooks (they need an exec into each task)'),
  privileged: refuse('run privileged containers'),
  profiles: honour('the loader enabled or dropped the service'),
  provider: refuse('run provider services'),
  pull_policy: honour('berth resolves the image digest; each node pulls that digest'),
  pull_refresh_after: honour('berth resolves the image digest; each node pulls that digest'),
  read_only: map('ContainerSpec.ReadOnly'),
  restart: map('TaskTemplate.RestartPolicy when deploy.restart_policy is absent (no → none, always/unless-stopped → any, on-failure[:N])'),
  runtime: refuse('choose an OCI runtime (each node\'s dockerd decides it)'),
  scale: map('Mode.Replicated.Replicas (as deploy.replicas)'),
  secrets: map('a Swarm secret named <project>_<name>-<hash8> + ContainerSpec.Secrets'),
  security_opt: refuse('set security options (seccomp, AppArmor, SELinux labels, no-new-privileges)'),
  shm_size: refuse('size /dev/shm; mount a tmpfs at /dev/shm instead'),
  stdin_open: map('ContainerSpec.OpenStdin'),
  stop_grace_period: map('ContainerSpec.StopGracePeriod (ns)'),
  stop_signal: map('ContainerSpec.StopSignal'),
  storage_opt: refuse('set storage driver options'),
  sysctls: map('ContainerSpec.Sysctls'),
  tmpfs: map('ContainerSpec.Mounts, type tmpfs (size= and mode= options only)'),
  tty: map('ContainerSpec.TTY'),
  ulimits: map('ContainerSpec.Ulimits'),
  use_api_socket: refuse('mount the engine\'s API socket'),
  user: map('ContainerSpec.User'),
  userns_mode: refuse('choose a user namespace mode'),
  uts: refuse('share the host\'s UTS namespace'),
  volumes: map('ContainerSpec.Mounts: named volumes (local driver, driver options), binds, tmpfs, npipe; cluster and image volumes refused', true),
  'volumes.type': map('Mount.Type'),
  'volumes.source': map('Mount.Source (the volume\'s name)'),
  'volumes.target': map('Mount.Target'),
  'volumes.read_only': map('Mount.ReadOnly'),
  'volumes.consistency': map('Mount.Consistency'),
  'volumes.bind': map('Mount.BindOptions', true),
  'volumes.bind.propagation': map('BindOptions.Propagation'),
  'volumes.bind.create_host_path': honour('Swarm never creates a bind source: the path must exist on every node that runs a task (berth says so)'),
  'volumes.bind.recursive': refuse('choose recursive bind mount behaviour (Docker API 1.44)'),
  'volumes.bind.selinux': refuse('relabel bind mounts for SELinux (z/Z)'),
  'volumes.volume': map('Mount.VolumeOptions', true),
  'volumes.volume.labels': map('VolumeOptions.Labels'),
  'volumes.volume.nocopy': map('VolumeOptions.NoCopy'),
  'volumes.volume.subpath': refuse('mount a volume subpath (Docker API 1.45)'),
  'volumes.tmpfs': map('Mount.TmpfsOptions', true),
  'volumes.tmpfs.size': map('TmpfsOptions.SizeBytes'),
  'volumes.tmpfs.mode': map('TmpfsOptions.Mode'),
  'volumes.image': refuse('mount images (Docker API 1.47)'),
  volumes_from: refuse('mount another container\'s volumes; use a named volume'),
  working_dir: map('ContainerSpec.Dir'),
};

export function ruleFor(key: string): KeyRule | undefined {
  return Object.prototype.hasOwnProperty.call(SERVICE_KEYS, key) ? SERVICE_KEYS[key] : undefined;
}

/** Counts per treatment, for the README and the report. */
export function keyTableCounts(): Record<Treatment, number> {
  const counts: Record<Treatment, number> = { mapped: 0, honoured: 0, refused: 0 };
  for (const rule of Object.values(SERVICE_KEYS)) counts[rule.treatment]++;
  return counts;
}

/** The table as Markdown rows (key | treatment | note), in key order: what the README shows. */
export function keyTableMarkdown(): string {
  const rows = Object.keys(SERVICE_KEYS)
    .sort()
    .map((k) => `| \`${k}\` | ${SERVICE_KEYS[k].treatment} | ${SERVICE_KEYS[k].note.replace(/\|/g, '\\|')} |`);
  return ['| key | Swarm | how |', '|---|---|---|', ...rows].join('\n');
}
