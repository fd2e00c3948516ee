/*
 * berth-shim: the per-container monitor of berth's built-in engine.
 *
 * Why a separate C process (see src/engine/runtime/MONITOR.md for the measurements):
 * the engine daemon is Node, which can neither become a child subreaper, nor receive a
 * pty master over a unix socket (runc --console-socket), and the container must outlive
 * a daemon restart with its exit status still recoverable.
 *
 * Usage:
 *   berth-shim --runc PATH --root DIR --id ID --bundle DIR --log-path FILE
 *              --status-path FILE --pid-file FILE [--runc-log FILE]
 *              [--memory-cgroup DIR] [--tty] [--stdin] [--stdin-once] [--io-socket PATH]
 *              [--prepare [--prepare-timeout-ms N]] [--mount-overlay OPTIONS --rootfs DIR]
 *              [--log-max-size BYTES [--log-max-files N]]
 *   berth-shim --exec-tty --runc PATH --root DIR --id ID --process FILE --pid-file FILE [--stdin]
 *
 * With --io-socket PATH the monitor listens on that unix socket (mode 0600, peers must run as our
 * uid; a path, not an abstract name: Node 20 cannot connect to abstract sockets). A client's first byte says what the connection carries: 'i' = the container's
 * stdin (relayed to the stdin pipe, or the pty master with --tty; with --stdin-once the end of
 * the first such connection closes the container's stdin), 'r' = one line "<rows> <cols>\n" that
 * resizes the pty, 'k' = one line "<signo>\n": the monitor kill()s the container's init and
 * answers "0\n" (sent) or "<errno>\n". That is `runc kill` without starting a Go process per
 * signal, and race-free: the monitor is the one that reaps init, so while it answers the pid is
 * init or init's zombie, never a recycled pid. Once init is reaped no request is read any more;
 * the connection just closes unanswered (as with a monitor that predates 'k'), and the caller
 * falls back to `runc kill`, which knows the container has stopped. --exec-tty runs `runc exec -d --tty` as a child subreaper, receives the pty
 * master and relays our stdin/stdout to it (fd 3, when open, carries resize lines) until the
 * process exits, then exits with its status.
 *
 * The invoking process gets, on stdout, "<container pid> <monitor pid>\n" and exit 0 once the
 * container is started, or the runtime's error on stderr and exit 1. With --prepare that happens
 * once the container is created (`runc create`: namespaces, mounts, cgroups done, the process not
 * yet exec'd); a client's 's' on the io socket then starts it and is answered "ok\n" or
 * "err <reason>\n", 'x' deletes it, and so does the timeout (default 120 s) if no start comes —
 * a prepared container that never ran ends its monitor without an exit status. By then the monitor has
 * double-forked into its own session, so killing the caller (even with SIGKILL) leaves the
 * container and its monitor running. When the container's init exits the monitor drains the
 * output, writes the exit status atomically to --status-path and exits; it never deletes the
 * container (the daemon does, so a restart policy can still look at the runc state).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Docker's json-file driver splits lines longer than this into partial messages. */
#define MAX_LINE 16384
/* How long output is still drained after init died (other holders of the pipes die with the pid namespace). */
#define DRAIN_MS 2000

struct options {
  const char *runc, *root, *id, *bundle, *log_path, *status_path, *pid_file, *runc_log, *memory_cgroup, *process, *io_socket;
  const char *overlay_opts, *rootfs;
  int tty, stdin_open, stdin_once, exec_tty, prepare;
  long prepare_timeout_ms;
  /* json-file rotation: the live file is rotated before a write once it holds log_max_size bytes. */
  long long log_max_size;
  int log_max_files;
};

struct stream {
  const char *name; /* "stdout" | "stderr" */
  int fd;
  char buf[MAX_LINE];
  size_t len;
  /* A tty is interactive: a prompt without a newline must reach the log (and attach) at once. */
  int flush_each_read;
};

static int log_fd = -1;
/* Rotation (Docker's json-file max-size/max-file), done here because this process holds the log's
   descriptor: the engine only reads the files. log_size counts what the live file holds. */
static const char *log_path;
static long long log_size, log_max_size;
static int log_max_files = 1;

static void die_to(int ready, const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  if (ready >= 0) {
    (void)!write(ready, "err ", 4);
    (void)!write(ready, msg, (size_t)n);
  } else {
    fprintf(stderr, "berth-shim: %s\n", msg);
  }
  _exit(1);
}

/* RFC 3339 with nanoseconds, trailing zeros trimmed: what Go's time.RFC3339Nano prints. */
static void now_rfc3339(char *out, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
  size_t fl = strlen(frac);
  while (fl > 1 && frac[fl - 1] == '0') frac[--fl] = '\0';
  if (fl == 1) frac[0] = '\0';
  snprintf(out + n, size - n, "%sZ", frac);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
  else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
  else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
  else return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return len;
}

/* Docker's rotation (loggerutils.rotate): with one file it is cut back to empty; otherwise
   log.(n-1) … log.1 move up one, the live file becomes log.1 and a new one is opened. A reader
   that follows the file notices its inode change (or its size shrink) and carries on. */
static void rotate_log(void) {
  if (log_max_files <= 1) {
    if (ftruncate(log_fd, 0) == 0) log_size = 0;
    return;
  }
  char from[PATH_MAX], to[PATH_MAX];
  for (int i = log_max_files - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", log_path);
    else snprintf(from, sizeof from, "%s.%d", log_path, i - 1);
    snprintf(to, sizeof to, "%s.%d", log_path, i);
    if (rename(from, to) != 0 && errno != ENOENT) return;
  }
  int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return; /* keep writing to the renamed file rather than lose output */
  close(log_fd);
  log_fd = fd;
  log_size = 0;
}

