#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <spawn.h>
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

int berth_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int berth_inotify_init(void) {
    return inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
}

int berth_inotify_watch_dir(int fd, const char *path) {
    return inotify_add_watch(fd, path, IN_CLOSE_WRITE | IN_MOVED_TO);
}

int berth_inotify_event(const char *buf, int len, const char **name) {
    if (len < (int)sizeof(struct inotify_event)) return 0;
    const struct inotify_event *ev = (const struct inotify_event *)buf;
    int total = (int)sizeof(struct inotify_event) + (int)ev->len;
    if (len < total) return 0;
    *name = ev->len > 0 ? ev->name : "";
    return total;
}

int berth_spawn_closefrom(posix_spawn_file_actions_t *fa, int low) {
    return posix_spawn_file_actions_addclosefrom_np(fa, low);
}
