/*
 * berth-spawner: runs short commands (ip, unshare, runc, mount, the per-container shim …) for the
 * built-in engine, so the engine never forks itself.
 *
 * Why: Node forks synchronously on its main thread (libuv's uv_spawn), and a fork copies the page
 * tables of the whole engine process. Measured in a cold `up` of ten containers: about 40 spawns
 * at 3.5–4 ms of main-thread time each, during which the engine serves nothing. Forking this small
 * process instead costs a fraction of a millisecond, off the engine's thread.
 *
 * Protocol: frames on stdin (requests) and stdout (answers), every integer a little-endian u32.
 *   request: len (of the rest) | id | flags | timeout_ms | argc | argv… | envc | env… | cwd |
 *            stdin_len | stdin bytes          (strings are NUL-terminated; cwd "" = ours)
 *     flags: 1 = the command's stdin is a pipe fed the stdin bytes (else /dev/null);
 *            2 = its stdout goes to /dev/null (else collected)
 *   answer:  len | id | kind | value | stdout_len | stdout | stderr_len | stderr
 *     kind:  0 = exited with status value, 1 = killed by signal value, 2 = could not be run
 *            (value = errno), 3 = timed out: sent SIGTERM at timeout_ms, then ended (value = the
 *            signal that ended it, or 0x100 | the status it exited with)
 * Each request is served by its own forked worker, so a slow command delays no other; answers are
 * written whole under a process-shared (robust) mutex. The spawner ends when its stdin closes
 * (the engine went away); workers still running finish their command and drop the answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { FLAG_STDIN = 1, FLAG_DISCARD_STDOUT = 2 };
enum { KIND_EXITED = 0, KIND_SIGNALED = 1, KIND_FAILED = 2, KIND_TIMED_OUT = 3 };

#define MAX_FRAME (64u << 20)

static pthread_mutex_t *answer_lock;

static int read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)r;
  }
  return 1;
}

static int write_full(int fd, const void *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, (const char *)buf + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += (size_t)w;
  }
  return 0;
}

static uint32_t get_u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

/* A cursor over one request frame; any overrun marks it bad (the frame is refused, not trusted). */
struct cursor {
  const unsigned char *p, *end;
  int bad;
};

static uint32_t take_u32(struct cursor *c) {
  if (c->end - c->p < 4) {
    c->bad = 1;
    return 0;
  }
  uint32_t v = get_u32(c->p);
  c->p += 4;
  return v;
}

static char *take_str(struct cursor *c) {
  const unsigned char *nul = c->p < c->end ? memchr(c->p, 0, (size_t)(c->end - c->p)) : NULL;
  if (!nul) {
    c->bad = 1;
    return NULL;
  }
  char *s = (char *)c->p;
  c->p = nul + 1;
  return s;
}

static char **take_strv(struct cursor *c) {
  uint32_t n = take_u32(c);
  if (c->bad || n > (uint32_t)(c->end - c->p)) {
    c->bad = 1;
    return NULL;
  }
  char **v = calloc((size_t)n + 1, sizeof(char *));
  if (!v) {
    c->bad = 1;
    return NULL;
  }
  for (uint32_t i = 0; i < n && !c->bad; i++) v[i] = take_str(c);
  return v;
}

struct buf {
  unsigned char *data;
  size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d) return; /* out of memory: the answer is cut short rather than lost */
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void answer(int out, uint32_t id, uint32_t kind, uint32_t value, const struct buf *so, const struct buf *se) {
  size_t len = 4 * 5 + so->len + se->len;
  unsigned char *frame = malloc(len + 4);
  if (!frame) return;
  unsigned char *p = frame;
  put_u32(p, (uint32_t)len), p += 4;
  put_u32(p, id), p += 4;
  put_u32(p, kind), p += 4;
  put_u32(p, value), p += 4;
  put_u32(p, (uint32_t)so->len), p += 4;
  if (so->len) memcpy(p, so->data, so->len), p += so->len;
  put_u32(p, (uint32_t)se->len), p += 4;
  if (se->len) memcpy(p, se->data, se->len);
  int r = pthread_mutex_lock(answer_lock);
  if (r == EOWNERDEAD) pthread_mutex_consistent(answer_lock); /* a worker died mid-answer: go on */
  write_full(out, frame, len + 4);
  pthread_mutex_unlock(answer_lock);
  free(frame);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the command's process: its stdio, a clean signal state, its env and cwd, then exec. */
static void exec_child(char **argv, char **envp, const char *cwd, int in_fd, int out_fd, int err_fd, int report_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) goto fail;
  if (cwd[0] && chdir(cwd) < 0) goto fail;
  environ = envp; /* execvp looks the command up in the command's own PATH, as Node's spawn does */
  execvp(argv[0], argv);
fail:;
  int e = errno;
  write_full(report_fd, &e, sizeof e);
  _exit(127);
}

