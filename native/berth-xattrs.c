// berth-xattrs DIR: prints every extended attribute of every entry under DIR (symlinks not
// followed), one per line: hex(path relative to DIR, "." for DIR) TAB hex(name) TAB hex(value).
// The image builder reads an overlay upper dir's markers (opaque directories) and file
// capabilities with it when it writes a layer: one process per layer, where a call per file
// from Node (which has no xattr API) would cost a process each.
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static size_t rootlen;
static char names[65536];
static unsigned char value[65536];

static void hex(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  ssize_t n = llistxattr(path, names, sizeof names);
  if (n <= 0) return 0;
  const char *rel = path + rootlen;
  if (*rel == '/') rel++;
  if (*rel == '\0') rel = ".";
  for (char *name = names; name < names + n; name += strlen(name) + 1) {
    ssize_t v = lgetxattr(path, name, value, sizeof value);
    if (v < 0) continue;
    hex((const unsigned char *)rel, strlen(rel));
    putchar('\t');
    hex((const unsigned char *)name, strlen(name));
    putchar('\t');
    hex(value, (size_t)v);
    putchar('\n');
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: berth-xattrs DIR\n");
    return 2;
  }
  rootlen = strlen(argv[1]);
  while (rootlen > 1 && argv[1][rootlen - 1] == '/') rootlen--;
  if (nftw(argv[1], visit, 64, FTW_PHYS) != 0) {
    perror("berth-xattrs");
    return 1;
  }
  return 0;
}
