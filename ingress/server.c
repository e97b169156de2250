#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "access_cache.h"
#include "blocking_pool.h"
#include "client_address.h"
#include "exchange.h"
#include "http_loops.h"
#include "ft/clock.h"
#include "ft/ids.h"
#include "ft/log.h"
#include "response.h"
#include "routes.h"
#include "static_files.h"
#include "uri_unescape.h"

struct ft_server {
    struct ft_http_loops *loops; /* the HTTP threads and their daemons */
    struct ft_app *app;
    pthread_mutex_t lock;
    pthread_cond_t deferred_done;
    long deferred; /* exchanges deferred and not yet completed (answer sent, or client gone) */
    struct ft_trusted_proxies proxies; /* FT_TRUSTED_PROXIES, read once at start */
    struct ft_static_site *page;       /* the buyer's page (FT_WEB_ROOT); NULL: not served */
    struct ft_blocking_pool *blocking; /* where blocking routes run (blocking_pool.h) */
    uint32_t request_id_prefix;        /* random per process: ids of two instances differ */
    atomic_uint_fast32_t request_ids;  /* made so far: the rest of the id */
};

/* Blocking requests that may wait for a pool thread, per thread; beyond that 503. */
#define BLOCKING_QUEUE_PER_THREAD 64

/* Where an exchange is in its life. */
enum exchange_state {
    EXCHANGE_READING,   /* headers and body arriving; the handler has not run */
    EXCHANGE_DEFERRED,  /* the handler deferred its answer: suspended until ft_async_resume */
    EXCHANGE_ANSWERED,  /* an answer is queued (or the connection is being closed) */
};

/* One request from its first byte to its answer. */
struct exchange {
    struct timespec started;
    struct ft_match match;
    bool page; /* a request of the buyer's page (static_files.h): answered without the router */
    char request_id[65];
    char client[FT_CLIENT_ADDRESS_LEN]; /* who sent it (client_address.h), for the request log */
    char *body; /* NUL-terminated once complete */
    size_t body_len, body_cap;
    bool too_large;
    size_t discarded; /* too large: the bytes of the body read and thrown away */
    enum exchange_state state;
    struct ft_server *server;
    struct MHD_Connection *conn;
    struct ft_request req; /* what the handler is given; exchange.h's functions find the exchange by it */
    int retry_after;       /* seconds for Retry-After; 0: only 503 gets one (1 s) */
    ft_async_finish_fn finish;
    ft_async_release_fn release;
    void *async_ctx; /* the deferring handler's, until release */
};

static struct exchange *exchange_of(const struct ft_request *req)
{
    return (struct exchange *)(uintptr_t)((const char *)req - offsetof(struct exchange, req));
}

const char *ft_request_header(const struct ft_request *req, const char *name)
{
    return MHD_lookup_connection_value(exchange_of(req)->conn, MHD_HEADER_KIND, name);
}

void ft_request_retry_after(const struct ft_request *req, int seconds)
{
    exchange_of(req)->retry_after = seconds;
}

struct ft_async *ft_async_defer(const struct ft_request *req, ft_async_finish_fn finish, ft_async_release_fn release,
                                void *ctx)
{
    struct exchange *ex = exchange_of(req);
    if (ex->release != NULL)
        return NULL; /* an exchange is deferred once */
    ex->finish = finish;
    ex->release = release;
    ex->async_ctx = ctx;
    ex->state = EXCHANGE_DEFERRED;
    pthread_mutex_lock(&ex->server->lock);
    ex->server->deferred++;
    pthread_mutex_unlock(&ex->server->lock);
    /* Suspended before the work is handed over, so that a resume can never come first. */
    MHD_suspend_connection(ex->conn);
    return (struct ft_async *)ex;
}

void ft_async_resume(struct ft_async *async)
{
    struct exchange *ex = (struct exchange *)async;
    ft_http_loops_resume(ex->server->loops, ex->conn);
}