/* One request, in its own worker process: run the command, collect its output, answer. */
static void serve(int out, unsigned char *frame, size_t len) {
  struct cursor c = {frame, frame + len, 0};
  uint32_t id = take_u32(&c);
  uint32_t flags = take_u32(&c);
  uint32_t timeout_ms = take_u32(&c);
  char **argv = take_strv(&c);
  char **envp = take_strv(&c);
  char *cwd = take_str(&c);
  uint32_t in_len = take_u32(&c);
  struct buf so = {0}, se = {0};
  if (c.bad || !argv || !argv[0] || in_len > (uint32_t)(c.end - c.p)) {
    answer(out, id, KIND_FAILED, EINVAL, &so, &se);
    return;
  }
  const unsigned char *in = c.p;

  int inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2], rep[2];
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 || ((flags & FLAG_STDIN) && pipe2(inp, O_CLOEXEC) < 0) ||
      (!(flags & FLAG_DISCARD_STDOUT) && pipe2(outp, O_CLOEXEC) < 0)) {
    answer(out, id, KIND_FAILED, (uint32_t)errno, &so, &se);
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    answer(out, id, KIND_FAILED, (uint32_t)errno, &so, &se);
    return;
  }
  if (pid == 0) exec_child(argv, envp, cwd, inp[0] >= 0 ? inp[0] : devnull, outp[1] >= 0 ? outp[1] : devnull, errp[1], rep[1]);
  close(rep[1]);
  close(errp[1]);
  if (inp[0] >= 0) close(inp[0]);
  if (outp[1] >= 0) close(outp[1]);
  int exec_errno = 0;
  if (read_full(rep[0], &exec_errno, sizeof exec_errno) == 1) {
    waitpid(pid, NULL, 0);
    answer(out, id, KIND_FAILED, (uint32_t)exec_errno, &so, &se);
    return;
  }
  close(rep[0]);
  if (inp[1] >= 0) fcntl(inp[1], F_SETFL, O_NONBLOCK);
  size_t in_done = 0;
  if (inp[1] >= 0 && in_len == 0) close(inp[1]), inp[1] = -1;
  long long deadline = timeout_ms ? now_ms() + timeout_ms : 0;
  int timed_out = 0;
  int ofd = outp[0], efd = errp[0];
  while (ofd >= 0 || efd >= 0 || inp[1] >= 0) {
    struct pollfd pf[3];
    int n = 0, io = -1, ii = -1, ie = -1;
    if (inp[1] >= 0) pf[n] = (struct pollfd){inp[1], POLLOUT, 0}, ii = n++;
    if (ofd >= 0) pf[n] = (struct pollfd){ofd, POLLIN, 0}, io = n++;
    if (efd >= 0) pf[n] = (struct pollfd){efd, POLLIN, 0}, ie = n++;
    int wait = -1;
    if (deadline && !timed_out) {
      long long left = deadline - now_ms();
      wait = left > 0 ? (int)left : 0;
    }
    int r = poll(pf, (nfds_t)n, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = 1;
      kill(pid, SIGTERM);
      continue;
    }
    unsigned char chunk[65536];
    if (ii >= 0 && pf[ii].revents) {
      ssize_t w = (pf[ii].revents & POLLOUT) ? write(inp[1], in + in_done, in_len - in_done) : -1;
      if (w > 0) in_done += (size_t)w;
      /* done, or the command closed its stdin (EPIPE): it may exit without reading all of it */
      if (in_done == in_len || (w < 0 && errno != EAGAIN && errno != EINTR)) close(inp[1]), inp[1] = -1;
    }
    int *fds[2] = {&ofd, &efd};
    int idx[2] = {io, ie};
    struct buf *bufs[2] = {&so, &se};
    for (int k = 0; k < 2; k++) {
      if (idx[k] < 0 || !pf[idx[k]].revents) continue;
      ssize_t got = read(*fds[k], chunk, sizeof chunk);
      if (got > 0)
        buf_add(bufs[k], chunk, (size_t)got);
      else if (got == 0 || (errno != EINTR && errno != EAGAIN))
        close(*fds[k]), *fds[k] = -1;
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  uint32_t value = WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : (uint32_t)WTERMSIG(status);
  uint32_t kind = WIFEXITED(status) ? KIND_EXITED : KIND_SIGNALED;
  if (timed_out) value = kind == KIND_EXITED ? 0x100 | value : value, kind = KIND_TIMED_OUT;
  answer(out, id, kind, value, &so, &se);
}

int main(void) {
  /* The answer lock lives in memory shared with every worker; robust: a killed holder frees it. */
  answer_lock = mmap(NULL, sizeof *answer_lock, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (answer_lock == MAP_FAILED) return 1;
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(answer_lock, &a);
  /* Nothing our starter leaked (fds without close-on-exec) reaches a command ... */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
    for (int fd = 3; fd < 1024; fd++) close(fd);
  /* ... nor our own stdio: each command gets its own pipes on 0-2. */
  for (int fd = 0; fd <= 2; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN); /* the engine gone: a worker's answer fails with EPIPE, not a signal */
  signal(SIGCHLD, SIG_IGN); /* workers are reaped by the kernel; each worker resets this */
  for (;;) {
    unsigned char head[4];
    if (read_full(0, head, 4) != 1) return 0;
    uint32_t len = get_u32(head);
    if (len > MAX_FRAME) return 2;
    unsigned char *frame = malloc(len ? len : 1);
    if (!frame) return 3;
    if (read_full(0, frame, len) != 1) return 0;
    pid_t w = fork();
    if (w == 0) {
      signal(SIGCHLD, SIG_DFL);
      serve(1, frame, len);
      _exit(0);
    }
    if (w < 0) {
      struct buf none = {0};
      answer(1, len >= 4 ? get_u32(frame) : 0, KIND_FAILED, (uint32_t)errno, &none, &none);
    }
    free(frame);
  }
}
