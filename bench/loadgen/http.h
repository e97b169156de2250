/*
 * The load generator's HTTP client: many requests at once on one thread, over keep-alive
 * connections on epoll, one request at a time on each (no pipelining). Answers are parsed
 * by http-parser (the parser wrk uses) and URLs by libcurl's URL API; this file writes the
 * request's head and moves bytes.
 *
 * Why not libcurl's multi interface, which it used until 2026-11-25: the load generator
 * shares the two cores with what it measures, and libcurl's own bookkeeping took most of
 * its time (a closed loop of 64 under `perf record -a`: libcurl 9.9 %
 * and the allocator's calls 6.1 % of the machine, against 8.4 % for all of the load
 * generator's system calls; two poll(2) and two epoll_ctl(2) per exchange). With this
 * client, side by side on one stack: 18 µs of load generator CPU per decided request
 * against 43, and 15,341 / 14,924 decided/s against 12,026 / 11,439.
 *
 * At most `max_connections` requests are in flight; the rest wait in a FIFO inside the
 * client and start in submission order as earlier ones finish. Each finished request is
 * handed to its callback once, from lg_http_step, with the status (0 when the transfer
 * failed), the body and the instant it started to wait. The callback must not keep the
 * body past its return.
 */
#ifndef LG_HTTP_H
#define LG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_http;

/* A finished request. `body` is NUL-terminated; `queued_us` is when it was submitted. */
struct lg_http_result {
    long status; /* HTTP status, 0 on a transport error */
    const char *body;
    size_t body_len;
    const char *error; /* why, when status is 0 ("timed out", "connect: Connection refused", ...) */
    int64_t queued_us, finished_us;
};

typedef void (*lg_http_done)(const struct lg_http_result *result, void *ctx, uint64_t tag);

/* A client of base_url (e.g. "http://127.0.0.1:8080"); NULL when it is not an http:// URL,
 * its host does not resolve, or memory ran out. */
struct lg_http *lg_http_new(const char *base_url, int max_connections, int timeout_ms);
void lg_http_free(struct lg_http *http);

/*
 * Queues METHOD base_url+path with an optional bearer token and JSON body (copied); a path
 * that is an absolute URL ("http://...") is used as it is, on connections of its own. The
 * callback gets ctx and tag. False when the URL is not http:// or does not resolve, or memory
 * ran out (the callback is then never called). A request that got no answer on a kept
 * connection goes again once, on a new one, when that is safe: GET, DELETE, a request with
 * an Idempotency-Key, or one of which nothing was sent.
 */
__attribute__((warn_unused_result)) bool lg_http_submit(struct lg_http *http, const char *method, const char *path,
                                                        const char *bearer, const char *json_body, lg_http_done done,
                                                        void *ctx, uint64_t tag);

/* The same with one more header line ("Name: value"), e.g. an Idempotency-Key. */
__attribute__((warn_unused_result)) bool lg_http_submit_with(struct lg_http *http, const char *method,
                                                             const char *path, const char *bearer, const char *header,
                                                             const char *json_body, lg_http_done done, void *ctx,
                                                             uint64_t tag);

/* Moves transfers on, waiting up to wait_ms for network activity, and calls the
 * callbacks of those that finished. */
void lg_http_step(struct lg_http *http, int wait_ms);

/* Requests submitted and not yet finished (queued or in flight). */
size_t lg_http_pending(const struct lg_http *http);

/* Microseconds of CLOCK_MONOTONIC. */
int64_t lg_now_us(void);

#endif
