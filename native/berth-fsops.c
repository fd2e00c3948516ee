/*
 * berth-fsops: the few file system calls layer extraction needs that Node does not expose —
 * mknod (device nodes, fifos, overlay whiteouts) and extended attributes (overlay opaque
 * markers, file capabilities, user.* attributes) — in one small process per extraction.
 *
 * Why a process and a line protocol: a layer with a thousand whiteouts must cost one process
 * start, not a thousand, and nothing but libc is needed (this replaces a python3 helper, so
 * the engine runs no interpreter).
 *
 * Protocol: one request per line on stdin, one reply per line on stdout, in order. Fields are
 * separated by a tab; paths, attribute names and values are hex-encoded (they may hold any byte
 * but NUL, tabs and newlines included). Never follows a symlink at the last component.
 *
 *   mknod PATH KIND MODE MAJOR MINOR     KIND c|b|p, MODE octal permission bits    → ok
 *   setxattr PATH NAME VALUE                                                         → ok
 *   listxattr PATH                       → ok NAME=VALUE NAME=VALUE…  (tab-separated, hex)
 *
 * Replies: "ok[\tpayload]" or "err\tERRNO\tmessage". A malformed request is answered with
 * err EINVAL; the process ends at end of input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_FIELDS 8

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex in place; returns the byte length, or -1 when it is not hex. NUL-terminates. */
static ssize_t unhex(char *s) {
  size_t n = strlen(s);
  if (n % 2 != 0) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    s[i] = (char)(hi << 4 | lo);
  }
  s[n / 2] = '\0';
  return (ssize_t)(n / 2);
}

static void puthex(FILE *out, const char *data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)data[i];
    fputc(digits[b >> 4], out);
    fputc(digits[b & 15], out);
  }
}

static void reply_err(int err) { printf("err\t%d\t%s\n", err, strerror(err)); }

static void op_mknod(char **f, int n) {
  if (n != 6 || unhex(f[1]) < 0 || strlen(f[2]) != 1) return reply_err(EINVAL);
  mode_t type = f[2][0] == 'c' ? S_IFCHR : f[2][0] == 'b' ? S_IFBLK : f[2][0] == 'p' ? S_IFIFO : 0;
  if (type == 0) return reply_err(EINVAL);
  mode_t mode = (mode_t)strtoul(f[3], NULL, 8) & 07777;
  dev_t dev = makedev(strtoul(f[4], NULL, 10), strtoul(f[5], NULL, 10));
  if (mknod(f[1], type | mode, dev) != 0) return reply_err(errno);
  puts("ok");
}

static void op_setxattr(char **f, int n) {
  ssize_t len;
  if (n != 4 || unhex(f[1]) < 0 || unhex(f[2]) < 0 || (len = unhex(f[3])) < 0) return reply_err(EINVAL);
  if (lsetxattr(f[1], f[2], f[3], (size_t)len, 0) != 0) return reply_err(errno);
  puts("ok");
}

static void op_listxattr(char **f, int n) {
  if (n != 2 || unhex(f[1]) < 0) return reply_err(EINVAL);
  ssize_t size = llistxattr(f[1], NULL, 0);
  if (size < 0) return reply_err(errno);
  char *names = malloc((size_t)size + 1), *value = NULL, *reply = NULL;
  size_t value_cap = 0, reply_len = 0;
  /* The reply is gathered first and printed whole: an error half-way must not leave half a line. */
  FILE *out = names ? open_memstream(&reply, &reply_len) : NULL;
  int err = out ? 0 : ENOMEM;
  if (!err && (size = llistxattr(f[1], names, (size_t)size)) < 0) err = errno;
  for (char *name = names; !err && name < names + size; name += strlen(name) + 1) {
    ssize_t vlen = lgetxattr(f[1], name, NULL, 0);
    if (vlen < 0 && errno == ENODATA) continue; /* removed meanwhile */
    if (vlen < 0) {
      err = errno;
      break;
    }
    if ((size_t)vlen + 1 > value_cap) {
      free(value);
      value_cap = (size_t)vlen + 1;
      if (!(value = malloc(value_cap))) {
        err = ENOMEM;
        break;
      }
    }
    if ((vlen = lgetxattr(f[1], name, value, value_cap)) < 0) {
      err = errno;
      break;
    }
    fputc('\t', out);
    puthex(out, name, strlen(name));
    fputc('=', out);
    puthex(out, value, (size_t)vlen);
  }
  if (out) fclose(out);
  if (err) reply_err(err);
  else printf("ok%.*s\n", (int)reply_len, reply ? reply : "");
  free(names);
  free(value);
  free(reply);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, stdin)) >= 0) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    /* Split on tabs keeping empty fields (an empty attribute value is one). */
    char *fields[MAX_FIELDS];
    int n = 0;
    for (char *p = line; n < MAX_FIELDS;) {
      fields[n++] = p;
      char *tab = strchr(p, '\t');
      if (!tab) break;
      *tab = '\0';
      p = tab + 1;
    }
    if (n == 0 || fields[0][0] == '\0') reply_err(EINVAL);
    else if (strcmp(fields[0], "mknod") == 0) op_mknod(fields, n);
    else if (strcmp(fields[0], "setxattr") == 0) op_setxattr(fields, n);
    else if (strcmp(fields[0], "listxattr") == 0) op_listxattr(fields, n);
    else reply_err(EINVAL);
    fflush(stdout);
  }
  free(line);
  return 0;
}