/* One json-file record, escaped like Go's encoding/json (HTML-safe, invalid UTF-8 → U+FFFD). */
static void log_message(const char *stream, const char *data, size_t n) {
  if (log_fd < 0) return;
  if (log_max_size > 0 && log_size >= log_max_size) rotate_log();
  /* Worst case 6 output bytes per input byte plus the envelope. */
  static char out[MAX_LINE * 6 + 256];
  size_t o = 0;
  o += (size_t)sprintf(out + o, "{\"log\":\"");
  const unsigned char *p = (const unsigned char *)data;
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t l = utf8_len(p + i, n - i);
      if (l == 0) {
        o += (size_t)sprintf(out + o, "\\ufffd");
        i++;
        continue;
      }
      /* U+2028 / U+2029 break JavaScript parsers; Go escapes them. */
      if (l == 3 && p[i] == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
        o += (size_t)sprintf(out + o, "\\u202%c", p[i + 2] == 0xA8 ? '8' : '9');
      } else {
        memcpy(out + o, p + i, l);
        o += l;
      }
      i += l;
      continue;
    }
    switch (c) {
      case '"': out[o++] = '\\'; out[o++] = '"'; break;
      case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
      case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
      case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
      case '\t': out[o++] = '\\'; out[o++] = 't'; break;
      case '<': case '>': case '&':
        o += (size_t)sprintf(out + o, "\\u%04x", c);
        break;
      default:
        if (c < 0x20) o += (size_t)sprintf(out + o, "\\u%04x", c);
        else out[o++] = (char)c;
    }
    i++;
  }
  char ts[64];
  now_rfc3339(ts, sizeof ts);
  o += (size_t)sprintf(out + o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
  if (write_all(log_fd, out, o) == 0) log_size += (long long)o;
}

/* Emits every complete line; a line reaching MAX_LINE is emitted as a partial message. */
static void stream_feed(struct stream *s, const char *data, size_t n) {
  for (size_t i = 0; i < n; i++) {
    s->buf[s->len++] = data[i];
    if (data[i] == '\n' || s->len == MAX_LINE) {
      log_message(s->name, s->buf, s->len);
      s->len = 0;
    }
  }
}

static void stream_flush(struct stream *s) {
  if (s->len > 0) log_message(s->name, s->buf, s->len);
  s->len = 0;
}

/* Reads what is available; returns 0 at EOF (or EIO from a pty whose slave side is gone). */
static int stream_read(struct stream *s) {
  char buf[65536];
  for (;;) {
    ssize_t r = read(s->fd, buf, sizeof buf);
    if (r > 0) {
      stream_feed(s, buf, (size_t)r);
      if (s->flush_each_read) stream_flush(s);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return 1;
    return 0;
  }
}

/* Reads the oom_kill counter of a memory cgroup (v2 memory.events, v1 memory.oom_control). */
static long oom_kills(const char *cgroup) {
  if (!cgroup) return 0;
  const char *files[] = {"memory.events", "memory.oom_control"};
  for (int f = 0; f < 2; f++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", cgroup, files[f]);
    FILE *fp = fopen(path, "re");
    if (!fp) continue;
    char key[64];
    long value;
    long found = -1;
    while (fscanf(fp, "%63s %ld", key, &value) == 2) {
      if (strcmp(key, "oom_kill") == 0) found = value;
    }
    fclose(fp);
    if (found >= 0) return found;
  }
  return 0;
}

static void fsync_dir_of(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) return;
  if (slash == dir) slash[1] = '\0';
  else *slash = '\0';
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* write + fsync + rename + fsync(dir): a reader sees either no status or a complete one. */
static void write_status(const char *path, const char *json) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write_all(fd, json, strlen(json)) == 0 && fsync(fd) == 0) {
    close(fd);
    if (rename(tmp, path) == 0) fsync_dir_of(path);
    return;
  }
  close(fd);
  unlink(tmp);
}

/* Empties the signalfd: what matters is that a SIGCHLD came; the caller then reaps with waitpid. */
static void drain_signals(int sfd) {
  struct signalfd_siginfo si;
  while (read(sfd, &si, sizeof si) == sizeof si) {
  }
}

static pid_t spawn(char *const argv[], int in, int out, int err, const sigset_t *oldmask) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (in != 0) dup2(in, 0);
  if (out != 1) dup2(out, 1);
  if (err != 2) dup2(err, 2);
  sigprocmask(SIG_SETMASK, oldmask, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  execv(argv[0], argv);
  _exit(127);
}

/* runc prints its error on stderr; keep the last non-empty line, which names the cause. */
static void last_line(char *buf, char *out, size_t size) {
  size_t n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  char *start = strrchr(buf, '\n');
  start = start ? start + 1 : buf;
  /* With --log-format text runc decorates it: time="..." level=error msg="the message" */
  char *m = strstr(start, "msg=\"");
  if (m && size > 0) {
    size_t o = 0;
    for (m += 5; *m && *m != '"' && o + 1 < size; m++) {
      if (*m == '\\' && m[1]) m++;
      out[o++] = *m;
    }
    out[o] = '\0';
    return;
  }
  snprintf(out, size, "%s", *start ? start : "runtime failed without a message");
}

