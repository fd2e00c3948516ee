// The seccomp allow-list berth renders into each container's config.json.
//
// Docker's default profile (moby profiles/seccomp/default.json) is not in OCI form: its rules carry
// `includes`/`excludes` conditions on capabilities and architectures that dockerd resolves per
// container. This table restates the same rules in reviewable groups, and `renderSeccomp` resolves
// them for one container's capability set and architecture, producing plain runtime-spec 1.0.2
// `linux.seccomp` (no `defaultErrnoRet`, which is a 1.1 field: SCMP_ACT_ERRNO defaults to EPERM,
// the same errno Docker's profile returns).
//
// Completeness: the unconditional allow list and every capability-gated rule of moby's profile as
// of 2023 (kernel ≤ 6.x syscall names) for x86_64/x86/x32 and aarch64/arm. Not carried over:
// minKernel gates (runc skips names the kernel/libseccomp does not know), and the ppc64le, s390x,
// mips and riscv64 specifics. Unknown syscall names are ignored by runc, so listing new ones is safe.

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_MASKED_EQ';
}

export interface SeccompSyscall {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  architectures: string[];
  syscalls: SeccompSyscall[];
}

export type SeccompArch = 'x64' | 'ia32' | 'arm64' | 'arm';

interface Rule {
  /** Why the group exists, for a reviewer. */
  why: string;
  names: string;
  action?: 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
  /** Applies only when the container holds one of these capabilities. */
  ifCap?: string[];
  /** Does not apply when the container holds one of these capabilities. */
  unlessCap?: string[];
  /** Applies only on these architectures. */
  arches?: SeccompArch[];
}

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

// Flags of the namespaces clone(2) may create (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET):
// without CAP_SYS_ADMIN, clone is allowed only when none of them is set.
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const ENOSYS = 38;

