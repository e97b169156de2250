#include "ft/portone.h"

#include "ft/clock.h"
#include "ft/log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Answers larger than this are refused (UNAVAILABLE): PortOne's are a few KiB. */
#define FT_PORTONE_MAX_BODY (1024 * 1024)
/* A cached token is renewed this long before PortOne says it expires. */
#define FT_PORTONE_TOKEN_MARGIN_S 60
/* curl handles kept between calls, at most: about the threads that call at once. */
#define FT_PORTONE_IDLE_HANDLES 32

struct ft_portone {
    char *base_url; /* without a trailing '/' */
    char *imp_key;
    char *imp_secret;
    long timeout_ms;
    pthread_mutex_t lock; /* guards token and token_expiry */
    char *token;          /* NULL when none is cached */
    double token_expiry;  /* monotonic seconds after which the token is not used any more */
    /*
     * Handles of finished calls. Each keeps its connection open, so the next call skips
     * the TCP (and, with the real PortOne, TLS) handshake: a new handle per call cost a
     * connection per call. A handle serves one call at a time (curl's connection cache is
     * not to be shared by threads at once), hence a stack rather than one shared handle.
     */
    pthread_mutex_t idle_lock;
    CURL *idle[FT_PORTONE_IDLE_HANDLES];
    size_t idle_count;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double monotonic_seconds(void)
{
    return (double)ft_clock_monotonic_ms() / 1000.0;
}

const char *ft_portone_result_name(enum ft_portone_result result)
{
    switch (result) {
    case FT_PORTONE_OK: return "ok";
    case FT_PORTONE_NOT_FOUND: return "not_found";
    case FT_PORTONE_UNAUTHORIZED: return "unauthorized";
    case FT_PORTONE_UNAVAILABLE: return "unavailable";
    case FT_PORTONE_REFUSED: return "refused";
    }
    return "unknown";
}

const char *ft_portone_status_name(enum ft_portone_status status)
{
    switch (status) {
    case FT_PORTONE_STATUS_READY: return "ready";
    case FT_PORTONE_STATUS_PAID: return "paid";
    case FT_PORTONE_STATUS_CANCELLED: return "cancelled";
    case FT_PORTONE_STATUS_FAILED: return "failed";
    case FT_PORTONE_STATUS_OTHER: break;
    }
    return "other";
}

struct ft_portone *ft_portone_new(const char *base_url, const char *imp_key, const char *imp_secret, int timeout_ms)
{
    if (base_url == NULL || imp_key == NULL || imp_secret == NULL || base_url[0] == '\0' || timeout_ms <= 0)
        return NULL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_code != CURLE_OK)
        return NULL;
    struct ft_portone *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    size_t len = strlen(base_url);
    while (len > 0 && base_url[len - 1] == '/')
        len--;
    p->base_url = strndup(base_url, len);
    p->imp_key = strdup(imp_key);
    p->imp_secret = strdup(imp_secret);
    p->timeout_ms = timeout_ms;
    bool lock_ok = pthread_mutex_init(&p->lock, NULL) == 0;
    bool idle_lock_ok = pthread_mutex_init(&p->idle_lock, NULL) == 0;
    if (p->base_url == NULL || p->imp_key == NULL || p->imp_secret == NULL || !lock_ok || !idle_lock_ok) {
        if (lock_ok)
            pthread_mutex_destroy(&p->lock);
        if (idle_lock_ok)
            pthread_mutex_destroy(&p->idle_lock);
        free(p->base_url);
        free(p->imp_key);
        free(p->imp_secret);
        free(p);
        return NULL;
    }
    return p;
}

/* Overwrites a secret before freeing it (volatile so the stores are not elided). */
static void free_secret(char *s)
{
    if (s == NULL)
        return;
    for (volatile char *c = s; *c != '\0'; c++)
        *c = '\0';
    free(s);
}

void ft_portone_free(struct ft_portone *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->idle_count; i++)
        curl_easy_cleanup(p->idle[i]);
    pthread_mutex_destroy(&p->idle_lock);
    pthread_mutex_destroy(&p->lock);
    free_secret(p->token);
    free_secret(p->imp_secret);
    free(p->imp_key);
    free(p->base_url);
    free(p);
}

/* ---- one HTTP exchange ---- */

