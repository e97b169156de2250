#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ft/clock.h"
#include "ft/strbuf.h"

/* Bytes read per recv: a poll's answer is a few hundred, a seat map a few hundred KB. */
#define READ_CHUNK 65536
/* How often transfers are checked against their deadlines (they are seconds long). */
#define DEADLINE_SCAN_US 100000
/* A request that got no answer on a kept connection is sent again, once, on a new one, if
 * that is safe (may_send_again): the server may have closed the connection idle before it
 * read the request, or have read and acted on it before it closed. */
#define RETRIES_ON_CLOSED_KEPT 1

/* Where requests go: one server (host and port), with its connections kept alive. */
struct origin {
    struct origin *next;
    char *host, *port;
    char *host_header; /* "host:port" */
    struct addrinfo *addr;
    struct conn *idle; /* connections that finished their last request and stayed open */
};

/* One TCP connection; it carries one request at a time (no pipelining). */
struct conn {
    struct conn *prev, *next; /* in the list of every open connection */
    struct conn *next_idle;
    int fd;
    uint32_t watched; /* epoll events asked for */
    struct origin *origin;
    struct request *req; /* in flight, or NULL when idle */
    http_parser parser;
    size_t written;
    bool connecting; /* connect(2) has not finished */
    bool kept;       /* served a request before: the server may have closed it meanwhile */
    bool received;   /* a byte of the current answer came */
    bool complete;   /* the current answer ended */
};

/* One request, from submission to its callback. Reused through the free list. */
struct request {
    struct request *next; /* in the wait queue, the finished queue or the free list */
    struct origin *origin;
    struct ft_strbuf out;      /* the request as sent: line, headers, body */
    struct ft_strbuf response; /* the answer's body */
    long status;               /* 0: transport error, error_text says why */
    char error_text[160];
    int retries;
    bool resendable; /* GET, DELETE, or with an Idempotency-Key: the same effect when repeated */
    int64_t queued_us, deadline_us;
    lg_http_done done;
    void *ctx;
    uint64_t tag;
};

/* Requests in order: those waiting for a connection, or those whose callback is owed. */
struct queue {
    struct request *head, *tail;
    size_t count;
};

struct lg_http {
    int epoll_fd;
    int max_connections, timeout_ms;
    struct origin *origins; /* the first is the base's */
    char *base_path;        /* the base URL's path, without its trailing '/', put before each path */
    struct conn *conns;     /* every open connection */
    size_t running;         /* requests on a connection */
    struct queue waiting;  /* submitted, waiting for a connection */
    struct queue finished; /* their callbacks not yet called */
    struct request *free_list;
    int64_t next_scan_us;
};

int64_t lg_now_us(void)
{
    return ft_clock_monotonic_us();
}

static void queue_push(struct queue *q, struct request *r)
{
    r->next = NULL;
    if (q->tail != NULL)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    q->count++;
}

/* Puts r first: a request sent again keeps its turn. */
static void queue_push_front(struct queue *q, struct request *r)
{
    r->next = q->head;
    q->head = r;
    if (q->tail == NULL)
        q->tail = r;
    q->count++;
}

static struct request *queue_pop(struct queue *q)
{
    struct request *r = q->head;
    if (r == NULL)
        return NULL;
    q->head = r->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->count--;
    return r;
}

/* http_parser's callbacks: the body, and the end of the answer. */
static int on_body(http_parser *parser, const char *at, size_t length)
{
    struct conn *c = parser->data;
    ft_strbuf_append(&c->req->response, at, length);
    return c->req->response.failed ? 1 : 0; /* non-zero: the parser stops with an error */
}

static int on_message_complete(http_parser *parser)
{
    struct conn *c = parser->data;
    c->complete = true;
    return 0;
}

