#ifndef BERTH_CSYSTEM_H
#define BERTH_CSYSTEM_H
// Linux calls Glibc's Swift overlay does not expose, kept in one thin module.
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/file.h>
#include <sys/stat.h>

/// setxattr without following a final symlink.
int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size);
/// getxattr / listxattr without following a final symlink; -1 and errno on failure.
ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size);
ssize_t berth_llistxattr(const char *path, char *list, size_t size);
/// Creates an overlayfs whiteout: a 0/0 character device.
int berth_mkwhiteout(const char *path);
/// Takes an exclusive, non-blocking flock on fd.
int berth_flock_exclusive(int fd);
/// pipe2(O_CLOEXEC).
int berth_pipe_cloexec(int fds[2]);
/// inotify_init1(IN_CLOEXEC | IN_NONBLOCK).
/// accept4 with SOCK_CLOEXEC: a connection must not leak into processes berthd spawns.
int berth_accept_cloexec(int fd);
int berth_inotify_init(void);
/// Watches a directory for files closed after writing or moved in.
int berth_inotify_watch_dir(int fd, const char *path);
/// Parses one inotify event at buf; returns its total size, or 0 if incomplete. *name gets the file name.
int berth_inotify_event(const char *buf, int len, const char **name);
/// As berth_inotify_event, also giving the watch descriptor the event is for and whether it
/// says a file was written (IN_MODIFY; otherwise one was moved in).
int berth_inotify_event_wd(const char *buf, int len, const char **name, int *wd, int *written);
/// Watches a directory for files written or moved in (a log file growing, or replaced by rename).
int berth_inotify_watch_logs(int fd, const char *path);
/// Stops a watch.
int berth_inotify_unwatch(int fd, int wd);
#include <spawn.h>
/// Closes every descriptor from `low` up in the child (glibc 2.34+).
int berth_spawn_closefrom(posix_spawn_file_actions_t *fa, int low);
/* syncfs(2): Glibc's Swift overlay does not export it. */
int berth_syncfs(int fd);
/* The child starts in `dir` (glibc 2.29+). */
int berth_spawn_chdir(posix_spawn_file_actions_t *fa, const char *dir);
/// Opens `path` inside the directory `rootfd` as a process whose root is that directory would:
/// absolute symlinks start again at it and ".." never climbs above it. openat2(RESOLVE_IN_ROOT)
/// where the kernel has it, else a walk one component at a time with O_NOFOLLOW.
/// Returns a descriptor (O_CLOEXEC added) or -1 with errno set.
int berth_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/// O_PATH (Glibc's overlay hides it behind _GNU_SOURCE).
extern const int berth_O_PATH;
/// Tests only: 1 makes berth_open_in_root take the component walk even where openat2 exists.
void berth_open_in_root_force_walk(int on);
/// Creates a network namespace pinned by a bind mount at `path` (a new empty file), with its
/// loopback up, from a short-lived thread (the caller's own namespace is left alone).
/// Returns 0 or -errno.
int berth_netns_create(const char *path);
/// Unpins (lazy unmount) and removes a namespace file made by berth_netns_create. 0 or -errno.
int berth_netns_remove(const char *path);
/// 1 when path pins a namespace (nsfs), else 0.
int berth_is_netns(const char *path);
/// Waits for a whole-file POSIX write lock (fcntl F_SETLKW), the kind podman's lockfile
/// package takes, so berth and podman serialise their netavark runs. 0 or -errno.
int berth_fcntl_lock_wait(int fd);
/// Releases it.
int berth_fcntl_unlock(int fd);
/// Rootless berthd (rootless.c). The join error a start with BERTH_USERNS_PID set met, or NULL.
const char *berth_userns_join_error(void);
/// 1 when this process joined berth's user namespace at start (it is a rootless berthd).
int berth_userns_joined(void);
/// Forks the pause process: new user and mount namespaces, every other descriptor closed; it
/// writes one byte on `syncfd` (1 made, 0 failed) and then waits for a signal for ever.
/// Returns its pid or -errno.
pid_t berth_userns_pause_spawn(int syncfd);
/// A socket (SOCK_CLOEXEC added) in the network namespace `nsfd` is open on, made from a
/// short-lived thread; the caller's namespace is left alone. A descriptor or -errno.
int berth_socket_in_netns(int nsfd, int domain, int type);
/// The whole of a file read from a thread in the network namespace `nsfd` is open on (for
/// /proc/thread-self/net/…): a malloc'd buffer of *len bytes, or NULL with errno set.
char *berth_read_in_netns(int nsfd, const char *path, size_t *len);
#endif