static int recv_fd(int sock) {
  char name[4096];
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  }
  return -1;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reaps every exited child (as subreaper we also inherit any orphan of the container); the first
   time init (cpid) is among them, records its status and starts the output drain deadline. */
static void reap_children(pid_t cpid, int *exited, int *status, long *deadline) {
  pid_t w;
  int ws;
  while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
    if (w == cpid && !*exited) {
      *exited = 1;
      *status = ws;
      *deadline = now_ms() + DRAIN_MS;
    }
  }
}


/* ---- The io socket: stdin relay, pty resize, signals (see the header). ---- */

#define MAX_CLIENTS 16
#define CLIENT_BUF 16384

struct client {
  int fd;
  int kind; /* 0 until the first byte, then 'i' or 'r' */
  char buf[CLIENT_BUF];
  size_t len, off; /* stdin bytes read from the client, not yet written to the container */
  char ctl[64];
  size_t ctl_len;
};

static struct client clients[MAX_CLIENTS];

struct io_state {
  int listen_fd;
  int stdin_fd;  /* where stdin goes: the pipe's write end or a dup of the pty master; -1 when closed */
  int master;    /* the pty master for resize, -1 without a tty */
  int tty;
  int stdin_once;
  int stdin_used; /* a stdin client has come and gone (StdinOnce) */
  pid_t init;     /* the container's init, for 'k' (never reaped while requests are read) */
};

static int listen_path(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    close(fd);
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(sa.sun_path, path);
  unlink(path); /* a socket left by an earlier run of this container */
  mode_t old = umask(077);
  int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 8) == 0;
  umask(old);
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