static const http_parser_settings PARSER_SETTINGS = {
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void origin_free(struct origin *o)
{
    if (o->addr != NULL)
        freeaddrinfo(o->addr);
    free(o->host);
    free(o->port);
    free(o->host_header);
    free(o);
}

/* The origin of host:port, made (and its address resolved) the first time; NULL when
 * the name does not resolve or memory ran out. */
static struct origin *origin_for(struct lg_http *http, const char *host, const char *port)
{
    struct origin **tail = &http->origins;
    for (; *tail != NULL; tail = &(*tail)->next)
        if (strcmp((*tail)->host, host) == 0 && strcmp((*tail)->port, port) == 0)
            return *tail;
    struct origin *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->host = strdup(host);
    o->port = strdup(port);
    struct ft_strbuf header;
    ft_strbuf_init(&header);
    ft_strbuf_printf(&header, "%s:%s", host, port);
    o->host_header = ft_strbuf_take(&header);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    if (o->host == NULL || o->port == NULL || o->host_header == NULL ||
        getaddrinfo(host, port, &hints, &o->addr) != 0) {
        origin_free(o);
        return NULL;
    }
    *tail = o;
    return o;
}

/* Parts of an absolute URL, by libcurl's URL parser; false when it is not an http:// URL. */
struct url_parts {
    char *host, *port, *path, *query;
};

static void url_parts_free(struct url_parts *u)
{
    curl_free(u->host);
    curl_free(u->port);
    curl_free(u->path);
    curl_free(u->query);
}

static bool url_split(const char *url, struct url_parts *out)
{
    *out = (struct url_parts){ 0 };
    CURLU *u = curl_url();
    char *scheme = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && strcmp(scheme, "http") == 0 &&
              curl_url_get(u, CURLUPART_HOST, &out->host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &out->port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PATH, &out->path, 0) == CURLUE_OK;
    if (ok && curl_url_get(u, CURLUPART_QUERY, &out->query, 0) != CURLUE_OK)
        out->query = NULL; /* none */
    curl_free(scheme);
    curl_url_cleanup(u);
    if (!ok)
        url_parts_free(out);
    return ok;
}

struct lg_http *lg_http_new(const char *base_url, int max_connections, int timeout_ms)
{
    struct lg_http *http = calloc(1, sizeof *http);
    if (http == NULL)
        return NULL;
    http->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    http->max_connections = max_connections > 0 ? max_connections : 1;
    http->timeout_ms = timeout_ms;
    struct url_parts base;
    if (http->epoll_fd < 0 || !url_split(base_url, &base)) {
        lg_http_free(http);
        return NULL;
    }
    size_t path_len = strlen(base.path);
    while (path_len > 0 && base.path[path_len - 1] == '/')
        path_len--;
    http->base_path = strndup(base.path, path_len);
    bool ok = http->base_path != NULL && origin_for(http, base.host, base.port) != NULL;
    url_parts_free(&base);
    if (!ok) {
        lg_http_free(http);
        return NULL;
    }
    return http;
}

static void request_free(struct request *r)
{
    ft_strbuf_free(&r->out);
    ft_strbuf_free(&r->response);
    free(r);
}

static void conn_close(struct lg_http *http, struct conn *c)
{
    close(c->fd); /* also takes it out of the epoll set */
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        http->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->req == NULL) /* idle: in its origin's list */
        for (struct conn **p = &c->origin->idle; *p != NULL; p = &(*p)->next_idle)
            if (*p == c) {
                *p = c->next_idle;
                break;
            }
    free(c);
}

void lg_http_free(struct lg_http *http)
{
    if (http == NULL)
        return;
    while (http->conns != NULL) { /* requests still in flight are abandoned */
        struct conn *c = http->conns;
        if (c->req != NULL)
            request_free(c->req);
        c->req = NULL;
        conn_close(http, c);
    }
    struct request *lists[] = { http->waiting.head, http->finished.head, http->free_list };
    for (size_t i = 0; i < 3; i++)
        while (lists[i] != NULL) {
            struct request *next = lists[i]->next;
            request_free(lists[i]);
            lists[i] = next;
        }
    while (http->origins != NULL) {
        struct origin *next = http->origins->next;
        origin_free(http->origins);
        http->origins = next;
    }
    if (http->epoll_fd >= 0)
        close(http->epoll_fd);
    free(http->base_path);
    free(http);
}

