/*
 * The load generator's HTTP client (bench/loadgen/http.c) against small servers in this
 * process: each accepted connection gets a thread that reads requests and answers them in
 * the way the test chose (kept alive, chunked, ended by a close, dropped, silent, garbage).
 */
#include <criterion/criterion.h>

#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum answer {
    ANSWER_ECHO,        /* 200, Content-Length, the request's bytes as the body; kept alive */
    ANSWER_CHUNKED,     /* the same, chunked in three pieces */
    ANSWER_CLOSE_ENDED, /* 200 without a length, ended by closing the connection */
    ANSWER_DROP_SECOND, /* echo the first request, read the second and close without a word */
    ANSWER_SILENT,      /* read the request, never answer (until the client closes) */
    ANSWER_GARBAGE,     /* bytes that are not HTTP */
};

struct server {
    int fd, port;
    enum answer answer;
    atomic_int accepted, open_now, open_max, requests;
    pthread_t thread;
};

struct client_conn {
    struct server *server;
    int fd;
};

/* Reads one request (head, then Content-Length bytes of body) into buf; its length, or
 * -1 when the client closed. */
static int read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            const char *cl = strcasestr(buf, "Content-Length:");
            size_t body = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
            size_t want = (size_t)(end + 4 - buf) + body;
            if (len >= want)
                return (int)want;
        }
        if (len + 1 >= cap)
            return -1;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

#define REQUEST_MAX (256 * 1024)

static void *serve_conn(void *arg)
{
    struct client_conn *cc = arg;
    struct server *s = cc->server;
    char *req = malloc(REQUEST_MAX), head[256];
    int n;
    for (int served = 0; req != NULL && (n = read_request(cc->fd, req, REQUEST_MAX)) >= 0; served++) {
        atomic_fetch_add(&s->requests, 1);
        if (s->answer == ANSWER_SILENT || (s->answer == ANSWER_DROP_SECOND && served == 1))
            break;
        if (s->answer == ANSWER_GARBAGE) {
            send_all(cc->fd, "NOT HTTP AT ALL\r\n\r\n", 19);
            continue;
        }
        if (s->answer == ANSWER_CLOSE_ENDED) {
            snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            send_all(cc->fd, head, strlen(head));
            send_all(cc->fd, req, (size_t)n);
            break;
        }
        if (s->answer == ANSWER_CHUNKED) {
            snprintf(head, sizeof head, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n");
            send_all(cc->fd, head, strlen(head));
            int third = n / 3;
            int parts[3] = { third, third, n - 2 * third };
            for (int i = 0, at = 0; i < 3; at += parts[i++]) {
                snprintf(head, sizeof head, "%x\r\n", parts[i]);
                send_all(cc->fd, head, strlen(head));
                send_all(cc->fd, req + at, (size_t)parts[i]);
                send_all(cc->fd, "\r\n", 2);
            }
            send_all(cc->fd, "0\r\n\r\n", 5);
            continue;
        }
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n);
        send_all(cc->fd, head, strlen(head));
        send_all(cc->fd, req, (size_t)n);
    }
    if (s->answer == ANSWER_SILENT) /* until the client gives up and closes */
        while (recv(cc->fd, head, sizeof head, 0) > 0)
            ;
    close(cc->fd);
    free(req);
    free(cc);
    atomic_fetch_sub(&s->open_now, 1); /* last: server_stop waits for it */
    return NULL;
}

static void *accept_loop(void *arg)
{
    struct server *s = arg;
    for (;;) {
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            return NULL; /* the listening socket was shut down */
        atomic_fetch_add(&s->accepted, 1);
        int now = atomic_fetch_add(&s->open_now, 1) + 1;
        for (int max = atomic_load(&s->open_max); now > max && !atomic_compare_exchange_weak(&s->open_max, &max, now);)
            ;
        struct client_conn *cc = malloc(sizeof *cc);
        pthread_t t;
        if (cc != NULL)
            *cc = (struct client_conn){ .server = s, .fd = fd };
        if (cc == NULL || pthread_create(&t, NULL, serve_conn, cc) != 0) {
            close(fd); /* the client sees a failure; the test's assertions say so */
            free(cc);
            atomic_fetch_sub(&s->open_now, 1);
            continue;
        }
        pthread_detach(t);
    }
}