bool ft_async_run_blocking(const struct ft_request *req, void (*run)(void *ctx), void *ctx)
{
    if (ft_blocking_pool_submit(exchange_of(req)->server->blocking, run, ctx))
        return true;
    ft_log_warn("http.blocking_pool_full", "rid=%s", req->request_id);
    return false;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Keeps a client's X-Request-Id when it is short and plain; otherwise makes one from the
 * process's random prefix and a counter: unique without a getrandom call per request
 * (an id only tells log lines apart; it guards nothing). */
static void choose_request_id(struct ft_server *server, struct MHD_Connection *conn, char id[65])
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given != NULL) {
        size_t len = strlen(given);
        if (len >= 1 && len <= 64 &&
            strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len) {
            memcpy(id, given, len + 1);
            return;
        }
    }
    uint32_t n = (uint32_t)atomic_fetch_add_explicit(&server->request_ids, 1, memory_order_relaxed);
    snprintf(id, 65, "%08" PRIx32 "%08" PRIx32, server->request_id_prefix, n);
}

/* The X-Forwarded-For values of a request in arrival order; the last ones when there are more. */
struct forwarded_values {
    const char *values[8];
    size_t count;
};

static enum MHD_Result collect_forwarded(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct forwarded_values *f = cls;
    if (strcasecmp(key, "X-Forwarded-For") != 0 || value == NULL)
        return MHD_YES;
    size_t max = sizeof f->values / sizeof f->values[0];
    if (f->count == max) {
        memmove(f->values, f->values + 1, (max - 1) * sizeof f->values[0]);
        f->count--;
    }
    f->values[f->count++] = value;
    return MHD_YES;
}

static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *text)
{
    (void)cls;
    (void)conn;
    return ft_uri_unescape(text);
}

/* Decides who sent the request: the peer, or what trusted proxies say (client_address.h). */
static void choose_client(const struct ft_server *server, struct MHD_Connection *conn, char out[FT_CLIENT_ADDRESS_LEN])
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct forwarded_values forwarded = { .count = 0 };
    if (server->proxies.count > 0)
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_forwarded, &forwarded);
    ft_client_address(&server->proxies, info != NULL ? info->client_addr : NULL, forwarded.values, forwarded.count,
                      out);
}

/* How much of a body past the limit is read (and thrown away) so that the client, still
 * sending, hears the 413; beyond it the connection is closed. A chunked body announces
 * no length, so only this stops one that never ends. */
#define BODY_DISCARD_MAX ((size_t)1 << 20)

static bool body_append(struct exchange *ex, const char *data, size_t size, size_t limit)
{
    if (ex->too_large || ex->body_len + size > limit) {
        ex->too_large = true;
        free(ex->body);
        ex->body = NULL;
        ex->discarded += ex->body_len + size;
        ex->body_len = ex->body_cap = 0;
        return ex->discarded <= limit + BODY_DISCARD_MAX; /* keep reading, to answer 413 once it is sent */
    }
    if (ex->body_len + size + 1 > ex->body_cap) {
        size_t cap = ex->body_cap ? ex->body_cap * 2 : 1024;
        while (cap < ex->body_len + size + 1)
            cap *= 2;
        char *grown = realloc(ex->body, cap);
        if (grown == NULL)
            return false;
        ex->body = grown;
        ex->body_cap = cap;
    }
    memcpy(ex->body + ex->body_len, data, size);
    ex->body_len += size;
    ex->body[ex->body_len] = '\0';
    return true;
}

static const char *query_lookup(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* Checks the bearer token for a route that is not public. False with resp filled on refusal. */
static bool authorize(struct ft_app *app, struct MHD_Connection *conn, enum ft_access access,
                      struct ft_token_claims *claims, struct ft_response *resp)
{
    const char *header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0) {
        ft_respond_fail(resp, 401, "AUTH_REQUIRED", "send an access token: Authorization: Bearer <token>");
        return false;
    }
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    enum ft_token_result result =
        ft_access_cache_verify(app->access_tokens, app->config->jwt_secret, token, time(NULL), claims);
    if (result != FT_TOKEN_OK) {
        ft_log_info("auth.token_refused", "reason=%s", ft_token_result_name(result));
        ft_respond_fail(resp, 401, "INVALID_TOKEN", "the access token is invalid or has expired");
        return false;
    }
    if (access == FT_ACCESS_ADMIN && claims->role != FT_ROLE_ADMIN) {
        ft_respond_fail(resp, 403, "FORBIDDEN", "this route is for administrators");
        return false;
    }
    return true;
}

/* A body must be JSON; a request that says it is something else gets 415. Parameters
 * may follow, with white space before their ';' (RFC 9110, section 5.6.6). */