static void watch(struct lg_http *http, struct conn *c, uint32_t events)
{
    if (c->watched == events)
        return;
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(http->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
    c->watched = events;
}

/* A new connection to o, connecting; NULL (errno set) when the socket could not be made. */
static struct conn *conn_open(struct lg_http *http, struct origin *o)
{
    int fd = -1;
    int err = EADDRNOTAVAIL;
    for (struct addrinfo *a = o->addr; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* a request is one write: send it now */
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    struct conn *c = fd >= 0 ? calloc(1, sizeof *c) : NULL;
    if (c == NULL) {
        if (fd >= 0)
            close(fd);
        errno = fd >= 0 ? ENOMEM : err;
        return NULL;
    }
    *c = (struct conn){ .fd = fd, .origin = o, .connecting = true, .watched = EPOLLIN | EPOLLOUT };
    struct epoll_event ev = { .events = c->watched, .data.ptr = c };
    if (epoll_ctl(http->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        err = errno;
        close(fd);
        free(c);
        errno = err;
        return NULL;
    }
    c->next = http->conns;
    if (http->conns != NULL)
        http->conns->prev = c;
    http->conns = c;
    return c;
}

/* A request that never got onto a connection, failed with errno's reason. */
static void fail_unsent(struct lg_http *http, struct request *r, const char *what)
{
    r->status = 0;
    snprintf(r->error_text, sizeof r->error_text, "%s: %s", what, strerror(errno));
    queue_push(&http->finished, r);
}

/* The connection's request ended: failed (status 0, reason given) or answered by a
 * response that ended with the connection (reason NULL). The connection is closed. */
static void end_with_close(struct lg_http *http, struct conn *c, const char *reason, const char *detail)
{
    struct request *r = c->req;
    r->status = reason == NULL ? c->parser.status_code : 0;
    r->error_text[0] = '\0';
    http->running--;
    conn_close(http, c); /* c->req is set: not looked for among the idle */
    if (reason != NULL)
        snprintf(r->error_text, sizeof r->error_text, "%s%s%s", reason, detail ? ": " : "", detail ? detail : "");
    queue_push(&http->finished, r);
}

/* The server closed a kept connection before answering: the request goes first in the
 * queue again, to be sent on another connection. */
static void send_again(struct lg_http *http, struct conn *c)
{
    struct request *r = c->req;
    http->running--;
    conn_close(http, c); /* c->req is set: not looked for among the idle */
    r->retries++;
    ft_strbuf_reset(&r->response);
    queue_push_front(&http->waiting, r);
}

/* The connection's request got its whole answer; the connection stays for the next one
 * unless the server said it closes it. */
static void finish(struct lg_http *http, struct conn *c)
{
    /* An answer before the whole request was sent leaves the rest unsent: not reusable. */
    if (!http_should_keep_alive(&c->parser) || c->written < c->req->out.len) {
        end_with_close(http, c, NULL, NULL);
        return;
    }
    struct request *r = c->req;
    r->status = c->parser.status_code;
    r->error_text[0] = '\0';
    http->running--;
    c->req = NULL;
    c->kept = true;
    c->next_idle = c->origin->idle;
    c->origin->idle = c;
    watch(http, c, EPOLLIN); /* a close by the server is seen while idle */
    queue_push(&http->finished, r);
}

/* Whether the request of a kept connection that failed before any answer may go again:
 * when repeating it has the same effect, or when not a byte of it was sent. */
static bool may_send_again(const struct conn *c)
{
    const struct request *r = c->req;
    return c->kept && !c->received && r->retries < RETRIES_ON_CLOSED_KEPT && (r->resendable || c->written == 0);
}

/* Writes what is left of the request; false when the connection was closed. */
static bool flush(struct lg_http *http, struct conn *c)
{
    struct ft_strbuf *out = &c->req->out;
    while (c->written < out->len) {
        ssize_t n = send(c->fd, out->data + c->written, out->len - c->written, MSG_NOSIGNAL);
        if (n > 0) {
            c->written += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(http, c, EPOLLIN | EPOLLOUT);
            return true;
        } else {
            if (may_send_again(c))
                send_again(http, c);
            else
                end_with_close(http, c, "send", strerror(errno));
            return false;
        }
    }
    watch(http, c, EPOLLIN);
    return true;
}

/* Puts r on connection c (kept, or just opened) and starts sending it. */
static void begin(struct lg_http *http, struct conn *c, struct request *r)
{
    c->req = r;
    c->written = 0;
    c->received = c->complete = false;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    r->deadline_us = lg_now_us() + (int64_t)http->timeout_ms * 1000;
    http->running++;
    if (!c->connecting)
        flush(http, c);
}

/* Hands waiting requests to connections, oldest first, while fewer than max_connections
 * are in flight. */
static void start_waiting(struct lg_http *http)
{
    while (http->waiting.head != NULL && http->running < (size_t)http->max_connections) {
        struct request *r = queue_pop(&http->waiting);
        struct conn *c = r->retries == 0 ? r->origin->idle : NULL; /* sent again: on a new connection */
        if (c != NULL) {
            r->origin->idle = c->next_idle;
        } else if ((c = conn_open(http, r->origin)) == NULL) {
            fail_unsent(http, r, "connect");
            continue;
        }
        begin(http, c, r);
    }
}

bool lg_http_submit(struct lg_http *http, const char *method, const char *path, const char *bearer,
                    const char *json_body, lg_http_done done, void *ctx, uint64_t tag)
{
    return lg_http_submit_with(http, method, path, bearer, NULL, json_body, done, ctx, tag);
}

/* Writes the request line and headers (and the body) into r->out. */
static bool compose(struct lg_http *http, struct request *r, const char *method, const char *path,
                    const char *bearer, const char *header, const char *json_body)
{
    ft_strbuf_reset(&r->out);
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
        struct url_parts u; /* elsewhere than the base (the PortOne imitation) */
        if (!url_split(path, &u))
            return false;
        r->origin = origin_for(http, u.host, u.port);
        ft_strbuf_printf(&r->out, "%s %s%s%s HTTP/1.1\r\n", method, u.path, u.query ? "?" : "", u.query ? u.query : "");
        url_parts_free(&u);
        if (r->origin == NULL)
            return false;
    } else {
        r->origin = http->origins;
        ft_strbuf_printf(&r->out, "%s %s%s HTTP/1.1\r\n", method, http->base_path, path);
    }
    ft_strbuf_printf(&r->out, "Host: %s\r\n", r->origin->host_header);
    if (bearer != NULL)
        ft_strbuf_printf(&r->out, "Authorization: Bearer %s\r\n", bearer);
    if (header != NULL)
        ft_strbuf_printf(&r->out, "%s\r\n", header);
    if (json_body != NULL)
        ft_strbuf_printf(&r->out, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(json_body),
                         json_body);
    else if (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0)
        ft_strbuf_printf(&r->out, "\r\n");
    else
        ft_strbuf_printf(&r->out, "Content-Length: 0\r\n\r\n");
    return !r->out.failed;
}

bool lg_http_submit_with(struct lg_http *http, const char *method, const char *path, const char *bearer,
                         const char *header, const char *json_body, lg_http_done done, void *ctx, uint64_t tag)
{
    struct request *r = http->free_list;
    if (r != NULL)
        http->free_list = r->next;
    else if ((r = calloc(1, sizeof *r)) == NULL)
        return false;
    if (!compose(http, r, method, path, bearer, header, json_body)) {
        r->next = http->free_list;
        http->free_list = r;
        return false;
    }
    ft_strbuf_reset(&r->response);
    r->retries = 0;
    r->resendable = strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0 ||
                    (header != NULL && strncasecmp(header, "Idempotency-Key:", 16) == 0);
    r->done = done;
    r->ctx = ctx;
    r->tag = tag;
    r->queued_us = lg_now_us();
    queue_push(&http->waiting, r);
    start_waiting(http);
    return true;
}

/* connect(2) finished, well or not; false when the connection was closed. */
static bool connected(struct lg_http *http, struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0) {
        end_with_close(http, c, "connect", strerror(err));
        return false;
    }
    c->connecting = false;
    return flush(http, c);
}

/* The server closed the connection, or it broke (err != 0). */
static void closed_by_server(struct lg_http *http, struct conn *c, int err)
{
    if (c->req == NULL) {
        conn_close(http, c);
    } else if (may_send_again(c)) {
        send_again(http, c);
    } else if (err == 0 && (http_parser_execute(&c->parser, &PARSER_SETTINGS, NULL, 0), c->complete)) {
        end_with_close(http, c, NULL, NULL); /* an answer whose end is the connection's */
    } else {
        end_with_close(http, c, err ? "recv" : "connection closed before the answer ended", err ? strerror(err) : NULL);
    }
}

/* Reads what came and feeds the parser. */
static void readable(struct lg_http *http, struct conn *c)
{
    char buf[READ_CHUNK];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            closed_by_server(http, c, n < 0 ? errno : 0);
            return;
        }
        if (c->req == NULL) { /* bytes nobody asked for */
            conn_close(http, c);
            return;
        }
        c->received = true;
        size_t parsed = http_parser_execute(&c->parser, &PARSER_SETTINGS, buf, (size_t)n);
        enum http_errno parse_error = HTTP_PARSER_ERRNO(&c->parser);
        if (parse_error != HPE_OK || (parsed != (size_t)n && !c->complete)) {
            end_with_close(http, c, "bad answer", http_errno_description(parse_error));
            return;
        }
        if (c->complete) {
            finish(http, c);
            return;
        }
        if ((size_t)n < sizeof buf) /* the rest, if any, when epoll says so */
            return;
    }
}