static int listen_abstract(const char *name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = strlen(name);
  if (n > sizeof sa.sun_path - 1) n = sizeof sa.sun_path - 1;
  memcpy(sa.sun_path + 1, name, n);
  if (bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 || listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void set_winsize(int master, const char *line) {
  unsigned rows = 0, cols = 0;
  if (master < 0 || sscanf(line, "%u %u", &rows, &cols) != 2 || rows == 0 || cols == 0) return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  (void)ioctl(master, TIOCSWINSZ, &ws);
}

/* The container's stdin ends: a pipe is closed; a pty gets the EOF character (closing the master would hang up the output). */
static void close_stdin(struct io_state *io) {
  if (io->stdin_fd < 0) return;
  if (io->tty) (void)!write(io->stdin_fd, "\x04", 1);
  close(io->stdin_fd);
  io->stdin_fd = -1;
}

static void client_close(struct io_state *io, struct client *c) {
  if (c->kind == 'i') {
    io->stdin_used = 1;
    if (io->stdin_once) close_stdin(io);
  }
  close(c->fd);
  c->fd = -1;
}

static void io_accept(struct io_state *io) {
  for (;;) {
    int fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    struct ucred cred;
    socklen_t cl = sizeof cred;
    /* Abstract sockets have no file permissions: only our own uid may drive the container's stdin. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != getuid()) {
      close(fd);
      continue;
    }
    int placed = 0;
    for (int i = 0; i < MAX_CLIENTS && !placed; i++) {
      if (clients[i].fd >= 0) continue;
      clients[i].fd = fd;
      clients[i].kind = 0;
      clients[i].len = clients[i].off = clients[i].ctl_len = 0;
      placed = 1;
    }
    if (!placed) close(fd);
  }
}

/* Writes what a client has pending; returns 0 when everything went out. */
static int client_flush(struct io_state *io, struct client *c) {
  while (c->off < c->len) {
    if (io->stdin_fd < 0) {
      c->off = c->len = 0; /* stdin is closed: the bytes have nowhere to go */
      return 0;
    }
    ssize_t w = write(io->stdin_fd, c->buf + c->off, c->len - c->off);
    if (w > 0) {
      c->off += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return 1;
    /* EPIPE: the container closed its stdin. */
    close(io->stdin_fd);
    io->stdin_fd = -1;
  }
  c->off = c->len = 0;
  return 0;
}

/* 'k': signals init and answers with the errno (0 = sent); a malformed line is EINVAL. */
static void kill_init(struct io_state *io, struct client *c) {
  char *end;
  errno = 0;
  long signo = strtol(c->ctl, &end, 10);
  int err = 0;
  if (errno != 0 || end == c->ctl || *end != '\n' || signo <= 0 || signo >= 65 || io->init <= 0) err = EINVAL;
  else if (kill(io->init, (int)signo) != 0) err = errno;
  char reply[16];
  int n = snprintf(reply, sizeof reply, "%d\n", err);
  /* One short line on a fresh socket: it fits the send buffer, a non-blocking write does not fail for room. */
  (void)!write(c->fd, reply, (size_t)n);
}

static void client_read(struct io_state *io, struct client *c) {
  if (c->kind == 0) {
    char k;
    ssize_t r = read(c->fd, &k, 1);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      close(c->fd);
      c->fd = -1;
      return;
    }
    if (r < 0) return;
    if (k != 'i' && k != 'r' && k != 'k') {
      close(c->fd);
      c->fd = -1;
      return;
    }
    c->kind = k;
  }
  if (c->kind == 'r' || c->kind == 'k') {
    ssize_t r = read(c->fd, c->ctl + c->ctl_len, sizeof c->ctl - 1 - c->ctl_len);
    if (r > 0) c->ctl_len += (size_t)r;
    c->ctl[c->ctl_len] = '\0';
    if (strchr(c->ctl, '\n') || r == 0 || c->ctl_len == sizeof c->ctl - 1 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      if (c->kind == 'r') set_winsize(io->master, c->ctl);
      else if (strchr(c->ctl, '\n')) kill_init(io, c);
      close(c->fd);
      c->fd = -1;
    }
    return;
  }
  ssize_t r = read(c->fd, c->buf, sizeof c->buf);
  if (r > 0) {
    c->len = (size_t)r;
    c->off = 0;
    (void)client_flush(io, c);
    return;
  }
  if (r == 0 || (errno != EAGAIN && errno != EINTR)) client_close(io, c);
}

/* ---- --prepare: created now, started later by the daemon (see the header). ---- */

/* Ends a prepared monitor whose container never ran: no exit status (there was no run). */
static void prepared_gone(const struct options *o, struct io_state *io, const sigset_t *oldmask, int devnull, int delete_container) {
  close(io->listen_fd);
  unlink(o->io_socket);
  if (delete_container) {
    char *argv[] = {(char *)o->runc, "--root", (char *)o->root, "delete", "--force", (char *)o->id, NULL};
    pid_t d = spawn(argv, devnull, devnull, devnull, oldmask);
    while (d > 0 && waitpid(d, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(0);
}

/*
 * What `runc start` does for a bundle without hooks, without a Go start-up: runc's init waits in
 * an open(2) of <root>/<id>/exec.fifo for writing; opening it for reading lets it write one byte
 * and exec the process (the write end is close-on-exec, so EOF means the exec happened), then the
 * fifo goes, which is how runc tells "created" from "running". Falls back to `runc start` where a
 * runtime keeps no such fifo. Returns 1 once started, else 0 with the reason in `why`.
 */
static int release_init(const struct options *o, const sigset_t *oldmask, int devnull, char *why, size_t size) {
  char fifo[PATH_MAX];
  snprintf(fifo, sizeof fifo, "%s/%s/exec.fifo", o->root, o->id);
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    long deadline = now_ms() + 10000;
    size_t got = 0;
    for (;;) {
      char b[16];
      ssize_t r = read(fd, b, sizeof b);
      if (r > 0) {
        got += (size_t)r;
        continue;
      }
      if (r == 0 && got > 0) break; /* EOF after the byte: the process is exec'd */
      if (r < 0 && errno != EAGAIN && errno != EINTR) break;
      long left = deadline - now_ms();
      if (left <= 0) break;
      /* Before init opens its end, a read sees EOF too: wait for it (poll reports no HUP then). */
      struct pollfd p = {.fd = fd, .events = POLLIN};
      (void)poll(&p, 1, (int)left);
    }
    close(fd);
    if (got > 0) {
      unlink(fifo);
      return 1;
    }
    snprintf(why, size, "the container's init did not take the start");
    return 0;
  }
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) != 0) {
    snprintf(why, size, "pipe: %s", strerror(errno));
    return 0;
  }
  char *argv[] = {(char *)o->runc, "--root", (char *)o->root, "start", (char *)o->id, NULL};
  pid_t starter = spawn(argv, devnull, devnull, errp[1], oldmask);
  close(errp[1]);
  char buf[4096] = "";
  size_t n = 0;
  ssize_t r;
  while ((r = read(errp[0], buf + n, sizeof buf - 1 - n)) > 0 || (r < 0 && errno == EINTR))
    if (r > 0) n += (size_t)r;
  buf[n] = '\0';
  close(errp[0]);
  int st = -1;
  while (starter > 0 && waitpid(starter, &st, 0) < 0 && errno == EINTR) {
  }
  if (starter > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) return 1;
  last_line(buf, why, size);
  return 0;
}

/*
 * Waits, with the container created, for one of: a client's 's' on the io socket (start it, answer
 * "ok\n" or "err <reason>\n"; returns once started), 'x' (abort: delete it), the death of its init
 * (the daemon deleted it), or the timeout (a daemon that went away: delete it).
 */
static void await_start(const struct options *o, struct io_state *io, int sfd, pid_t cpid, const sigset_t *oldmask, int devnull) {
  long deadline = now_ms() + o->prepare_timeout_ms;
  for (;;) {
    long left = deadline - now_ms();
    if (left <= 0) prepared_gone(o, io, oldmask, devnull, 1);
    struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = io->listen_fd, .events = POLLIN}};
    if (poll(p, 2, (int)(left > INT_MAX ? INT_MAX : left)) < 0 && errno != EINTR) prepared_gone(o, io, oldmask, devnull, 1);
    if (p[0].revents & POLLIN) {
      drain_signals(sfd);
      pid_t w;
      while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
        if (w == cpid) prepared_gone(o, io, oldmask, devnull, 0);
    }
    if (!(p[1].revents & POLLIN)) continue;
    int fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    struct ucred cred;
    socklen_t cl = sizeof cred;
    struct timeval tv = {.tv_sec = 2};
    char kind = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != getuid() ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 || read(fd, &kind, 1) != 1) {
      close(fd);
      continue;
    }
    if (kind == 'x') {
      close(fd);
      prepared_gone(o, io, oldmask, devnull, 1);
    }
    if (kind != 's') {
      close(fd); /* stdin and resize are served once the container runs */
      continue;
    }
    char why[2048] = "";
    int ok = release_init(o, oldmask, devnull, why, sizeof why);
    char reply[2100];
    int rn = ok ? snprintf(reply, sizeof reply, "ok\n") : snprintf(reply, sizeof reply, "err %s\n", why);
    (void)!write(fd, reply, (size_t)rn);
    close(fd);
    /* A refused start leaves the created container to the daemon, which deletes it (we see init die). */
    if (ok) return;
  }
}

static void monitor(const struct options *o, int ready) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (chdir("/") != 0) die_to(ready, "chdir /: %s", strerror(errno));
  /* Let go of the caller's stdio so it sees EOF as soon as it has our ready line. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die_to(ready, "open /dev/null: %s", strerror(errno));
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);

  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t mask, oldmask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, &oldmask);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) die_to(ready, "signalfd: %s", strerror(errno));

  log_fd = open(o->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) die_to(ready, "open log %s: %s", o->log_path, strerror(errno));
  log_path = o->log_path;
  log_max_size = o->log_max_size;
  log_max_files = o->log_max_files > 0 ? o->log_max_files : 1;
  struct stat log_st;
  log_size = fstat(log_fd, &log_st) == 0 ? (long long)log_st.st_size : 0;

  struct stream out = {.name = "stdout", .fd = -1}, err = {.name = "stderr", .fd = -1};
  int child_out = devnull, child_err = devnull, child_in = devnull, stdin_w = -1;
  int listen_fd = -1;
  char sock_arg[128] = "";
  /* runc reports its own failures on the stderr we give runc create; collect them apart. */
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) die_to(ready, "pipe: %s", strerror(errno));
  if (o->tty) {
    /* Abstract socket: no path length limit under deep state dirs, nothing to clean up. Go's
       net package (runc) reads a leading '@' as the abstract namespace. */
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "berth-shim-%d-%ld", getpid(), now_ms());
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 ||
        listen(listen_fd, 1) != 0)
      die_to(ready, "console socket: %s", strerror(errno));
    snprintf(sock_arg, sizeof sock_arg, "@%s", sa.sun_path + 1);
  } else {
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) die_to(ready, "pipe: %s", strerror(errno));
    if (o->stdin_open) {
      /* runc create hands its stdin to the container's init, like its stdout/stderr. */
      int pi[2];
      if (pipe2(pi, O_CLOEXEC) != 0) die_to(ready, "pipe: %s", strerror(errno));
      child_in = pi[0];
      stdin_w = pi[1];
    }
    out.fd = po[0];
    err.fd = pe[0];
    child_out = po[1];
    child_err = pe[1];
  }

  char *create_argv[24];
  int a = 0;
  create_argv[a++] = (char *)o->runc;
  create_argv[a++] = "--root";
  create_argv[a++] = (char *)o->root;
  if (o->runc_log) {
    create_argv[a++] = "--log";
    create_argv[a++] = (char *)o->runc_log;
    create_argv[a++] = "--log-format";
    create_argv[a++] = "json";
  }
  /* One `runc run --detach` rather than `runc create` + `runc start`: a Go start-up less (~10 ms).
     Prepared (--prepare), only `runc create` now; the start comes later through the io socket. */
  if (o->prepare) {
    create_argv[a++] = "create";
  } else {
    create_argv[a++] = "run";
    create_argv[a++] = "--detach";
  }
  create_argv[a++] = "--bundle";
  create_argv[a++] = (char *)o->bundle;
  create_argv[a++] = "--pid-file";
  create_argv[a++] = (char *)o->pid_file;
  if (o->tty) {
    create_argv[a++] = "--console-socket";
    create_argv[a++] = sock_arg;
  }
  create_argv[a++] = (char *)o->id;
  create_argv[a] = NULL;

  /* Without a tty, runc hands its stdout/stderr to the container's init, so the container writes
     into our pipes. Until runc exits, what arrives on the stderr pipe is runc's error message if
     runc fails, or the container's first output if it succeeds: it is kept apart and logged as the
     container's once runc has succeeded. With a tty, runc's stderr is errpipe. */
  /* The daemon leaves the overlay to us when nothing needs the root before the run: one mount(2)
     here instead of a mount(8) process there. The daemon unmounts it with the run, as its own. */
  if (o->overlay_opts && mount("overlay", o->rootfs, "overlay", 0, o->overlay_opts) != 0)
    die_to(ready, "mounting the overlay at %s failed: %s", o->rootfs, strerror(errno));
  long oom_before = oom_kills(o->memory_cgroup);
  pid_t creator = spawn(create_argv, child_in, child_out, o->tty ? errpipe[1] : child_err, &oldmask);
  if (creator < 0) die_to(ready, "fork: %s", strerror(errno));
  if (!o->tty) {
    close(child_out);
    close(child_err);
  }
  if (child_in != devnull) close(child_in);
  close(errpipe[1]);

  char errbuf[8192] = "";
  size_t errlen = 0;
  int create_status = -1;
  int master = -1;
  int errfd = o->tty ? errpipe[0] : err.fd;
  /* Until runc returns: accept the pty master, collect runc's stderr, reap runc. A full buffer
     leaves the rest in the pipe, read in order by the main loop. */
  while (create_status < 0) {
    int room = errlen < sizeof errbuf - 1;
    struct pollfd p[3] = {{.fd = sfd, .events = POLLIN}, {.fd = room ? errfd : -1, .events = POLLIN}, {.fd = listen_fd, .events = POLLIN}};
    int np = listen_fd >= 0 && master < 0 ? 3 : 2;
    if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR) die_to(ready, "poll: %s", strerror(errno));
    if (p[1].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(errfd, errbuf + errlen, sizeof errbuf - 1 - errlen);
      if (r > 0) errlen += (size_t)r;
      errbuf[errlen] = '\0';
      if (r == 0 && o->tty) errfd = -1;
    }
    if (np == 3 && (p[2].revents & POLLIN)) {
      int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        master = recv_fd(conn);
        close(conn);
      }
    }
    drain_signals(sfd);
    int st;
    if (waitpid(creator, &st, WNOHANG) == creator) create_status = st;
  }
  close(errpipe[0]);
  if (listen_fd >= 0) close(listen_fd);
  if (!WIFEXITED(create_status) || WEXITSTATUS(create_status) != 0) {
    char line[2048];
    last_line(errbuf, line, sizeof line);
    die_to(ready, "%s", line);
  }
  if (o->tty) {
    if (master < 0) die_to(ready, "runtime did not send the console of a tty container");
    out.fd = master;
    out.flush_each_read = 1;
  }
  fcntl(out.fd, F_SETFL, O_NONBLOCK);
  if (err.fd >= 0) fcntl(err.fd, F_SETFL, O_NONBLOCK);

  pid_t cpid = 0;
  {
    FILE *fp = fopen(o->pid_file, "re");
    if (!fp || fscanf(fp, "%d", &cpid) != 1) die_to(ready, "no container pid in %s", o->pid_file);
    fclose(fp);
  }
  struct io_state io = {.listen_fd = -1, .stdin_fd = -1, .master = -1, .tty = o->tty, .stdin_once = o->stdin_once};
  if (o->prepare) {
    io.listen_fd = listen_path(o->io_socket);
    if (io.listen_fd < 0) die_to(ready, "io socket %s: %s", o->io_socket, strerror(errno));
    char msg[64];
    int mn = snprintf(msg, sizeof msg, "ok %d %d\n", cpid, getpid());
    (void)!write(ready, msg, (size_t)mn);
    close(ready);
    ready = -1;
    await_start(o, &io, sfd, cpid, &oldmask, devnull);
  }
  char started_at[64];
  now_rfc3339(started_at, sizeof started_at);
  if (!o->tty && errlen > 0) stream_feed(&err, errbuf, errlen);
  int exited = 0, status = 0;
  long deadline = 0;
  /* A short-lived init may have exited while runc still ran: it was re-parented to us as a zombie,
     and the SIGCHLD that said so was drained above. */
  reap_children(cpid, &exited, &status, &deadline);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  if (o->io_socket) {
    /* A prepared monitor listens already (the start came that way). */
    if (io.listen_fd < 0) io.listen_fd = listen_path(o->io_socket);
    if (io.listen_fd < 0) die_to(ready, "io socket %s: %s", o->io_socket, strerror(errno));
    io.init = cpid;
    if (o->tty) {
      io.master = out.fd;
      if (o->stdin_open) io.stdin_fd = fcntl(out.fd, F_DUPFD_CLOEXEC, 0);
    } else if (stdin_w >= 0) {
      fcntl(stdin_w, F_SETFL, O_NONBLOCK);
      io.stdin_fd = stdin_w;
    }
  }
  if (ready >= 0) {
    char msg[64];
    int mn = snprintf(msg, sizeof msg, "ok %d %d\n", cpid, getpid());
    (void)!write(ready, msg, (size_t)mn);
    close(ready);
  }

  while (out.fd >= 0 || err.fd >= 0) {
    /* 0 signals, 1 stdout, 2 stderr, 3 io listener, 4 container stdin (when a client waits to write), 5.. clients */
    struct pollfd p[5 + MAX_CLIENTS];
    int pending = 0;
    for (int i = 0; i < MAX_CLIENTS; i++) if (clients[i].fd >= 0 && clients[i].off < clients[i].len) pending = 1;
    p[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
    p[1] = (struct pollfd){.fd = out.fd, .events = POLLIN};
    p[2] = (struct pollfd){.fd = err.fd, .events = POLLIN};
    p[3] = (struct pollfd){.fd = exited ? -1 : io.listen_fd, .events = POLLIN};
    p[4] = (struct pollfd){.fd = pending ? io.stdin_fd : -1, .events = POLLOUT};
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &clients[i];
      /* A client with bytes not yet taken by the container is not read further (backpressure). */
      p[5 + i] = (struct pollfd){.fd = (c->fd >= 0 && c->off >= c->len && !exited) ? c->fd : -1, .events = POLLIN};
    }
    int timeout = -1;
    if (exited) {
      long left = deadline - now_ms();
      if (left <= 0) break;
      timeout = (int)left;
    }
    int n = poll(p, 5 + MAX_CLIENTS, timeout);
    if (n < 0 && errno != EINTR) break;
    if (n < 0) continue;
    if (p[1].revents && !stream_read(&out)) {
      close(out.fd);
      out.fd = -1;
      if (o->tty) io.master = -1;
    }
    if (p[2].revents && !stream_read(&err)) {
      close(err.fd);
      err.fd = -1;
    }
    if (p[3].revents & POLLIN) io_accept(&io);
    if (p[4].revents) {
      for (int i = 0; i < MAX_CLIENTS; i++) if (clients[i].fd >= 0) (void)client_flush(&io, &clients[i]);
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (p[5 + i].fd >= 0 && p[5 + i].revents && clients[i].fd >= 0) client_read(&io, &clients[i]);
    }
    if (p[0].revents & POLLIN) {
      drain_signals(sfd);
      reap_children(cpid, &exited, &status, &deadline);
    }
  }
  /* Gone before the status is written: the next run of this container binds the path anew. */
  if (io.listen_fd >= 0) {
    close(io.listen_fd);
    unlink(o->io_socket);
  }
  for (int i = 0; i < MAX_CLIENTS; i++) if (clients[i].fd >= 0) close(clients[i].fd);
  if (io.stdin_fd >= 0) close(io.stdin_fd);
  /* Output may end (a daemon that closed its stdio) long before init does. */
  while (!exited) {
    int ws;
    pid_t w = waitpid(-1, &ws, 0);
    if (w < 0 && errno != EINTR) break;
    if (w == cpid) {
      exited = 1;
      status = ws;
    }
  }
  stream_flush(&out);
  stream_flush(&err);
  fsync(log_fd);
  close(log_fd);

  char finished_at[64];
  now_rfc3339(finished_at, sizeof finished_at);
  int code = 0, sig = 0;
  if (WIFEXITED(status)) code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
    code = 128 + sig;
  }
  int oom = oom_kills(o->memory_cgroup) > oom_before;
  char json[1024];
  snprintf(json, sizeof json,
           "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"startedAt\":\"%s\",\"finishedAt\":\"%s\"}\n",
           cpid, code, sig, oom ? "true" : "false", started_at, finished_at);
  write_status(o->status_path, json);
  _exit(0);
}


