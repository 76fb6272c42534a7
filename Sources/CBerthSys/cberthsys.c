#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <spawn.h>
#include <sys/socket.h>
#include "cberthsys.h"

int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}

ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}

ssize_t berth_llistxattr(const char *path, char *list, size_t size) {
    return llistxattr(path, list, size);
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

int berth_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
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

int berth_inotify_event_wd(const char *buf, int len, const char **name, int *wd, int *written) {
    int total = berth_inotify_event(buf, len, name);
    if (total > 0) {
        const struct inotify_event *e = (const struct inotify_event *)buf;
        *wd = e->wd;
        *written = (e->mask & IN_MODIFY) != 0;
    }
    return total;
}

int berth_inotify_watch_logs(int fd, const char *path) {
    return inotify_add_watch(fd, path, IN_MOVED_TO | IN_MODIFY);
}

int berth_inotify_unwatch(int fd, int wd) {
    return inotify_rm_watch(fd, wd);
}

int berth_spawn_closefrom(posix_spawn_file_actions_t *fa, int low) {
    return posix_spawn_file_actions_addclosefrom_np(fa, low);
}

int berth_syncfs(int fd) { return syncfs(fd); }

int berth_spawn_chdir(posix_spawn_file_actions_t *fa, const char *dir) {
    return posix_spawn_file_actions_addchdir_np(fa, dir);
}

/* ---- Paths resolved inside a container's root ---- */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <limits.h>

const int berth_O_PATH = O_PATH;
static int force_walk = 0;
void berth_open_in_root_force_walk(int on) { force_walk = on; }

/* The component walk: a stack of directory fds from the root down, symlinks read and their
 * targets pushed back onto the remaining path, ".." popping the stack but never the root. */
#define BERTH_MAX_DEPTH 256
#define BERTH_MAX_LINKS 40

static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode) {
    char *rest = malloc(PATH_MAX * 2);
    if (!rest) { errno = ENOMEM; return -1; }
    size_t plen = strlen(path);
    if (plen >= PATH_MAX) { free(rest); errno = ENAMETOOLONG; return -1; }
    memcpy(rest, path, plen + 1);
    int stack[BERTH_MAX_DEPTH];
    int depth = 0;
    stack[0] = rootfd;
    int links = 0, result = -1, err = 0;
    char *p = rest;
    for (;;) {
        while (*p == '/') p++;
        if (*p == 0) {
            /* The path ends at a directory: open it with the caller's flags. */
            result = openat(stack[depth], ".", flags | O_CLOEXEC, mode);
            err = errno;
            break;
        }
        char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char name[NAME_MAX + 1];
        if (n > NAME_MAX) { err = ENAMETOOLONG; break; }
        memcpy(name, p, n); name[n] = 0;
        char *next = p + n;
        int last = 1;
        for (char *q = next; *q; q++) if (*q != '/') { last = 0; break; }
        if (strcmp(name, ".") == 0) { p = next; continue; }
        if (strcmp(name, "..") == 0) {
            if (depth > 0) close(stack[depth--]);
            p = next; continue;
        }
        struct stat st;
        int isLink = fstatat(stack[depth], name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        if (isLink && !(last && (flags & O_NOFOLLOW))) {
            if (++links > BERTH_MAX_LINKS) { err = ELOOP; break; }
            char target[PATH_MAX];
            ssize_t tl = readlinkat(stack[depth], name, target, sizeof target - 1);
            if (tl < 0) { err = errno; break; }
            target[tl] = 0;
            size_t restLen = strlen(next);
            if ((size_t)tl + 1 + restLen >= PATH_MAX * 2) { err = ENAMETOOLONG; break; }
            /* New remaining path: target + "/" + what followed the link. */
            char *buf = malloc(PATH_MAX * 2);
            if (!buf) { err = ENOMEM; break; }
            memcpy(buf, target, tl);
            buf[tl] = '/';
            memcpy(buf + tl + 1, next, restLen + 1);
            free(rest);
            rest = buf; p = rest;
            if (target[0] == '/') while (depth > 0) close(stack[depth--]);
            continue;
        }
        if (last) {
            result = openat(stack[depth], name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
            err = errno;
            break;
        }
        if (depth + 1 >= BERTH_MAX_DEPTH) { err = ENAMETOOLONG; break; }
        int fd = openat(stack[depth], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) { err = errno; break; }
        stack[++depth] = fd;
        p = next;
    }
    while (depth > 0) close(stack[depth--]);
    free(rest);
    if (result < 0) errno = err;
    return result;
}

int berth_open_in_root(int rootfd, const char *path, int flags, mode_t mode) {
    if (!force_walk) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (unsigned long long)(flags | O_CLOEXEC);
        if (flags & (O_CREAT | O_TMPFILE)) how.mode = mode;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return (int)fd;
    }
    return walk_in_root(rootfd, path, flags, mode);
}

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/socket.h>
#include <sys/syscall.h>

struct berth_netns_arg { const char *path; int err; };

/* Runs in its own thread: unshare moves only this thread into the new namespace, the bind
 * mount pins it, and the thread ends without touching the daemon's other threads. */
static void *berth_netns_thread(void *p) {
    struct berth_netns_arg *a = p;
    if (unshare(CLONE_NEWNET) != 0) { a->err = errno; return NULL; }
    char self[64];
    snprintf(self, sizeof self, "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
    if (mount(self, a->path, NULL, MS_BIND, NULL) != 0) { a->err = errno; return NULL; }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) { a->err = errno; return NULL; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) a->err = errno;
    } else {
        a->err = errno;
    }
    close(s);
    return NULL;
}

int berth_netns_create(const char *path) {
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    close(fd);
    struct berth_netns_arg a = { path, 0 };
    pthread_t t;
    int rc = pthread_create(&t, NULL, berth_netns_thread, &a);
    if (rc != 0) { unlink(path); return -rc; }
    pthread_join(t, NULL);
    if (a.err != 0) {
        umount2(path, MNT_DETACH);
        unlink(path);
        return -a.err;
    }
    return 0;
}

int berth_netns_remove(const char *path) {
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) return -errno;
    if (unlink(path) != 0 && errno != ENOENT) return -errno;
    return 0;
}

int berth_fcntl_lock_wait(int fd) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (fcntl(fd, F_SETLKW, &fl) != 0) {
        if (errno != EINTR) return -errno;
    }
    return 0;
}

int berth_fcntl_unlock(int fd) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_SETLK, &fl) == 0 ? 0 : -errno;
}

int berth_is_netns(const char *path) {
    struct statfs s;
    return statfs(path, &s) == 0 && s.f_type == 0x6e736673 ? 1 : 0; /* NSFS_MAGIC */
}
