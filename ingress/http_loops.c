#include "http_loops.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ft/log.h"

/* One daemon and the thread that runs it. */
struct loop {
    struct ft_http_loops *owner;
    struct MHD_Daemon *daemon;
    int epoll_fd; /* the daemon's: readable when one of its sockets has an event */
    int wake_fd;  /* eventfd, written by a resume from another thread and by the stop */
    pthread_t thread;
    bool running;
};

struct ft_http_loops {
    atomic_bool stopping;
    unsigned int count;
    struct loop loops[];
};

/* How long the daemon may wait for an event: until its earliest connection deadline, 0
 * when it has work in hand, -1 (until an event) when no connection has a deadline. */
static int wait_ms(struct MHD_Daemon *daemon)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(daemon, &ms) != MHD_YES)
        return -1;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void *run_loop(void *arg)
{
    struct loop *loop = arg;
    struct pollfd fds[2] = { { .fd = loop->epoll_fd, .events = POLLIN }, { .fd = loop->wake_fd, .events = POLLIN } };
    while (!atomic_load(&loop->owner->stopping)) {
        if (poll(fds, 2, wait_ms(loop->daemon)) < 0 && errno != EINTR) {
            /* Out of kernel memory, the only failure possible here: the daemon must go on. */
            ft_log_error("http.loop_poll_failed", "error=\"%s\"", strerror(errno));
            usleep(100 * 1000);
            continue;
        }
        if (fds[1].revents & POLLIN) {
            eventfd_t wakes;
            (void)eventfd_read(loop->wake_fd, &wakes); /* resumes are found by MHD_run itself */
        }
        /* Handles everything ready without waiting; a resume that lands meanwhile has
         * written wake_fd, so the next poll returns at once. */
        MHD_run(loop->daemon);
    }
    return NULL;
}

static void wake(struct loop *loop)
{
    (void)eventfd_write(loop->wake_fd, 1);
}

void ft_http_loops_stop(struct ft_http_loops *loops)
{
    if (loops == NULL)
        return;
    atomic_store(&loops->stopping, true);
    for (unsigned int i = 0; i < loops->count; i++) {
        struct loop *loop = &loops->loops[i];
        if (loop->running) {
            wake(loop);
            pthread_join(loop->thread, NULL);
        }
    }
    for (unsigned int i = 0; i < loops->count; i++) {
        struct loop *loop = &loops->loops[i];
        if (loop->daemon != NULL)
            MHD_stop_daemon(loop->daemon);
        if (loop->wake_fd >= 0)
            close(loop->wake_fd);
    }
    free(loops);
}

/* The daemon of one loop, its fds and its thread; false with err filled. */
static bool start_loop(struct loop *loop, unsigned int index, unsigned int flags, MHD_AccessHandlerCallback handler,
                       void *handler_cls, const struct MHD_OptionItem *options, char *err, size_t errlen)
{
    loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return false;
    }
    loop->daemon = MHD_start_daemon(flags | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, handler,
                                    handler_cls, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (loop->daemon == NULL) {
        snprintf(err, errlen, "daemon %u of %u did not start (port in use, or not allowed)", index + 1,
                 loop->owner->count);
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(loop->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL) {
        snprintf(err, errlen, "daemon %u has no epoll descriptor", index + 1);
        return false;
    }
    loop->epoll_fd = info->epoll_fd;
    int failed = pthread_create(&loop->thread, NULL, run_loop, loop);
    if (failed != 0) {
        snprintf(err, errlen, "cannot start an HTTP thread: %s", strerror(failed));
        return false;
    }
    char name[16];
    snprintf(name, sizeof name, "ft-http-%u", index % 1000);
    pthread_setname_np(loop->thread, name);
    loop->running = true;
    return true;
}

struct ft_http_loops *ft_http_loops_start(unsigned int count, unsigned int flags, MHD_AccessHandlerCallback handler,
                                          void *handler_cls, const struct MHD_OptionItem *options, char *err,
                                          size_t errlen)
{
    if (count == 0 || (flags & MHD_USE_INTERNAL_POLLING_THREAD) != 0) {
        snprintf(err, errlen, "%s", count == 0 ? "no HTTP threads" : "the loops are the daemons' threads");
        return NULL;
    }
    struct ft_http_loops *loops = calloc(1, sizeof *loops + count * sizeof loops->loops[0]);
    if (loops == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    loops->count = count;
    for (unsigned int i = 0; i < count; i++) {
        loops->loops[i].owner = loops;
        loops->loops[i].wake_fd = -1;
    }
    for (unsigned int i = 0; i < count; i++) {
        if (!start_loop(&loops->loops[i], i, flags, handler, handler_cls, options, err, errlen)) {
            ft_http_loops_stop(loops);
            return NULL;
        }
    }
    return loops;
}

void ft_http_loops_resume(struct ft_http_loops *loops, struct MHD_Connection *conn)
{
    /* Read before the resume: from then on its loop may close and free the connection. */
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    const struct MHD_Daemon *daemon = info != NULL ? info->daemon : NULL;
    MHD_resume_connection(conn);
    for (unsigned int i = 0; i < loops->count; i++) {
        if (loops->loops[i].daemon == daemon) {
            wake(&loops->loops[i]);
            return;
        }
    }
    /* Not found cannot happen; waking every loop is right anyway. */
    for (unsigned int i = 0; i < loops->count; i++)
        wake(&loops->loops[i]);
}