static bool json_content_type(struct MHD_Connection *conn)
{
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type == NULL)
        return true;
    size_t len = strlen("application/json");
    if (strncasecmp(type, "application/json", len) != 0)
        return false;
    const char *rest = type + len + strspn(type + len, " \t");
    return *rest == '\0' || *rest == ';';
}

/* --- blocking routes: the handler runs on the blocking pool, the connection suspended --- */

struct blocking_call {
    struct ft_app *app;
    const struct ft_request *req;
    ft_handler handler;
    struct ft_async *async;
    struct ft_response resp;
};

/* A pool thread. */
static void blocking_run(void *ctx)
{
    struct blocking_call *call = ctx;
    call->handler(call->app, call->req, &call->resp);
    ft_async_resume(call->async);
}

/* HTTP thread, after the resume: the handler's answer becomes the exchange's. */
static void blocking_finish(void *ctx, struct ft_response *resp)
{
    struct blocking_call *call = ctx;
    *resp = call->resp;
    call->resp.body = NULL;
}

static void blocking_release(void *ctx)
{
    struct blocking_call *call = ctx;
    free(call->resp.body);
    free(call);
}

static void run_blocking(struct ft_server *server, struct exchange *ex, ft_handler handler, struct ft_response *resp)
{
    struct blocking_call *call = calloc(1, sizeof *call);
    if (call == NULL) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is short of memory; try again shortly");
        return;
    }
    *call = (struct blocking_call){ .app = server->app, .req = &ex->req, .handler = handler,
                                    .resp = { .status = 500, .content_type = "application/json" } };
    call->async = ft_async_defer(&ex->req, blocking_finish, blocking_release, call);
    if (!ft_async_run_blocking(&ex->req, blocking_run, call)) {
        ft_respond_fail(&call->resp, 503, "UNAVAILABLE",
                        "too many requests are waiting for PortOne or the database; try again shortly");
        ft_async_resume(call->async);
    }
}

/* Decides the answer: routing, size, token, content type and id checks, then the handler. */
static void dispatch(struct ft_server *server, struct MHD_Connection *conn, const char *method, const char *url,
                     struct exchange *ex, struct ft_response *resp)
{
    struct ft_app *app = server->app;
    ex->req = (struct ft_request){ .method = method, .path = url, .body = ex->body, .body_len = ex->body_len,
                                   .request_id = ex->request_id, .query = query_lookup, .query_ctx = conn };
    struct ft_request *req = &ex->req;
    if (ex->match.result == FT_MATCH_NO_PATH) {
        ft_respond_fail(resp, 404, "ROUTE_NOT_FOUND", "no such route");
        return;
    }
    if (ex->match.result == FT_MATCH_WRONG_METHOD) {
        ft_respond_fail(resp, 405, "METHOD_NOT_ALLOWED", "this route does not take that method");
        memcpy(resp->allow, ex->match.allow, sizeof resp->allow);
        return;
    }
    const struct ft_route *route = &ft_routes[ex->match.index];
    if (ex->too_large) {
        ft_respond_fail(resp, 413, "BODY_TOO_LARGE", "the request body is too large");
        return;
    }
    if (route->access != FT_ACCESS_PUBLIC && !authorize(app, conn, route->access, &req->caller, resp))
        return;
    if (route->takes_body && !json_content_type(conn)) {
        ft_respond_fail(resp, 415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
        return;
    }
    /* A {token} is the handler's to read (from req->path); every other parameter is an id. */
    bool is_id = strstr(route->path, "{token}") == NULL;
    if (ex->match.param[0] != '\0' && is_id && !ft_parse_id(ex->match.param, &req->path_id)) {
        ft_respond_fail(resp, 400, "INVALID_ID", "an id is a whole number from 1 to 9223372036854775807");
        return;
    }
    if (route->blocking) {
        run_blocking(server, ex, route->handler, resp);
        return;
    }
    route->handler(app, req, resp);
    if (resp->then_blocking != NULL)
        run_blocking(server, ex, resp->then_blocking, resp);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct exchange *ex, struct ft_response *resp)
{
    if (resp->body == NULL)
        ft_respond_fail(resp, 500, "INTERNAL", "internal error");
    if (resp->body == NULL)
        return MHD_NO; /* out of memory: close the connection */
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(resp->body), resp->body, MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(resp->body);
        return MHD_NO;
    }
    resp->body = NULL; /* now the response's */
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(response, "X-Request-Id", ex->request_id);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (resp->allow[0] != '\0')
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, resp->allow);
    if (resp->status == 401) /* RFC 6750: every 401 names the scheme it wants */
        MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (ex->retry_after > 0 || resp->status == 503) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", ex->retry_after > 0 ? ex->retry_after : 1);
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    enum MHD_Result queued = MHD_queue_response(conn, (unsigned int)resp->status, response);
    MHD_destroy_response(response);
    return queued;
}