const RULES: Rule[] = [
  {
    why: 'files, directories, links, extended attributes, file descriptors',
    names: `access chdir chmod chown chown32 close close_range copy_file_range creat dup dup2 dup3
      faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown
      fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fremovexattr fsetxattr fstat
      fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futimesat getcwd getdents getdents64
      getxattr lchown lchown32 lgetxattr link linkat listxattr llistxattr _llseek lremovexattr lseek pipe pipe2
      lsetxattr lstat lstat64 mkdir mkdirat mknod mknodat name_to_handle_at newfstatat open openat openat2
      pread64 preadv preadv2 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv removexattr
      rename renameat renameat2 rmdir sendfile sendfile64 setxattr splice stat stat64 statfs statfs64
      statx symlink symlinkat sync sync_file_range syncfs tee truncate truncate64 umask unlink unlinkat
      utime utimensat utimensat_time64 utimes vmsplice write writev`,
  },
  {
    why: 'polling, events, timers, clocks, asynchronous and uring I/O',
    names: `alarm clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
      clock_gettime64 clock_nanosleep clock_nanosleep_time64 epoll_create epoll_create1 epoll_ctl
      epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 getitimer
      gettimeofday inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy
      io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit io_uring_enter io_uring_register
      io_uring_setup ioctl nanosleep _newselect pause poll ppoll ppoll_time64 pselect6 pselect6_time64
      select setitimer signalfd signalfd4 time timer_create timer_delete timer_getoverrun timer_gettime
      timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
      timerfd_settime timerfd_settime64 times adjtimex`,
  },
  {
    why: 'memory management',
    names: `brk madvise membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap mmap2
      mprotect mremap msync munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect remap_file_pages`,
  },
  {
    why: 'processes, threads, signals, scheduling, identities, limits',
    names: `capget capset execve execveat exit exit_group fork futex futex_time64 futex_waitv getcpu
      getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getpgid getpgrp getpid
      getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list
      getrusage getsid get_thread_area gettid getuid getuid32 ioprio_get ioprio_set kill
      landlock_add_rule landlock_create_ruleset landlock_restrict_self pidfd_open pidfd_send_signal
      prctl prlimit64 process_mrelease restart_syscall rseq rt_sigaction rt_sigpending rt_sigprocmask
      rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
      sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
      sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
      sched_setattr sched_setparam sched_setscheduler sched_yield seccomp setfsgid setfsgid32 setfsuid
      setfsuid32 setgid setgid32 setgroups setgroups32 setpgid setpriority setregid setregid32 setresgid
      setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid
      set_thread_area set_tid_address setuid setuid32 sigaltstack sigprocmask sigreturn sysinfo tgkill
      tkill ugetrlimit uname vfork wait4 waitid waitpid`,
  },
  {
    why: 'sockets (socket(2) itself is below: AF_VSOCK is refused) and System V / POSIX IPC',
    names: `accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg
      recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socketcall socketpair
      ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
      mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd semctl semget semop semtimedop
      semtimedop_time64 shmat shmctl shmdt shmget`,
  },
  { why: 'any socket family but AF_VSOCK (40)', names: 'socket', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
  // personality(2) only with the values glibc and setarch use: PER_LINUX, PER_LINUX32,
  // UNAME26, UNAME26|PER_LINUX32, and the 0xffffffff query.
  ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map(
    (value): Rule => ({ why: 'personality query/set', names: 'personality', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }),
  ),
  { why: 'x86-64 thread-local storage', names: 'arch_prctl', arches: ['x64'] },
  { why: 'x86 LDT (Wine, old runtimes)', names: 'modify_ldt', arches: ['x64', 'ia32'] },
  {
    why: 'ARM specifics',
    names: 'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls',
    arches: ['arm64', 'arm'],
  },
  { why: 'open files by handle', names: 'open_by_handle_at', ifCap: ['CAP_DAC_READ_SEARCH'] },
  {
    why: 'mounting, namespaces, host naming, tracing: CAP_SYS_ADMIN',
    names: `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount
      mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname
      setns syslog umount umount2 unshare`,
    ifCap: ['CAP_SYS_ADMIN'],
  },
  {
    why: 'clone without namespace flags for everyone else',
    names: 'clone',
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    unlessCap: ['CAP_SYS_ADMIN'],
  },
  {
    // clone3 passes flags in a struct seccomp cannot inspect; ENOSYS makes libc fall back to clone.
    why: 'clone3 falls back to clone',
    names: 'clone3',
    action: 'SCMP_ACT_ERRNO',
    errnoRet: ENOSYS,
    unlessCap: ['CAP_SYS_ADMIN'],
  },
  { why: 'reboot', names: 'reboot', ifCap: ['CAP_SYS_BOOT'] },
  { why: 'chroot', names: 'chroot', ifCap: ['CAP_SYS_CHROOT'] },
  { why: 'kernel modules', names: 'delete_module init_module finit_module', ifCap: ['CAP_SYS_MODULE'] },
  { why: 'process accounting', names: 'acct', ifCap: ['CAP_SYS_PACCT'] },
  {
    why: 'tracing other processes',
    names: 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace',
    ifCap: ['CAP_SYS_PTRACE'],
  },
  { why: 'raw port I/O', names: 'iopl ioperm', ifCap: ['CAP_SYS_RAWIO'] },
  { why: 'setting the clock', names: 'settimeofday stime clock_settime clock_settime64', ifCap: ['CAP_SYS_TIME'] },
  { why: 'hanging up the terminal', names: 'vhangup', ifCap: ['CAP_SYS_TTY_CONFIG'] },
  {
    why: 'NUMA memory policy',
    names: 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node',
    ifCap: ['CAP_SYS_NICE'],
  },
  { why: 'kernel log', names: 'syslog', ifCap: ['CAP_SYSLOG'] },
  { why: 'BPF programs', names: 'bpf', ifCap: ['CAP_BPF'] },
  { why: 'performance counters', names: 'perf_event_open', ifCap: ['CAP_PERFMON'] },
];

/**
 * The machine's own syscall ABI first, then the ones its kernel also runs (what Docker lists).
 * Each extra architecture is a whole extra filter for runc 1.1's libseccomp to compile at every
 * container start (~7 ms each here: bench/engine.mjs prints it), so by default the filter names
 * the native ABI only: a 32-bit (or x32) program in a container then gets libseccomp's
 * bad-architecture action (the process is killed) instead of Docker's allow list.
 * `compatArches` restores Docker's behaviour.
 */
const ARCHITECTURES: Record<SeccompArch, { native: string; compat: string[] }> = {
  x64: { native: 'SCMP_ARCH_X86_64', compat: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
  ia32: { native: 'SCMP_ARCH_X86', compat: [] },
  arm64: { native: 'SCMP_ARCH_AARCH64', compat: ['SCMP_ARCH_ARM'] },
  arm: { native: 'SCMP_ARCH_ARM', compat: [] },
};

export function isSeccompArch(arch: string): arch is SeccompArch {
  return Object.hasOwn(ARCHITECTURES, arch);
}

/**
 * The profile for one container: the rules whose capability and architecture conditions hold,
 * in table order (later rules only add; libseccomp does not depend on order for ALLOW rules).
 */
export function renderSeccomp(capabilities: readonly string[], arch: SeccompArch, opts: { compatArches?: boolean } = {}): SeccompProfile {
  const caps = new Set(capabilities);
  const syscalls: SeccompSyscall[] = [];
  for (const rule of RULES) {
    if (rule.ifCap && !rule.ifCap.some((c) => caps.has(c))) continue;
    if (rule.unlessCap && rule.unlessCap.some((c) => caps.has(c))) continue;
    if (rule.arches && !rule.arches.includes(arch)) continue;
    const entry: SeccompSyscall = { names: words(rule.names), action: rule.action ?? 'SCMP_ACT_ALLOW' };
    if (rule.errnoRet !== undefined) entry.errnoRet = rule.errnoRet;
    if (rule.args) entry.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(entry);
  }
  const { native, compat } = ARCHITECTURES[arch];
  return { defaultAction: 'SCMP_ACT_ERRNO', architectures: opts.compatArches ? [native, ...compat] : [native], syscalls };
}