struct body {
    char *data;
    size_t len;
    bool too_large;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct body *b = userdata;
    size_t n = size * nmemb;
    if (n > FT_PORTONE_MAX_BODY - b->len) {
        b->too_large = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    char *grown = realloc(b->data, b->len + n + 1);
    if (grown == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* A handle for one call: an idle one with its open connection, else a new one. */
static CURL *handle_take(struct ft_portone *p)
{
    CURL *curl = NULL;
    pthread_mutex_lock(&p->idle_lock);
    if (p->idle_count > 0)
        curl = p->idle[--p->idle_count];
    pthread_mutex_unlock(&p->idle_lock);
    return curl != NULL ? curl : curl_easy_init();
}

/* Keeps a finished call's handle, options cleared (its connections stay), or frees it. */
static void handle_give_back(struct ft_portone *p, CURL *curl)
{
    if (curl == NULL)
        return;
    curl_easy_reset(curl);
    pthread_mutex_lock(&p->idle_lock);
    bool kept = p->idle_count < FT_PORTONE_IDLE_HANDLES;
    if (kept)
        p->idle[p->idle_count++] = curl;
    pthread_mutex_unlock(&p->idle_lock);
    if (!kept)
        curl_easy_cleanup(curl);
}

/* How an exchange went, before its meaning for the caller is decided. */
struct answer {
    bool transport_ok; /* an HTTP answer with a complete body arrived */
    long status;       /* its HTTP status */
    json_t *envelope;  /* the {code, message, response} object, NULL when unparsable */
    long long code;    /* envelope.code, meaningful when envelope != NULL */
};

/*
 * Sends `method` `path` (already escaped) with the JSON `request` (may be NULL) and
 * the bearer `token` (may be NULL) and reads the answer into *a (a->envelope is the
 * caller's to json_decref). `what` names the call in logs.
 */
static void exchange(struct ft_portone *p, const char *method, const char *path, const json_t *request,
                     const char *token, const char *what, struct answer *a)
{
    memset(a, 0, sizeof *a);
    CURL *curl = handle_take(p);
    char *payload = request != NULL ? json_dumps(request, JSON_COMPACT) : NULL;
    size_t url_len = strlen(p->base_url) + strlen(path) + 1;
    char *url = malloc(url_len);
    size_t auth_len = token != NULL ? strlen(token) + 32 : 0;
    char *auth = token != NULL ? malloc(auth_len) : NULL;
    struct curl_slist *headers = NULL, *more = NULL;
    struct body body = {0};
    if (curl == NULL || url == NULL || (request != NULL && payload == NULL) || (token != NULL && auth == NULL)) {
        ft_log_error("portone.out_of_memory", "call=%s", what);
        goto done;
    }
    snprintf(url, url_len, "%s%s", p->base_url, path);
    if (auth != NULL)
        snprintf(auth, auth_len, "Authorization: Bearer %s", token);
    const char *lines[] = {"Accept: application/json", payload != NULL ? "Content-Type: application/json" : NULL,
                           auth};
    bool headers_ok = true;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0] && headers_ok; i++) {
        if (lines[i] == NULL)
            continue;
        more = curl_slist_append(headers, lines[i]);
        if (more == NULL)
            headers_ok = false;
        else
            headers = more;
    }
    if (!headers_ok) {
        ft_log_error("portone.out_of_memory", "call=%s", what);
        goto done;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, p->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, p->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FT_PORTONE_MAX_BODY);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "fair-ticket");
    if (payload != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
    }
    if (strcmp(method, "GET") != 0 && payload == NULL)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED)
            ft_log_warn("portone.unavailable", "call=%s reason=\"answer over %d bytes\"", what, FT_PORTONE_MAX_BODY);
        else
            ft_log_warn("portone.unavailable", "call=%s curl=%d reason=\"%s\"", what, (int)rc, curl_easy_strerror(rc));
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
    a->transport_ok = true;
    json_error_t error;
    json_t *envelope = body.data != NULL ? json_loadb(body.data, body.len, 0, &error) : NULL;
    json_t *code = json_object_get(envelope, "code");
    if (json_is_object(envelope) && json_is_integer(code)) {
        a->envelope = envelope;
        a->code = json_integer_value(code);
    } else {
        json_decref(envelope);
    }
done:
    free(body.data);
    curl_slist_free_all(headers);
    if (auth != NULL) {
        memset(auth, 0, auth_len);
        free(auth);
    }
    free(url);
    if (payload != NULL) {
        memset(payload, 0, strlen(payload)); /* getToken's carries the secret */
        free(payload);
    }
    handle_give_back(p, curl);
}

