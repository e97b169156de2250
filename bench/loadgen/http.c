#include "http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ft/clock.h"
#include "ft/strbuf.h"

/* One request, from submission to its callback. Reused through the free list. */
struct request {
    struct request *next;                /* in the wait queue or the free list */
    struct request *run_prev, *run_next; /* in the list of transfers libcurl has */
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct ft_strbuf response;
    char error[CURL_ERROR_SIZE];
    int64_t queued_us;
    lg_http_done done;
    void *ctx;
    uint64_t tag;
};

struct lg_http {
    CURLM *multi;
    int epoll_fd;       /* the sockets libcurl wants watched (on_socket) */
    int64_t timer_due_us; /* when libcurl wants to be called with no socket ready; -1: never */
    char *base;
    int max_connections, timeout_ms;
    size_t running;                        /* handed to libcurl */
    struct request *run_head;              /* those transfers */
    struct request *wait_head, *wait_tail; /* submitted, not yet handed to libcurl */
    size_t waiting;
    struct request *free_list;
};

int64_t lg_now_us(void)
{
    return ft_clock_monotonic_us();
}

/* Bodies are JSON text: a NUL byte in one would cut it short, which the parser then refuses. */
static size_t on_data(char *data, size_t size, size_t count, void *userdata)
{
    struct request *r = userdata;
    size_t n = size * count;
    ft_strbuf_printf(&r->response, "%.*s", (int)n, data);
    return r->response.failed ? 0 : n; /* 0: libcurl fails the transfer */
}

/*
 * libcurl's socket interface: it says which sockets to watch and when to call it back,
 * and is called for the sockets that are ready, so that a step costs what the ready
 * transfers cost. (curl_multi_perform and curl_multi_poll visit every transfer and
 * every socket on each step: with hundreds of connections that was most of the load
 * generator's time, on the cores it shares with the stack it measures.)
 */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct lg_http *http = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(http->epoll_fd, EPOLL_CTL_DEL, fd, NULL); /* fails harmlessly when already closed */
        curl_multi_assign(http->multi, fd, NULL);
        return 0;
    }
    uint32_t events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    struct epoll_event ev = { .events = events, .data.fd = fd };
    if (socketp == NULL && epoll_ctl(http->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0)
        curl_multi_assign(http->multi, fd, http); /* any non-NULL: watched */
    else
        epoll_ctl(http->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct lg_http *http = userp;
    http->timer_due_us = timeout_ms < 0 ? -1 : lg_now_us() + (int64_t)timeout_ms * 1000;
    return 0;
}

struct lg_http *lg_http_new(const char *base_url, int max_connections, int timeout_ms)
{
    struct lg_http *http = calloc(1, sizeof *http);
    if (http == NULL)
        return NULL;
    http->timer_due_us = -1;
    http->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    http->multi = curl_multi_init();
    http->base = strdup(base_url);
    http->max_connections = max_connections > 0 ? max_connections : 1;
    http->timeout_ms = timeout_ms;
    if (http->multi == NULL || http->base == NULL || http->epoll_fd < 0) {
        lg_http_free(http);
        return NULL;
    }
    curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
    curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
    curl_multi_setopt(http->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)http->max_connections);
    curl_multi_setopt(http->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)http->max_connections);
    curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, (long)http->max_connections);
    return http;
}

static void request_free(struct request *r)
{
    if (r->easy != NULL)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    ft_strbuf_free(&r->response);
    free(r);
}

void lg_http_free(struct lg_http *http)
{
    if (http == NULL)
        return;
    struct request *lists[] = { http->wait_head, http->free_list };
    for (size_t i = 0; i < 2; i++)
        while (lists[i] != NULL) {
            struct request *next = lists[i]->next;
            request_free(lists[i]);
            lists[i] = next;
        }
    while (http->run_head != NULL) { /* transfers still in flight: abandoned */
        struct request *r = http->run_head;
        http->run_head = r->run_next;
        curl_multi_remove_handle(http->multi, r->easy);
        request_free(r);
    }
    if (http->multi != NULL)
        curl_multi_cleanup(http->multi);
    if (http->epoll_fd >= 0)
        close(http->epoll_fd);
    free(http->base);
    free(http);
}