/* Errors and writes are logged; a successful read only at debug level: during an on-sale
 * the polls alone are tens of thousands a second, a line each would be formatted, copied
 * and written for nothing (even in batches, log.c). A 202 is a command put on the queue,
 * which its handler logs once Kafka has it, with the request id and the command's partition
 * and offset (reservation.queued, reservation.cancel_queued; a payment's confirmation,
 * payment.verified): its http.request line is at debug level too. With both lines, the
 * logging of a reservation took about 2.5 µs of the ingress's 37 µs of CPU per decided
 * request (256 in flight, alternated on one stack, 2026-11-25). The metrics
 * (ft_http_requests_total) count every answer. */
static enum ft_log_level log_level_of(const char *method, int status)
{
    if (status >= 500)
        return FT_LOG_ERROR;
    if (status == 202)
        return FT_LOG_DEBUG;
    bool read = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    return read && status < 400 ? FT_LOG_DEBUG : FT_LOG_INFO;
}

/* Answers a request of the buyer's page (static_files.h): a file, 304, or a JSON error.
 * Page requests are logged, and not counted in the API's route metrics. */
static enum MHD_Result answer_page(struct ft_server *server, struct MHD_Connection *conn, const char *method,
                                   const char *url, struct exchange *ex)
{
    ex->state = EXCHANGE_ANSWERED;
    struct ft_static_answer page = { .status = 413, .fd = -1, .code = "BODY_TOO_LARGE",
                                     .message = "the request body is too large" };
    if (!ex->too_large)
        ft_static_serve(server->page, method, url,
                        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH), &page);
    enum MHD_Result queued;
    if (page.code != NULL) {
        struct ft_response resp = { .status = 500, .content_type = "application/json" };
        ft_respond_fail(&resp, page.status, page.code, page.message);
        if (page.status == 405)
            snprintf(resp.allow, sizeof resp.allow, "GET, HEAD");
        queued = send_response(conn, ex, &resp);
    } else {
        struct MHD_Response *response =
            page.fd >= 0 ? MHD_create_response_from_fd((size_t)page.size, page.fd) /* owns the fd from here */
            : MHD_create_response_from_buffer(page.text != NULL ? (size_t)page.size : 0, (void *)(uintptr_t)page.text,
                                              MHD_RESPMEM_PERSISTENT);
        if (response == NULL) {
            if (page.fd >= 0)
                close(page.fd);
            return MHD_NO;
        }
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, page.content_type);
        MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, page.etag);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(response, "X-Request-Id", ex->request_id);
        MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(response, "Content-Security-Policy", ft_static_site_policy(server->page));
        queued = MHD_queue_response(conn, (unsigned int)page.status, response);
        MHD_destroy_response(response);
    }
    ft_log(log_level_of(method, (int)page.status), "http.request",
           "rid=%s client=%s method=%s route=page status=%d ms=%.2f", ex->request_id, ex->client, method, page.status,
           seconds_since(&ex->started) * 1000);
    return queued;
}

/* Sends the answer, counts it and logs it. */
static enum MHD_Result answer(struct ft_server *server, struct MHD_Connection *conn, const char *method,
                              struct exchange *ex, struct ft_response *resp)
{
    ex->state = EXCHANGE_ANSWERED;
    int status = resp->status;
    enum MHD_Result queued = send_response(conn, ex, resp);
    double seconds = seconds_since(&ex->started);
    size_t route = ex->match.result == FT_MATCH_FOUND ? ex->match.index : ft_route_count;
    ft_http_metrics_observe(server->app->metrics, route, method, status, seconds);
    ft_log(log_level_of(method, status), "http.request",
           "rid=%s client=%s method=%s route=%s status=%d ms=%.2f", ex->request_id, ex->client, method,
           route < ft_route_count ? ft_route_paths[route] : "unmatched", status, seconds * 1000);
    return queued;
}