/* ---- the access token ---- */

/*
 * Asks PortOne for a token (POST /users/getToken) and caches it. Called with p->lock
 * held, so that concurrent callers wait for one request instead of each making their own.
 */
static enum ft_portone_result token_fetch_locked(struct ft_portone *p)
{
    json_t *request = json_pack("{s:s, s:s}", "imp_key", p->imp_key, "imp_secret", p->imp_secret);
    if (request == NULL)
        return FT_PORTONE_UNAVAILABLE;
    struct answer a;
    exchange(p, "POST", "/users/getToken", request, NULL, "getToken", &a);
    json_object_clear(request); /* the secret's copy */
    json_decref(request);
    enum ft_portone_result result = FT_PORTONE_UNAVAILABLE;
    if (!a.transport_ok) {
        result = FT_PORTONE_UNAVAILABLE;
    } else if (a.status == 401 || a.status == 403) {
        ft_log_warn("portone.unauthorized", "call=getToken status=%ld", a.status);
        result = FT_PORTONE_UNAUTHORIZED;
    } else if (a.status != 200 || a.envelope == NULL || a.code != 0) {
        ft_log_warn("portone.unavailable", "call=getToken status=%ld code=%lld", a.status,
                    a.envelope != NULL ? a.code : 0LL);
        result = a.status == 200 && a.envelope != NULL ? FT_PORTONE_UNAUTHORIZED : FT_PORTONE_UNAVAILABLE;
    } else {
        json_t *response = json_object_get(a.envelope, "response");
        const char *token = json_string_value(json_object_get(response, "access_token"));
        json_t *expired_at = json_object_get(response, "expired_at");
        json_t *now = json_object_get(response, "now");
        if (token == NULL || token[0] == '\0' || strlen(token) > 4096 || !json_is_integer(expired_at)) {
            ft_log_warn("portone.unavailable", "call=getToken reason=\"malformed answer\"");
        } else {
            char *copy = strdup(token);
            if (copy != NULL) {
                /* PortOne's clock may differ from ours: use the lifetime it states. */
                long long server_now = json_is_integer(now) ? json_integer_value(now) : (long long)time(NULL);
                double lifetime = (double)(json_integer_value(expired_at) - server_now);
                double margin = lifetime > 2 * FT_PORTONE_TOKEN_MARGIN_S ? FT_PORTONE_TOKEN_MARGIN_S : lifetime / 2;
                free_secret(p->token);
                p->token = copy;
                p->token_expiry = monotonic_seconds() + lifetime - margin;
                result = FT_PORTONE_OK;
            }
        }
    }
    json_decref(a.envelope);
    return result;
}

/*
 * Copies a usable token into *token (the caller frees it with free_secret), fetching one
 * when none is cached, the cached one is near its expiry, or `stale` (the token PortOne
 * just refused with 401; NULL if none) is still the cached one.
 */
static enum ft_portone_result token_get(struct ft_portone *p, const char *stale, char **token)
{
    *token = NULL;
    pthread_mutex_lock(&p->lock);
    enum ft_portone_result result = FT_PORTONE_OK;
    if (p->token == NULL || monotonic_seconds() >= p->token_expiry ||
        (stale != NULL && strcmp(stale, p->token) == 0))
        result = token_fetch_locked(p);
    if (result == FT_PORTONE_OK) {
        *token = strdup(p->token);
        if (*token == NULL)
            result = FT_PORTONE_UNAVAILABLE;
    }
    pthread_mutex_unlock(&p->lock);
    return result;
}

/* ---- the calls ---- */

/* Copies a JSON string into a fixed buffer; false when absent or too long. */
static bool copy_string(const json_t *value, char *dst, size_t size)
{
    const char *s = json_string_value(value);
    if (s == NULL || strlen(s) >= size)
        return false;
    memcpy(dst, s, strlen(s) + 1);
    return true;
}