static bool prepare(struct lg_http *http, struct request *r, const char *method, const char *path,
                    const char *bearer, const char *header, const char *json_body)
{
    CURL *e = r->easy;
    /* An absolute URL goes elsewhere (the PortOne imitation); a path goes to the base. */
    const char *base = strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0 ? "" : http->base;
    size_t url_len = strlen(base) + strlen(path) + 1;
    char *url = malloc(url_len);
    if (url == NULL)
        return false;
    snprintf(url, url_len, "%s%s", base, path);
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url); /* libcurl copies strings it is given */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)http->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    free(r->body);
    r->body = NULL;
    if (bearer != NULL) {
        size_t len = strlen(bearer) + 32;
        char *authorization = malloc(len);
        if (authorization == NULL)
            return false;
        snprintf(authorization, len, "Authorization: Bearer %s", bearer);
        struct curl_slist *h = curl_slist_append(r->headers, authorization);
        free(authorization);
        if (h == NULL)
            return false;
        r->headers = h;
    }
    if (json_body != NULL) {
        struct curl_slist *h = curl_slist_append(r->headers, "Content-Type: application/json");
        if (h == NULL || (r->body = strdup(json_body)) == NULL)
            return false;
        r->headers = h;
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    if (header != NULL) {
        struct curl_slist *extra = curl_slist_append(r->headers, header);
        if (extra == NULL)
            return false;
        r->headers = extra;
    }
    /* "Expect: 100-continue" would cost a round trip on bodies above 1 KiB. */
    struct curl_slist *h = curl_slist_append(r->headers, "Expect:");
    if (h == NULL)
        return false;
    r->headers = h;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    ft_strbuf_reset(&r->response);
    r->error[0] = '\0';
    return true;
}

static void start_waiting(struct lg_http *http)
{
    while (http->wait_head != NULL && http->running < (size_t)http->max_connections) {
        struct request *r = http->wait_head;
        http->wait_head = r->next;
        if (http->wait_head == NULL)
            http->wait_tail = NULL;
        http->waiting--;
        r->next = NULL;
        if (curl_multi_add_handle(http->multi, r->easy) == CURLM_OK) {
            http->running++;
            r->run_prev = NULL;
            r->run_next = http->run_head;
            if (http->run_head != NULL)
                http->run_head->run_prev = r;
            http->run_head = r;
        } else {
            struct lg_http_result result = { .status = 0, .body = "", .error = "curl_multi_add_handle failed",
                                             .queued_us = r->queued_us, .finished_us = lg_now_us() };
            r->done(&result, r->ctx, r->tag);
            r->next = http->free_list;
            http->free_list = r;
        }
    }
}

bool lg_http_submit(struct lg_http *http, const char *method, const char *path, const char *bearer,
                    const char *json_body, lg_http_done done, void *ctx, uint64_t tag)
{
    return lg_http_submit_with(http, method, path, bearer, NULL, json_body, done, ctx, tag);
}

bool lg_http_submit_with(struct lg_http *http, const char *method, const char *path, const char *bearer,
                         const char *header, const char *json_body, lg_http_done done, void *ctx, uint64_t tag)
{
    struct request *r = http->free_list;
    if (r != NULL) {
        http->free_list = r->next;
    } else {
        r = calloc(1, sizeof *r);
        if (r == NULL || (r->easy = curl_easy_init()) == NULL) {
            free(r);
            return false;
        }
    }
    r->next = NULL;
    if (!prepare(http, r, method, path, bearer, header, json_body)) {
        r->next = http->free_list;
        http->free_list = r;
        return false;
    }
    r->done = done;
    r->ctx = ctx;
    r->tag = tag;
    r->queued_us = lg_now_us();
    if (http->wait_tail != NULL)
        http->wait_tail->next = r;
    else
        http->wait_head = r;
    http->wait_tail = r;
    http->waiting++;
    start_waiting(http);
    return true;
}

/* Waits up to wait_ms (less when libcurl's timer is due sooner) and lets libcurl serve
 * the sockets that became ready, then its timer when it is due. */
static void serve_sockets(struct lg_http *http, int wait_ms)
{
    if (http->timer_due_us >= 0) {
        int64_t until_ms = (http->timer_due_us - lg_now_us() + 999) / 1000;
        if (until_ms < wait_ms)
            wait_ms = until_ms > 0 ? (int)until_ms : 0;
    }
    struct epoll_event events[256];
    int ready = epoll_wait(http->epoll_fd, events, 256, wait_ms > 0 ? wait_ms : 0);
    int still = 0;
    for (int i = 0; i < ready; i++) {
        int mask = ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                   ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((events[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(http->multi, events[i].data.fd, mask, &still);
    }
    if (http->timer_due_us >= 0 && lg_now_us() >= http->timer_due_us) {
        http->timer_due_us = -1;
        curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &still);
    }
}

void lg_http_step(struct lg_http *http, int wait_ms)
{
    serve_sockets(http, wait_ms);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg does not outlive curl_multi_remove_handle: read it first. */
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        struct request *r = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
        long status = 0;
        if (code == CURLE_OK)
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(http->multi, easy);
        http->running--;
        if (r->run_prev != NULL)
            r->run_prev->run_next = r->run_next;
        else
            http->run_head = r->run_next;
        if (r->run_next != NULL)
            r->run_next->run_prev = r->run_prev;
        struct lg_http_result result = {
            .status = status,
            .body = r->response.data != NULL && !r->response.failed ? r->response.data : "",
            .body_len = r->response.failed ? 0 : r->response.len,
            .error = code == CURLE_OK ? NULL : r->error[0] ? r->error : curl_easy_strerror(code),
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
    return http->running + http->waiting;
}
