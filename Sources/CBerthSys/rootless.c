#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <pthread.h>
#include "cberthsys.h"

/* berthd started by an ordinary user re-executes itself with BERTH_USERNS_PID naming the pause
 * process that holds berth's user and mount namespaces. Joining a user namespace needs a
 * process with one thread, so it happens here, before main and before any thread exists. */
static char join_error[256];
static int joined;

__attribute__((constructor)) static void berth_userns_join(void) {
    const char *pid = getenv("BERTH_USERNS_PID");
    if (pid == NULL) return;
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/user", pid);
    int user = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%s/ns/mnt", pid);
    int mnt = open(path, O_RDONLY | O_CLOEXEC);
    if (user < 0 || mnt < 0) {
        snprintf(join_error, sizeof join_error, "opening the namespaces of pause process %s: %s", pid, strerror(errno));
    } else if (setns(user, CLONE_NEWUSER) != 0) {
        snprintf(join_error, sizeof join_error, "joining the user namespace of pause process %s: %s", pid, strerror(errno));
    } else if (setns(mnt, CLONE_NEWNS) != 0) {
        snprintf(join_error, sizeof join_error, "joining the mount namespace of pause process %s: %s", pid, strerror(errno));
    } else if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
        snprintf(join_error, sizeof join_error, "becoming root in the user namespace: %s", strerror(errno));
    }
    if (join_error[0] == 0) joined = 1;
    if (user >= 0) close(user);
    if (mnt >= 0) close(mnt);
    /* Not passed on: the processes berthd starts are in the namespaces already. */
    unsetenv("BERTH_USERNS_PID");
}

int berth_userns_joined(void) {
    return joined;
}

const char *berth_userns_join_error(void) {
    return join_error[0] ? join_error : NULL;
}

pid_t berth_userns_pause_spawn(int syncfd) {
    pid_t pid = fork();
    if (pid != 0) return pid < 0 ? -errno : pid;
    /* The child of a threaded parent: async-signal-safe calls only, up to pause(). */
    setsid();
    char ok = 1;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) ok = 0;
    /* Mounts made inside stay inside (the copy is a slave of the host's already). */
    if (ok) mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    if (write(syncfd, &ok, 1) != 1 || !ok) _exit(1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
    /* Nothing of berthd's stays open here: not its lock, not its database, not its socket. */
    syscall(SYS_close_range, 3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    prctl(PR_SET_NAME, "berth-pause", 0, 0, 0);
    for (;;) pause();
}

struct berth_netns_sock_arg { int nsfd; int domain; int type; int fd; int err; };

static void *berth_socket_thread(void *p) {
    struct berth_netns_sock_arg *a = p;
    if (setns(a->nsfd, CLONE_NEWNET) != 0) { a->err = errno; return NULL; }
    a->fd = socket(a->domain, a->type | SOCK_CLOEXEC, 0);
    if (a->fd < 0) a->err = errno;
    return NULL;
}

int berth_socket_in_netns(int nsfd, int domain, int type) {
    struct berth_netns_sock_arg a = { nsfd, domain, type, -1, 0 };
    pthread_t t;
    int rc = pthread_create(&t, NULL, berth_socket_thread, &a);
    if (rc != 0) return -rc;
    pthread_join(t, NULL);
    return a.fd >= 0 ? a.fd : -a.err;
}

struct berth_netns_read_arg { int nsfd; const char *path; char *buf; size_t len; int err; };

static void *berth_read_thread(void *p) {
    struct berth_netns_read_arg *a = p;
    if (setns(a->nsfd, CLONE_NEWNET) != 0) { a->err = errno; return NULL; }
    int fd = open(a->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { a->err = errno; return NULL; }
    size_t cap = 65536;
    a->buf = malloc(cap);
    while (a->buf != NULL) {
        ssize_t n = read(fd, a->buf + a->len, cap - a->len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { if (n < 0) a->err = errno; break; }
        a->len += (size_t)n;
        if (a->len == cap) {
            char *more = realloc(a->buf, cap * 2);
            if (more == NULL) { a->err = ENOMEM; break; }
            a->buf = more;
            cap *= 2;
        }
    }
    close(fd);
    return NULL;
}

char *berth_read_in_netns(int nsfd, const char *path, size_t *len) {
    struct berth_netns_read_arg a = { nsfd, path, NULL, 0, 0 };
    pthread_t t;
    if (pthread_create(&t, NULL, berth_read_thread, &a) != 0) return NULL;
    pthread_join(t, NULL);
    if (a.err != 0) { free(a.buf); errno = a.err; return NULL; }
    *len = a.len;
    return a.buf;
}