static enum MHD_Result finish(struct ft_server *server, struct MHD_Connection *conn, const char *method,
                              const char *url, struct exchange *ex)
{
    if (ex->page)
        return answer_page(server, conn, method, url, ex);
    struct ft_response resp = { .status = 500, .content_type = "application/json" };
    dispatch(server, conn, method, url, ex, &resp);
    if (ex->state == EXCHANGE_DEFERRED) {
        free(resp.body); /* the answer comes after ft_async_resume */
        return MHD_YES;
    }
    return answer(server, conn, method, ex, &resp);
}

/* Called again for a deferred exchange after ft_async_resume: the answer is ready. */
static enum MHD_Result finish_deferred(struct ft_server *server, struct MHD_Connection *conn, const char *method,
                                       struct exchange *ex)
{
    struct ft_response resp = { .status = 500, .content_type = "application/json" };
    ex->finish(ex->async_ctx, &resp);
    return answer(server, conn, method, ex, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct ft_server *server = cls;
    struct exchange *ex = *con_cls;
    size_t limit = (size_t)server->app->config->http_max_body_bytes;
    if (ex == NULL) {
        ex = calloc(1, sizeof *ex);
        if (ex == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &ex->started);
        ex->server = server;
        ex->conn = conn;
        choose_request_id(server, conn, ex->request_id);
        choose_client(server, conn, ex->client);
        ex->page = ft_static_claims(url); /* the page is served beside the API, not routed */
        if (!ex->page)
            ft_router_match(ft_routes, ft_route_count, method, url, &ex->match);
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length != NULL && strtoull(length, NULL, 10) > limit)
            ex->too_large = true;
        *con_cls = ex;
        /* Refuse a declared oversize body at once rather than read it. */
        return ex->too_large ? finish(server, conn, method, url, ex) : MHD_YES;
    }
    if (ex->state == EXCHANGE_DEFERRED) /* resumed: libmicrohttpd calls again for the answer */
        return finish_deferred(server, conn, method, ex);
    if (ex->state == EXCHANGE_ANSWERED) /* called again: the answer could not be queued (shutdown) */
        return MHD_NO;
    if (*upload_data_size > 0) {
        bool kept = body_append(ex, upload_data, *upload_data_size, limit);
        *upload_data_size = 0;
        return kept ? MHD_YES : MHD_NO;
    }
    return finish(server, conn, method, url, ex);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct ft_server *server = cls;
    struct exchange *ex = *con_cls;
    if (ex != NULL) {
        if (ex->release != NULL) {
            ex->release(ex->async_ctx);
            pthread_mutex_lock(&server->lock);
            if (--server->deferred == 0)
                pthread_cond_broadcast(&server->deferred_done);
            pthread_mutex_unlock(&server->lock);
        }
        free(ex->body);
        free(ex);
        *con_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn;
    (void)socket_context;
    struct ft_server *server = cls;
    ft_http_metrics_connection(server->app->metrics, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    message[strcspn(message, "\n")] = '\0';
    ft_log_warn("http.daemon", "message=\"%s\"", message);
}

/*
 * Opens the buyer's page: FT_WEB_ROOT, which must then be a directory, or else the web/
 * of the source tree this binary was built from (FT_WEB_ROOT_BUILT_IN), which may be
 * missing (an installed binary): then the page is not served (404) and the API works.
 */
static bool open_page(const struct ft_config *config, struct ft_static_site **page, char *err, size_t errlen)
{
    char why[512];
    bool chosen = config->web_root[0] != '\0';
    const char *root = chosen ? config->web_root : FT_WEB_ROOT_BUILT_IN;
    const struct ft_static_payments payments = { .base_url = config->portone_base_url,
                                                 .merchant_code = config->portone_merchant_code,
                                                 .pg = config->portone_pg };
    *page = ft_static_site_open(root, &payments, why, sizeof why);
    if (*page != NULL) {
        enum ft_static_checkout checkout = ft_static_site_checkout(*page);
        ft_log_info("http.page", "root=%s checkout=%s", ft_static_site_root(*page), ft_static_checkout_name(checkout));
        if (checkout == FT_CHECKOUT_OFF && config->portone_base_url[0] != '\0')
            ft_log_warn("http.page_cannot_pay", "reason=\"FT_PORTONE_MERCHANT_CODE is not set: the page has no "
                                                "checkout (payments made elsewhere are still verified)\"");
        return true;
    }
    if (chosen) {
        snprintf(err, errlen, "FT_WEB_ROOT: %s", why);
        return false;
    }
    ft_log_warn("http.page_off", "reason=\"%s; set FT_WEB_ROOT\"", why);
    return true;
}

struct ft_server *ft_server_start(struct ft_app *app, char *err, size_t errlen)
{
    const struct ft_config *config = app->config;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)config->http_port) };
    if (inet_pton(AF_INET, config->http_addr, &address.sin_addr) != 1) {
        snprintf(err, errlen, "FT_HTTP_ADDR %s is not an IPv4 address", config->http_addr);
        return NULL;
    }
    struct ft_server *server = calloc(1, sizeof *server);
    if (server == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!ft_trusted_proxies_parse(config->trusted_proxies, &server->proxies, err, errlen) ||
        !open_page(config, &server->page, err, errlen)) {
        free(server);
        return NULL;
    }
    server->app = app;
    server->request_id_prefix = randombytes_random();
    server->blocking = ft_blocking_pool_start(config->http_blocking_threads,
                                              (size_t)config->http_blocking_threads * BLOCKING_QUEUE_PER_THREAD);
    if (server->blocking == NULL) {
        snprintf(err, errlen, "cannot start %d blocking threads", config->http_blocking_threads);
        ft_static_site_free(server->page);
        free(server);
        return NULL;
    }
    pthread_mutex_init(&server->lock, NULL);
    pthread_cond_init(&server->deferred_done, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned int threads = (unsigned int)(config->http_threads > 0 ? config->http_threads : cores);
    /* Per daemon: each of the threads runs one (http_loops.h), each takes its share. */
    unsigned int connection_limit = ((unsigned int)config->http_max_connections + threads - 1) / threads;
    const struct MHD_OptionItem options[] = {
        /* first: libmicrohttpd reports problems with the options after it to its own logger */
        { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, server },
        { MHD_OPTION_SOCK_ADDR, 0, &address },
        { MHD_OPTION_CONNECTION_LIMIT, connection_limit, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, config->http_timeout_seconds, NULL },
        /* libmicrohttpd zeroes a connection's memory after every request: its default 32 KB
         * cost the ingress about 8 % of its CPU in an on-sale (README, "Where the time goes"). */
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, config->http_connection_memory_bytes, NULL },
        /* SO_REUSEPORT: every daemon listens on the port; the kernel spreads the connections */
        { MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, server },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, server },
        { MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)on_unescape, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    char why[256];
    server->loops = ft_http_loops_start(threads, MHD_USE_ERROR_LOG, on_request, server, options, why, sizeof why);
    if (server->loops == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", config->http_addr, config->http_port, why);
        pthread_cond_destroy(&server->deferred_done);
        pthread_mutex_destroy(&server->lock);
        ft_blocking_pool_stop(server->blocking);
        ft_static_site_free(server->page);
        free(server);
        return NULL;
    }
    ft_log_info("http.listening",
                "addr=%s port=%d threads=%u blocking_threads=%d max_connections=%d trusted_proxies=%zu",
                config->http_addr, config->http_port, threads, config->http_blocking_threads,
                config->http_max_connections, server->proxies.count);
    return server;
}

void ft_server_drain(struct ft_server *server, int timeout_ms)
{
    struct timespec until = ft_clock_deadline(timeout_ms);
    pthread_mutex_lock(&server->lock);
    while (server->deferred > 0 && pthread_cond_timedwait(&server->deferred_done, &server->lock, &until) != ETIMEDOUT)
        ;
    long left = server->deferred;
    pthread_mutex_unlock(&server->lock);
    if (left > 0)
        ft_log_warn("http.drain_incomplete", "deferred=%ld", left);
}

void ft_server_stop(struct ft_server *server)
{
    if (server == NULL)
        return;
    /* Its last jobs resume their connections: the daemon must still run for that. */
    ft_blocking_pool_stop(server->blocking);
    ft_http_loops_stop(server->loops);
    pthread_cond_destroy(&server->deferred_done);
    pthread_mutex_destroy(&server->lock);
    ft_static_site_free(server->page);
    free(server);
}