static void server_start(struct server *s, enum answer answer)
{
    *s = (struct server){ .answer = answer };
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(s->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    cr_assert_eq(listen(s->fd, 64), 0);
    socklen_t len = sizeof addr;
    cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    cr_assert_eq(pthread_create(&s->thread, NULL, accept_loop, s), 0);
}

/* Stops accepting, then waits for the connections' threads, which end when their clients
 * close: the server lives on the test's stack. Call it after the client is freed. */
static void server_stop(struct server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (int i = 0; i < 500 && atomic_load(&s->open_now) > 0; i++)
        usleep(10000);
    cr_assert_eq(atomic_load(&s->open_now), 0, "a connection's thread outlived its client");
}

/* A loopback port that refuses connections: bound by us, never listening. */
static int refusing_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(*fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    cr_assert_eq(getsockname(*fd, (struct sockaddr *)&addr, &len), 0);
    return ntohs(addr.sin_port);
}

/* What a callback saw. */
struct seen {
    int calls;
    long status;
    char body[8192]; /* the start of the last body */
    size_t body_len;
    char error[200];
    uint64_t tag;
    int order[16];
};

static void on_done(const struct lg_http_result *res, void *ctx, uint64_t tag)
{
    struct seen *seen = ctx;
    if (seen->calls < 16)
        seen->order[seen->calls] = (int)tag;
    seen->calls++;
    seen->status = res->status;
    seen->tag = tag;
    snprintf(seen->body, sizeof seen->body, "%.*s", (int)res->body_len, res->body);
    seen->body_len = res->body_len;
    snprintf(seen->error, sizeof seen->error, "%s", res->error ? res->error : "");
    cr_assert_eq(strlen(res->body), res->body_len, "the body is NUL-terminated at its length");
}

static void run_until(struct lg_http *http, struct seen *seen, int calls)
{
    for (int i = 0; i < 1000 && seen->calls < calls; i++)
        lg_http_step(http, 10);
    cr_assert_eq(seen->calls, calls, "callbacks: %d, expected %d", seen->calls, calls);
}

static struct lg_http *client_of(const struct server *s, const char *path_prefix, int connections, int timeout_ms)
{
    char base[96];
    snprintf(base, sizeof base, "http://127.0.0.1:%d%s", s->port, path_prefix);
    struct lg_http *http = lg_http_new(base, connections, timeout_ms);
    cr_assert_not_null(http);
    return http;
}

Test(loadgen_http, kept_connection_carries_requests_with_their_headers_and_body)
{
    struct server s;
    server_start(&s, ANSWER_ECHO);
    struct lg_http *http = client_of(&s, "", 4, 5000);
    struct seen seen = { 0 };
    cr_assert(lg_http_submit_with(http, "POST", "/api/v1/reservations", "tok123", "Idempotency-Key: k-1",
                                  "{\"scheduleId\":7}", on_done, &seen, 41));
    run_until(http, &seen, 1);
    cr_assert_eq(seen.status, 200);
    cr_assert_eq(seen.tag, 41);
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    cr_assert(strncmp(seen.body, "POST /api/v1/reservations HTTP/1.1\r\n", 36) == 0, "request line: %s", seen.body);
    cr_assert_not_null(strstr(seen.body, host));
    cr_assert_not_null(strstr(seen.body, "\r\nAuthorization: Bearer tok123\r\n"));
    cr_assert_not_null(strstr(seen.body, "\r\nIdempotency-Key: k-1\r\n"));
    cr_assert_not_null(strstr(seen.body, "\r\nContent-Type: application/json\r\n"));
    cr_assert_not_null(strstr(seen.body, "\r\nContent-Length: 16\r\n\r\n{\"scheduleId\":7}"));
    cr_assert(lg_http_submit(http, "GET", "/api/v1/reservations/requests/abc", "tok123", NULL, on_done, &seen, 42));
    run_until(http, &seen, 2);
    cr_assert_eq(seen.status, 200);
    cr_assert(strncmp(seen.body, "GET /api/v1/reservations/requests/abc HTTP/1.1\r\n", 48) == 0);
    cr_assert_null(strstr(seen.body, "Content-Length"), "a GET has no body: %s", seen.body);
    cr_assert_eq(atomic_load(&s.accepted), 1, "both requests on one kept connection");
    cr_assert_eq(lg_http_pending(http), 0);
    lg_http_free(http);
    server_stop(&s);
}

Test(loadgen_http, base_path_and_absolute_urls)
{
    struct server base, other;
    server_start(&base, ANSWER_ECHO);
    server_start(&other, ANSWER_ECHO);
    struct lg_http *http = client_of(&base, "/prefix/", 4, 5000);
    struct seen seen = { 0 };
    cr_assert(lg_http_submit(http, "GET", "/healthz", NULL, NULL, on_done, &seen, 1));
    run_until(http, &seen, 1);
    cr_assert(strncmp(seen.body, "GET /prefix/healthz HTTP/1.1\r\n", 30) == 0, "%s", seen.body);
    char url[128], host[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/payments/imp_1?include=all", other.port);
    cr_assert(lg_http_submit(http, "POST", url, NULL, NULL, on_done, &seen, 2));
    run_until(http, &seen, 2);
    cr_assert_eq(seen.status, 200);
    cr_assert(strncmp(seen.body, "POST /payments/imp_1?include=all HTTP/1.1\r\n", 43) == 0, "%s", seen.body);
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", other.port);
    cr_assert_not_null(strstr(seen.body, host));
    cr_assert_not_null(strstr(seen.body, "\r\nContent-Length: 0\r\n\r\n"), "a POST without a body says so");
    cr_assert_eq(atomic_load(&other.accepted), 1);
    cr_assert_eq(atomic_load(&base.accepted), 1);
    cr_assert_not(lg_http_submit(http, "GET", "https://127.0.0.1:1/", NULL, NULL, on_done, &seen, 3),
                  "https is refused at once");
    lg_http_free(http);
    server_stop(&base);
    server_stop(&other);
}

Test(loadgen_http, chunked_and_close_ended_answers_are_whole)
{
    struct server chunked, ended;
    server_start(&chunked, ANSWER_CHUNKED);
    server_start(&ended, ANSWER_CLOSE_ENDED);
    struct seen seen = { 0 };
    struct lg_http *a = client_of(&chunked, "", 2, 5000);
    cr_assert(lg_http_submit(a, "POST", "/x", NULL, "{\"quantity\":2,\"grade\":\"VIP\"}", on_done, &seen, 1));
    run_until(a, &seen, 1);
    cr_assert_eq(seen.status, 201);
    cr_assert(strncmp(seen.body, "POST /x HTTP/1.1\r\n", 18) == 0, "%s", seen.body);
    cr_assert_not_null(strstr(seen.body, "\r\n\r\n{\"quantity\":2,\"grade\":\"VIP\"}"), "%s", seen.body);
    struct lg_http *b = client_of(&ended, "", 2, 5000);
    for (int i = 0; i < 2; i++) {
        cr_assert(lg_http_submit(b, "GET", "/y", NULL, NULL, on_done, &seen, 2));
        run_until(b, &seen, 2 + i);
        cr_assert_eq(seen.status, 200);
        cr_assert(strncmp(seen.body, "GET /y HTTP/1.1\r\n", 17) == 0, "%s", seen.body);
    }
    cr_assert_eq(atomic_load(&ended.accepted), 2, "a connection the server closed is not used again");
    lg_http_free(a);
    lg_http_free(b);
    server_stop(&chunked);
    server_stop(&ended);
}

/* A server that drops its connections' second request, and a client of one connection
 * whose first request was answered: the connection is kept, and the next request dies on it. */
static struct lg_http *kept_then_dropped(struct server *s, struct seen *seen)
{
    server_start(s, ANSWER_DROP_SECOND);
    struct lg_http *http = client_of(s, "", 1, 5000);
    cr_assert(lg_http_submit(http, "GET", "/first", NULL, NULL, on_done, seen, 1));
    run_until(http, seen, 1);
    return http;
}

Test(loadgen_http, request_on_a_kept_connection_the_server_dropped_is_sent_again_once)
{
    struct server s;
    struct seen seen = { 0 };
    struct lg_http *http = kept_then_dropped(&s, &seen);
    cr_assert(lg_http_submit(http, "GET", "/second", NULL, NULL, on_done, &seen, 2));
    run_until(http, &seen, 2);
    cr_assert_eq(seen.status, 200, "error: %s", seen.error);
    cr_assert(strncmp(seen.body, "GET /second HTTP/1.1\r\n", 22) == 0, "%s", seen.body);
    cr_assert_eq(atomic_load(&s.accepted), 2);
    cr_assert_eq(atomic_load(&s.requests), 3, "the second request was read twice, answered on the new connection");
    lg_http_free(http);
    server_stop(&s);
}

Test(loadgen_http, transport_failures_end_with_status_zero_and_a_reason)
{
    struct server silent, garbage;
    server_start(&silent, ANSWER_SILENT);
    server_start(&garbage, ANSWER_GARBAGE);
    struct seen seen = { 0 };
    struct lg_http *a = client_of(&silent, "", 2, 300);
    cr_assert(lg_http_submit(a, "GET", "/never", NULL, NULL, on_done, &seen, 1));
    run_until(a, &seen, 1);
    cr_assert_eq(seen.status, 0);
    cr_assert_str_eq(seen.error, "timed out");
    struct lg_http *b = client_of(&garbage, "", 2, 5000);
    cr_assert(lg_http_submit(b, "GET", "/what", NULL, NULL, on_done, &seen, 2));
    run_until(b, &seen, 2);
    cr_assert_eq(seen.status, 0);
    cr_assert(strncmp(seen.error, "bad answer", 10) == 0, "%s", seen.error);
    int bound;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/gone", refusing_port(&bound));
    cr_assert(lg_http_submit(b, "GET", url, NULL, NULL, on_done, &seen, 3));
    run_until(b, &seen, 3);
    cr_assert_eq(seen.status, 0);
    cr_assert_str_eq(seen.error, "connect: Connection refused");
    cr_assert_eq(lg_http_pending(b), 0);
    close(bound);
    lg_http_free(a);
    lg_http_free(b);
    server_stop(&silent);
    server_stop(&garbage);
}

Test(loadgen_http, at_most_max_connections_in_flight_and_started_in_submission_order)
{
    struct server s;
    server_start(&s, ANSWER_ECHO);
    struct lg_http *http = client_of(&s, "", 2, 5000);
    struct seen seen = { 0 };
    for (int i = 0; i < 12; i++)
        cr_assert(lg_http_submit(http, "GET", "/n", NULL, NULL, on_done, &seen, (uint64_t)i));
    cr_assert_eq(lg_http_pending(http), 12);
    run_until(http, &seen, 12);
    cr_assert_leq(atomic_load(&s.open_max), 2);
    cr_assert_leq(atomic_load(&s.accepted), 2);
    cr_assert_eq(atomic_load(&s.requests), 12);
    /* Request k starts only when k - 1 have finished (two connections): it cannot finish
     * before place k - 1. (How late it finishes depends on the threads' timing.) */
    for (int place = 0; place < 12; place++)
        cr_assert_geq(place, seen.order[place] - 1, "request %d finished in place %d", seen.order[place], place);
    lg_http_free(http);
    server_stop(&s);
}

Test(loadgen_http, a_post_without_a_key_is_not_sent_again_after_a_dropped_connection)
{
    struct server s;
    struct seen seen = { 0 };
    struct lg_http *http = kept_then_dropped(&s, &seen);
    /* The server read it, then closed: it may have acted on it. */
    cr_assert(lg_http_submit(http, "POST", "/api/v1/reservations", "tok", "{\"quantity\":1}", on_done, &seen, 2));
    run_until(http, &seen, 2);
    cr_assert_eq(seen.status, 0);
    cr_assert_str_eq(seen.error, "connection closed before the answer ended");
    cr_assert_eq(atomic_load(&s.requests), 2, "the POST was sent once");
    /* With an Idempotency-Key, repeating it is safe: it goes again, once, on a new connection. */
    cr_assert(lg_http_submit(http, "GET", "/third", NULL, NULL, on_done, &seen, 3));
    run_until(http, &seen, 3);
    cr_assert(lg_http_submit_with(http, "POST", "/api/v1/reservations", "tok", "Idempotency-Key: k-9",
                                  "{\"quantity\":1}", on_done, &seen, 4));
    run_until(http, &seen, 4);
    cr_assert_eq(seen.status, 200, "error: %s", seen.error);
    cr_assert_eq(atomic_load(&s.requests), 5, "first, POST, third, keyed POST twice");
    cr_assert_eq(atomic_load(&s.accepted), 3);
    lg_http_free(http);
    server_stop(&s);
}

Test(loadgen_http, answers_larger_than_one_read_arrive_whole)
{
    struct server s;
    server_start(&s, ANSWER_ECHO);
    struct lg_http *http = client_of(&s, "", 1, 5000);
    size_t size = 150 * 1024; /* a seat map is a few hundred KB; one read takes 64 KB */
    char *body = malloc(size + 1);
    cr_assert_not_null(body);
    memset(body, 'x', size);
    body[0] = '"';
    body[size - 1] = '"';
    body[size] = '\0';
    struct seen seen = { 0 };
    cr_assert(lg_http_submit(http, "POST", "/big", NULL, body, on_done, &seen, 1));
    run_until(http, &seen, 1);
    cr_assert_eq(seen.status, 200, "error: %s", seen.error);
    size_t head = strlen("POST /big HTTP/1.1\r\n");
    cr_assert_gt(seen.body_len, size + head, "%zu bytes came back", seen.body_len);
    cr_assert(lg_http_submit(http, "GET", "/after", NULL, NULL, on_done, &seen, 2));
    run_until(http, &seen, 2);
    cr_assert(strncmp(seen.body, "GET /after HTTP/1.1\r\n", 21) == 0, "the connection is still in step: %s", seen.body);
    cr_assert_eq(atomic_load(&s.accepted), 1);
    free(body);
    lg_http_free(http);
    server_stop(&s);
}