/* Fails the requests past their deadline. */
static void enforce_deadlines(struct lg_http *http, int64_t now)
{
    for (struct conn *c = http->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (c->req != NULL && now >= c->req->deadline_us)
            end_with_close(http, c, "timed out", NULL);
    }
}

void lg_http_step(struct lg_http *http, int wait_ms)
{
    int64_t now = lg_now_us();
    if (http->running > 0 && http->next_scan_us > now) {
        int64_t until_ms = (http->next_scan_us - now + 999) / 1000;
        if (until_ms < wait_ms)
            wait_ms = (int)until_ms;
    }
    struct epoll_event events[256];
    /* Callbacks owed (a request that failed before it reached a connection): no sleep. */
    int ready = epoll_wait(http->epoll_fd, events, 256, http->finished.count > 0 || wait_ms < 0 ? 0 : wait_ms);
    for (int i = 0; i < ready; i++) {
        struct conn *c = events[i].data.ptr;
        uint32_t got = events[i].events;
        if (c->connecting) {
            if ((got & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && !connected(http, c))
                continue;
            if (c->connecting)
                continue;
        } else if ((got & EPOLLOUT) && c->req != NULL && c->written < c->req->out.len && !flush(http, c)) {
            continue;
        }
        if (got & (EPOLLIN | EPOLLERR | EPOLLHUP))
            readable(http, c);
    }
    now = lg_now_us();
    if (now >= http->next_scan_us) {
        enforce_deadlines(http, now);
        http->next_scan_us = now + DEADLINE_SCAN_US;
    }
    struct request *r;
    while ((r = queue_pop(&http->finished)) != NULL) { /* callbacks may submit, and fail at once */
        struct lg_http_result result = {
            .status = r->status,
            .body = r->response.data != NULL && !r->response.failed ? r->response.data : "",
            .body_len = r->response.failed ? 0 : r->response.len,
            .error = r->status == 0 ? r->error_text : NULL,
            .queued_us = r->queued_us,
            .finished_us = lg_now_us(),
        };
        r->done(&result, r->ctx, r->tag);
        r->next = http->free_list;
        http->free_list = r;
    }
    start_waiting(http);
}

size_t lg_http_pending(const struct lg_http *http)
{
    return http->running + http->waiting.count + http->finished.count;
}