/* Reads a whole amount (an integer, or a real with no fraction); false otherwise. */
static bool read_amount(const json_t *value, int64_t *out)
{
    if (json_is_integer(value)) {
        *out = (int64_t)json_integer_value(value);
        return true;
    }
    if (json_is_real(value)) {
        double d = json_real_value(value);
        if (d >= -9.0e15 && d <= 9.0e15 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

static enum ft_portone_status parse_status(const char *s)
{
    if (s == NULL)
        return FT_PORTONE_STATUS_OTHER;
    if (strcmp(s, "ready") == 0)
        return FT_PORTONE_STATUS_READY;
    if (strcmp(s, "paid") == 0)
        return FT_PORTONE_STATUS_PAID;
    if (strcmp(s, "cancelled") == 0)
        return FT_PORTONE_STATUS_CANCELLED;
    if (strcmp(s, "failed") == 0)
        return FT_PORTONE_STATUS_FAILED;
    return FT_PORTONE_STATUS_OTHER;
}

/* Fills *out from PortOne's payment object; false when a needed field is missing or bad. */
static bool parse_payment(const json_t *payment, struct ft_portone_payment *out)
{
    if (!json_is_object(payment))
        return false;
    if (!copy_string(json_object_get(payment, "imp_uid"), out->imp_uid, sizeof out->imp_uid) ||
        !copy_string(json_object_get(payment, "merchant_uid"), out->merchant_uid, sizeof out->merchant_uid) ||
        !copy_string(json_object_get(payment, "currency"), out->currency, sizeof out->currency) ||
        !read_amount(json_object_get(payment, "amount"), &out->amount))
        return false;
    json_t *cancel_amount = json_object_get(payment, "cancel_amount");
    if (cancel_amount == NULL || json_is_null(cancel_amount))
        out->cancel_amount = 0;
    else if (!read_amount(cancel_amount, &out->cancel_amount))
        return false;
    json_t *paid_at = json_object_get(payment, "paid_at");
    out->paid_at = json_is_integer(paid_at) ? (int64_t)json_integer_value(paid_at) : 0;
    out->status = parse_status(json_string_value(json_object_get(payment, "status")));
    return true;
}

/* Keeps PortOne's message (cut to fit, at a UTF-8 character boundary). */
static void keep_message(const json_t *envelope, struct ft_portone_payment *out)
{
    const char *m = json_string_value(json_object_get(envelope, "message"));
    if (m == NULL)
        return;
    size_t n = strlen(m);
    if (n >= sizeof out->message) {
        n = sizeof out->message - 1;
        while (n > 0 && ((unsigned char)m[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out->message, m, n);
    out->message[n] = '\0';
}

/* An OK answer about another payment than the one asked for is not believed. */
static enum ft_portone_result check_same_payment(enum ft_portone_result result, const char *imp_uid,
                                                 const char *what, struct ft_portone_payment *out)
{
    if (result != FT_PORTONE_OK || strcmp(out->imp_uid, imp_uid) == 0)
        return result;
    ft_log_warn("portone.unavailable", "call=%s reason=\"answer about another payment\"", what);
    memset(out, 0, sizeof *out);
    return FT_PORTONE_UNAVAILABLE;
}

/*
 * Makes an authenticated call and decides what it came to: takes a token, sends, and on
 * 401 renews the token and sends once more. On OK fills *out from the answer's payment.
 */
static enum ft_portone_result call(struct ft_portone *p, const char *method, const char *path,
                                   const json_t *request, const char *what, struct ft_portone_payment *out)
{
    char *token = NULL;
    struct answer a = {0};
    enum ft_portone_result result = FT_PORTONE_UNAVAILABLE;
    for (int attempt = 0; attempt < 2; attempt++) {
        char *stale = token;
        result = token_get(p, stale, &token);
        free_secret(stale);
        if (result != FT_PORTONE_OK)
            goto done;
        json_decref(a.envelope);
        exchange(p, method, path, request, token, what, &a);
        if (!a.transport_ok || a.status != 401)
            break;
        ft_log_info("portone.token_refused", "call=%s attempt=%d", what, attempt + 1);
    }
    if (!a.transport_ok) {
        result = FT_PORTONE_UNAVAILABLE;
    } else if (a.status == 401) {
        ft_log_warn("portone.unauthorized", "call=%s", what);
        result = FT_PORTONE_UNAUTHORIZED;
    } else if (a.status == 404) {
        keep_message(a.envelope, out);
        result = FT_PORTONE_NOT_FOUND;
    } else if (a.status >= 500 || a.status == 408 || a.status == 429 || a.status < 200 ||
               (a.status >= 300 && a.status < 400)) {
        ft_log_warn("portone.unavailable", "call=%s status=%ld", what, a.status);
        result = FT_PORTONE_UNAVAILABLE;
    } else if (a.status >= 400 || (a.envelope != NULL && a.code != 0)) {
        keep_message(a.envelope, out);
        ft_log_info("portone.refused", "call=%s status=%ld code=%lld", what, a.status,
                    a.envelope != NULL ? a.code : 0LL);
        result = FT_PORTONE_REFUSED;
    } else if (a.envelope == NULL || !parse_payment(json_object_get(a.envelope, "response"), out)) {
        ft_log_warn("portone.unavailable", "call=%s status=%ld reason=\"malformed answer\"", what, a.status);
        memset(out, 0, sizeof *out);
        result = FT_PORTONE_UNAVAILABLE;
    } else {
        result = FT_PORTONE_OK;
    }
done:
    json_decref(a.envelope);
    free_secret(token);
    return result;
}

/* A GET of `before` + id (escaped into one path segment) + `after`. */
static enum ft_portone_result get_about(struct ft_portone *p, const char *before, const char *id, const char *after,
                                        const char *what, struct ft_portone_payment *out)
{
    CURL *curl = curl_easy_init();
    char *escaped = curl != NULL ? curl_easy_escape(curl, id, 0) : NULL;
    size_t size = escaped != NULL ? strlen(before) + strlen(escaped) + strlen(after) + 1 : 0;
    char *path = escaped != NULL ? malloc(size) : NULL;
    enum ft_portone_result result = FT_PORTONE_UNAVAILABLE;
    if (path != NULL) {
        snprintf(path, size, "%s%s%s", before, escaped, after);
        result = call(p, "GET", path, NULL, what, out);
    }
    free(path);
    curl_free(escaped);
    curl_easy_cleanup(curl);
    return result;
}

enum ft_portone_result ft_portone_get_payment(struct ft_portone *p, const char *imp_uid,
                                              struct ft_portone_payment *out)
{
    memset(out, 0, sizeof *out);
    if (imp_uid == NULL || imp_uid[0] == '\0' || strlen(imp_uid) >= sizeof out->imp_uid)
        return FT_PORTONE_NOT_FOUND;
    return check_same_payment(get_about(p, "/payments/", imp_uid, "", "get_payment", out), imp_uid, "get_payment",
                              out);
}

enum ft_portone_result ft_portone_find_paid(struct ft_portone *p, const char *merchant_uid,
                                             struct ft_portone_payment *out)
{
    memset(out, 0, sizeof *out);
    if (merchant_uid == NULL || merchant_uid[0] == '\0' || strlen(merchant_uid) >= sizeof out->merchant_uid)
        return FT_PORTONE_NOT_FOUND;
    enum ft_portone_result result = get_about(p, "/payments/find/", merchant_uid, "/paid", "find_paid", out);
    /* An answer about another order, or a payment not paid, is not what was asked. */
    if (result == FT_PORTONE_OK &&
        (strcmp(out->merchant_uid, merchant_uid) != 0 || out->status != FT_PORTONE_STATUS_PAID)) {
        ft_log_warn("portone.unavailable", "call=find_paid reason=\"an answer about another payment\"");
        memset(out, 0, sizeof *out);
        result = FT_PORTONE_UNAVAILABLE;
    }
    return result;
}

enum ft_portone_result ft_portone_cancel(struct ft_portone *p, const char *imp_uid, int64_t amount,
                                         int64_t checksum, const char *reason, struct ft_portone_payment *out)
{
    memset(out, 0, sizeof *out);
    if (imp_uid == NULL || imp_uid[0] == '\0')
        return FT_PORTONE_NOT_FOUND;
    json_t *request = json_pack("{s:s, s:I}", "imp_uid", imp_uid, "checksum", (json_int_t)checksum);
    if (request == NULL)
        return FT_PORTONE_UNAVAILABLE;
    if ((amount > 0 && json_object_set_new(request, "amount", json_integer((json_int_t)amount)) != 0) ||
        (reason != NULL && json_object_set_new(request, "reason", json_string(reason)) != 0)) {
        json_decref(request);
        return FT_PORTONE_UNAVAILABLE;
    }
    enum ft_portone_result result =
        check_same_payment(call(p, "POST", "/payments/cancel", request, "cancel", out), imp_uid, "cancel", out);
    json_decref(request);
    return result;
}