/* ---- --exec-tty: `docker exec -t` (see the header). ---- */

static int exec_tty(const struct options *o) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask, oldmask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, &oldmask);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) die_to(-1, "signalfd: %s", strerror(errno));
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  char name[96], sock_arg[100];
  snprintf(name, sizeof name, "berth-exec-%d-%ld", getpid(), now_ms());
  snprintf(sock_arg, sizeof sock_arg, "@%s", name);
  int listen_fd = listen_abstract(name);
  if (listen_fd < 0) die_to(-1, "console socket: %s", strerror(errno));
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) die_to(-1, "pipe: %s", strerror(errno));
  /* Detached: runc exits once the process runs, and the process is re-parented to us (subreaper). */
  char *argv[] = {(char *)o->runc, "--root", (char *)o->root, "exec", "-d", "--tty", "--console-socket", sock_arg,
                  "--process", (char *)o->process, "--pid-file", (char *)o->pid_file, (char *)o->id, NULL};
  pid_t runc = spawn(argv, devnull, devnull, errpipe[1], &oldmask);
  close(errpipe[1]);
  char errbuf[8192] = "";
  size_t errlen = 0;
  int master = -1, runc_status = -1, errfd = errpipe[0];
  while (runc_status < 0) {
    struct pollfd p[3] = {{.fd = sfd, .events = POLLIN}, {.fd = errfd, .events = POLLIN}, {.fd = master < 0 ? listen_fd : -1, .events = POLLIN}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) die_to(-1, "poll: %s", strerror(errno));
    if (p[1].revents) {
      ssize_t r = read(errfd, errbuf + errlen, sizeof errbuf - 1 - errlen);
      if (r > 0) errlen += (size_t)r;
      else errfd = -1;
      errbuf[errlen] = '\0';
    }
    if (p[2].revents & POLLIN) {
      int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        master = recv_fd(conn);
        close(conn);
      }
    }
    drain_signals(sfd);
    int st;
    if (waitpid(runc, &st, WNOHANG) == runc) runc_status = st;
  }
  close(listen_fd);
  if (!WIFEXITED(runc_status) || WEXITSTATUS(runc_status) != 0 || master < 0) {
    char line[2048];
    last_line(errbuf, line, sizeof line);
    /* As dockerd answers an exec that could not start: the runtime's reason on the exec's own
       output (a tty has one stream), and 126 whatever the reason. */
    printf("OCI runtime exec failed: %s: unknown\r\n", line);
    fflush(stdout);
    return 126;
  }
  pid_t pid = 0;
  FILE *fp = fopen(o->pid_file, "re");
  if (!fp || fscanf(fp, "%d", &pid) != 1) die_to(-1, "no exec pid in %s", o->pid_file);
  fclose(fp);
  fcntl(master, F_SETFL, O_NONBLOCK);
  int ctl = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
  char ctlbuf[128];
  size_t ctl_len = 0;
  char inbuf[CLIENT_BUF];
  size_t in_len = 0, in_off = 0;
  /* Without --stdin nothing is attached: the terminal gets no input and, above all, no EOF. */
  int in_fd = o->stdin_open ? 0 : -1, exited = 0, status = 0;
  long deadline = 0;
  while (master >= 0) {
    struct pollfd p[5] = {
        {.fd = sfd, .events = POLLIN},
        {.fd = master, .events = POLLIN | (in_off < in_len ? POLLOUT : 0)},
        {.fd = in_off < in_len ? -1 : in_fd, .events = POLLIN},
        {.fd = ctl, .events = POLLIN},
    };
    int timeout = -1;
    if (exited) {
      long left = deadline - now_ms();
      if (left <= 0) break;
      timeout = (int)left;
    }
    int n = poll(p, 4, timeout);
    if (n < 0 && errno != EINTR) break;
    if (n < 0) continue;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t r = read(master, buf, sizeof buf);
      if (r > 0) {
        if (write_all(1, buf, (size_t)r) != 0) { /* nobody reads our output any more */ }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(master); /* EIO: the slave side is gone with the process */
        master = -1;
        continue;
      }
    }
    if ((p[1].revents & POLLOUT) && in_off < in_len) {
      ssize_t w = write(master, inbuf + in_off, in_len - in_off);
      if (w > 0) in_off += (size_t)w;
    }
    if (p[2].revents) {
      ssize_t r = read(in_fd, inbuf, sizeof inbuf);
      if (r > 0) {
        in_len = (size_t)r;
        in_off = 0;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        (void)!write(master, "\x04", 1); /* end of input is the terminal's EOF character */
        in_fd = -1;
      }
    }
    if (p[3].revents) {
      ssize_t r = read(ctl, ctlbuf + ctl_len, sizeof ctlbuf - 1 - ctl_len);
      if (r <= 0) ctl = -1;
      else {
        ctl_len += (size_t)r;
        ctlbuf[ctl_len] = '\0';
        char *nl;
        while ((nl = strchr(ctlbuf, '\n'))) {
          *nl = '\0';
          set_winsize(master, ctlbuf);
          size_t rest = ctl_len - (size_t)(nl + 1 - ctlbuf);
          memmove(ctlbuf, nl + 1, rest + 1);
          ctl_len = rest;
        }
        if (ctl_len == sizeof ctlbuf - 1) ctl_len = 0;
      }
    }
    if (p[0].revents & POLLIN) {
      drain_signals(sfd);
      pid_t w;
      int ws;
      while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
        if (w == pid && !exited) {
          exited = 1;
          status = ws;
          deadline = now_ms() + 500;
        }
      }
    }
  }
  while (!exited) {
    int ws;
    pid_t w = waitpid(-1, &ws, 0);
    if (w < 0 && errno != EINTR) break;
    if (w == pid) {
      exited = 1;
      status = ws;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int main(int argc, char **argv) {
  struct options o = {0};
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    int *flag = strcmp(k, "--tty") == 0          ? &o.tty
                : strcmp(k, "--prepare") == 0    ? &o.prepare
                : strcmp(k, "--stdin") == 0      ? &o.stdin_open
                : strcmp(k, "--stdin-once") == 0 ? &o.stdin_once
                : strcmp(k, "--exec-tty") == 0   ? &o.exec_tty
                                                 : NULL;
    if (flag) {
      *flag = 1;
      continue;
    }
    if (i + 1 >= argc) die_to(-1, "%s needs a value", k);
    const char *v = argv[++i];
    if (strcmp(k, "--runc") == 0) o.runc = v;
    else if (strcmp(k, "--root") == 0) o.root = v;
    else if (strcmp(k, "--id") == 0) o.id = v;
    else if (strcmp(k, "--bundle") == 0) o.bundle = v;
    else if (strcmp(k, "--log-path") == 0) o.log_path = v;
    else if (strcmp(k, "--status-path") == 0) o.status_path = v;
    else if (strcmp(k, "--pid-file") == 0) o.pid_file = v;
    else if (strcmp(k, "--runc-log") == 0) o.runc_log = v;
    else if (strcmp(k, "--memory-cgroup") == 0) o.memory_cgroup = v;
    else if (strcmp(k, "--process") == 0) o.process = v;
    else if (strcmp(k, "--io-socket") == 0) o.io_socket = v;
    else if (strcmp(k, "--prepare-timeout-ms") == 0) o.prepare_timeout_ms = atol(v);
    else if (strcmp(k, "--mount-overlay") == 0) o.overlay_opts = v;
    else if (strcmp(k, "--rootfs") == 0) o.rootfs = v;
    else if (strcmp(k, "--log-max-size") == 0) o.log_max_size = atoll(v);
    else if (strcmp(k, "--log-max-files") == 0) o.log_max_files = atoi(v);
    else die_to(-1, "unknown option %s", k);
  }
  if (o.exec_tty) {
    if (!o.runc || !o.root || !o.id || !o.process || !o.pid_file) die_to(-1, "--exec-tty needs --runc, --root, --id, --process and --pid-file");
    return exec_tty(&o);
  }
  if (!o.runc || !o.root || !o.id || !o.bundle || !o.log_path || !o.status_path || !o.pid_file)
    die_to(-1, "--runc, --root, --id, --bundle, --log-path, --status-path and --pid-file are required");
  if (o.bundle[0] != '/' || o.log_path[0] != '/' || o.status_path[0] != '/' || o.pid_file[0] != '/')
    die_to(-1, "paths must be absolute (the monitor runs in /)");
  if (o.prepare && !o.io_socket) die_to(-1, "--prepare needs --io-socket (the start comes through it)");
  if ((o.overlay_opts == NULL) != (o.rootfs == NULL)) die_to(-1, "--mount-overlay and --rootfs go together");
  if (o.prepare_timeout_ms <= 0) o.prepare_timeout_ms = 120000;

  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) die_to(-1, "pipe: %s", strerror(errno));
  pid_t mid = fork();
  if (mid < 0) die_to(-1, "fork: %s", strerror(errno));
  if (mid == 0) {
    close(ready[0]);
    setsid();
    pid_t m = fork();
    if (m < 0) die_to(ready[1], "fork: %s", strerror(errno));
    if (m > 0) _exit(0);
    monitor(&o, ready[1]);
  }
  close(ready[1]);
  char buf[8192];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf - 1 && ((r = read(ready[0], buf + n, sizeof buf - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0) n += (size_t)r;
  buf[n] = '\0';
  waitpid(mid, NULL, 0);
  if (strncmp(buf, "ok ", 3) == 0) {
    fputs(buf + 3, stdout);
    return 0;
  }
  if (strncmp(buf, "err ", 4) == 0) fprintf(stderr, "%s\n", buf + 4);
  else fprintf(stderr, "monitor exited before the container started\n");
  return 1;
}
