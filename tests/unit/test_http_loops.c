/*
 * The HTTP threads' loops (ingress/http_loops.c) with a toy handler, over real loopback
 * sockets: answers come as soon as they can, also when exactly 128 connections become
 * ready at once (libmicrohttpd's own loop then waits up to the connection timeout) and
 * when a connection is resumed from another thread.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_loops.h"

#define TIMEOUT_SECONDS 10 /* the daemons' connection timeout: how long a stall would last */
#define BATCH 128          /* libmicrohttpd's epoll batch */
#define SLOW_MS 400

static struct ft_http_loops *loops;
static atomic_int resumes_pending;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static enum MHD_Result answer(struct MHD_Connection *conn, const char *text)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result queued = MHD_queue_response(conn, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return queued;
}

static void *resume_later(void *conn)
{
    usleep(50 * 1000);
    atomic_fetch_sub(&resumes_pending, 1);
    ft_http_loops_resume(loops, conn);
    return NULL;
}

static int headers_read, suspended; /* what *con_cls points to: where the request is */

/* /slow blocks its loop for a while; /defer suspends and is resumed by another thread;
 * anything else is answered at once. Answers are queued from the second call on: one
 * queued in the first, libmicrohttpd 0.9.75 sends with Connection: close. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls, (void)method, (void)version, (void)upload_data, (void)upload_data_size;
    if (*con_cls == NULL) {
        *con_cls = &headers_read;
        return MHD_YES;
    }
    if (strcmp(url, "/slow") == 0) {
        usleep(SLOW_MS * 1000);
        return answer(conn, "slow");
    }
    if (strcmp(url, "/defer") != 0)
        return answer(conn, "ok");
    if (*con_cls == &suspended) /* called again: resumed */
        return answer(conn, "deferred");
    *con_cls = &suspended;
    atomic_fetch_add(&resumes_pending, 1);
    MHD_suspend_connection(conn);
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, resume_later, conn), 0);
    pthread_detach(thread);
    return MHD_YES;
}

/* A port nobody listens on, for the daemons to take. */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static struct sockaddr_in start(unsigned int threads)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(free_port()),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    const struct MHD_OptionItem options[] = {
        { MHD_OPTION_SOCK_ADDR, 0, &address },
        { MHD_OPTION_CONNECTION_TIMEOUT, TIMEOUT_SECONDS, NULL },
        { MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    char err[256] = "";
    loops = ft_http_loops_start(threads, MHD_USE_ERROR_LOG, on_request, NULL, options, err, sizeof err);
    cr_assert_not_null(loops, "%s", err);
    return address;
}

static int connect_to(const struct sockaddr_in *address)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (const struct sockaddr *)address, sizeof *address), 0);
    struct timeval wait = { .tv_sec = 3 * TIMEOUT_SECONDS };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    return fd;
}

static void send_get(int fd, const char *path)
{
    char request[128];
    int len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    cr_assert_eq(send(fd, request, (size_t)len, 0), len);
}

/* Reads one answer on a kept connection and checks that its body is body. */
static void expect_answer(int fd, const char *body)
{
    char got[1024];
    size_t len = 0;
    while (len < sizeof got - 1) {
        ssize_t n = recv(fd, got + len, sizeof got - 1 - len, 0);
        cr_assert_gt(n, 0, "no answer (%s) after [%.*s]", n == 0 ? "closed" : strerror(errno), (int)len, got);
        len += (size_t)n;
        got[len] = '\0';
        const char *end = strstr(got, "\r\n\r\n");
        if (end != NULL && strlen(end + 4) >= strlen(body))
            break;
    }
    cr_assert(strncmp(got, "HTTP/1.1 200", 12) == 0, "%s", got);
    cr_assert_str_eq(strstr(got, "\r\n\r\n") + 4, body);
}

static void stop(void)
{
    while (atomic_load(&resumes_pending) > 0)
        usleep(10 * 1000);
    ft_http_loops_stop(loops);
    loops = NULL;
}

/* The case libmicrohttpd's internal loop stalls on: while its thread is busy, exactly 128
 * kept connections send a request; its epoll batch is then full, and it waited again,
 * holding those 128 events, until the connection timeout. */
Test(http_loops, a_full_batch_of_ready_connections_is_answered_at_once)
{
    struct sockaddr_in address = start(1);
    int busy = connect_to(&address);
    int fds[BATCH];
    for (int i = 0; i < BATCH; i++) {
        fds[i] = connect_to(&address);
        send_get(fds[i], "/ok"); /* accepted and kept before the batch */
        expect_answer(fds[i], "ok");
    }
    send_get(busy, "/slow");
    usleep(SLOW_MS * 1000 / 4); /* the loop is in the slow handler */
    double sent = now_s();
    for (int i = 0; i < BATCH; i++)
        send_get(fds[i], "/ok");
    expect_answer(busy, "slow");
    for (int i = 0; i < BATCH; i++)
        expect_answer(fds[i], "ok");
    double waited = now_s() - sent;
    cr_assert_lt(waited, TIMEOUT_SECONDS / 3.0, "the batch took %.1f s", waited);
    for (int i = 0; i < BATCH; i++)
        close(fds[i]);
    close(busy);
    stop();
}

/* A suspended connection resumed from another thread is answered without any other
 * event to wake its loop, on every loop. */
Test(http_loops, connections_resumed_from_other_threads_are_answered)
{
    struct sockaddr_in address = start(2);
    enum { CONNECTIONS = 40 };
    int fds[CONNECTIONS];
    for (int i = 0; i < CONNECTIONS; i++)
        fds[i] = connect_to(&address);
    for (int round = 0; round < 3; round++) {
        double sent = now_s();
        for (int i = 0; i < CONNECTIONS; i++)
            send_get(fds[i], "/defer");
        for (int i = 0; i < CONNECTIONS; i++)
            expect_answer(fds[i], "deferred");
        double waited = now_s() - sent;
        cr_assert_lt(waited, 2.0, "round %d took %.1f s", round, waited);
    }
    for (int i = 0; i < CONNECTIONS; i++)
        close(fds[i]);
    stop();
}

/* A port another socket holds (without SO_REUSEPORT) is refused, as is a daemon that asks
 * for libmicrohttpd's own thread. */
Test(http_loops, refuses_a_taken_port_and_an_internal_thread)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in taken = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof taken;
    cr_assert_eq(bind(fd, (struct sockaddr *)&taken, sizeof taken), 0);
    cr_assert_eq(listen(fd, 8), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&taken, &len), 0);
    const struct MHD_OptionItem options[] = {
        { MHD_OPTION_SOCK_ADDR, 0, &taken },
        { MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    char err[256] = "";
    cr_assert_null(ft_http_loops_start(2, 0, on_request, NULL, options, err, sizeof err));
    cr_assert_neq(err[0], '\0');
    cr_assert_null(ft_http_loops_start(2, MHD_USE_INTERNAL_POLLING_THREAD, on_request, NULL, options, err, sizeof err));
    close(fd);
}
