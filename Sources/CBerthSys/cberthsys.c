#include "cberthsys.h"

int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}

int berth_mkwhiteout(const char *path) {
    return mknod(path, S_IFCHR | 0000, makedev(0, 0));
}

int berth_flock_exclusive(int fd) {
    return flock(fd, LOCK_EX | LOCK_NB);
}
