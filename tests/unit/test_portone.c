/*
 * The PortOne REST v1 client against the local imitation (tests/portone), started as a
 * subprocess on a free port for each test and stopped after it.
 */
#include <criterion/criterion.h>

#include "ft/portone.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FT_REPO_ROOT
#error "FT_REPO_ROOT must name the repository's root"
#endif

#define KEY "0123key"
#define SECRET "s3cret"

static pid_t imitation_pid = -1;
static char base_url[64];

/* Starts the imitation on `port` (0: any free one) and reads the address it listens on. */
static void imitation_start_on(int port)
{
    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", FT_REPO_ROOT "/tests/portone/portone_imitation.py", "--port", port_arg,
              "--imp-key", KEY, "--imp-secret", SECRET, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    imitation_pid = pid;
    char line[128] = {0};
    size_t len = 0;
    while (len < sizeof line - 1) {
        ssize_t n = read(fds[0], line + len, 1);
        if (n <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(fds[0]); /* nothing else is written to stdout */
    int listening = 0;
    cr_assert_eq(sscanf(line, "listening http://127.0.0.1:%d", &listening), 1, "imitation said \"%s\"", line);
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", listening);
}

static void imitation_start(void)
{
    imitation_start_on(0);
}

static void imitation_stop(void)
{
    if (imitation_pid > 0) {
        kill(imitation_pid, SIGTERM);
        waitpid(imitation_pid, NULL, 0);
        imitation_pid = -1;
    }
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    FILE *f = userdata;
    return fwrite(ptr, size, nmemb, f);
}

/* Calls a /__control endpoint and returns its JSON answer (the caller's to decref). */
static json_t *control(const char *method, const char *path, const char *body)
{
    CURL *curl = curl_easy_init();
    cr_assert_not_null(curl);
    char url[256];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    char *answer = NULL;
    size_t answer_len = 0;
    FILE *f = open_memstream(&answer, &answer_len);
    cr_assert_not_null(f);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    fclose(f);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    cr_assert_eq(status, 200, "%s %s: HTTP %ld %s", method, path, status, answer);
    json_error_t error;
    json_t *json = json_loads(answer, 0, &error);
    free(answer);
    cr_assert_not_null(json, "%s %s: %s", method, path, error.text);
    return json;
}

/* Creates a payment in the imitation and copies its imp_uid into imp_uid. */
static void payment_create(const char *merchant_uid, long amount, const char *status, char *imp_uid, size_t size)
{
    char body[256];
    snprintf(body, sizeof body, "{\"merchant_uid\":\"%s\",\"amount\":%ld,\"status\":\"%s\"}", merchant_uid, amount,
             status);
    json_t *p = control("POST", "/__control/payments", body);
    const char *uid = json_string_value(json_object_get(p, "imp_uid"));
    cr_assert_not_null(uid);
    snprintf(imp_uid, size, "%s", uid);
    json_decref(p);
}

/* How many requests the imitation received for path (method and path must match). */
static size_t requests_to(const char *method, const char *path)
{
    json_t *r = control("GET", "/__control/requests", NULL);
    size_t n = 0, i;
    json_t *entry;
    json_array_foreach(json_object_get(r, "requests"), i, entry)
    {
        if (strcmp(json_string_value(json_object_get(entry, "method")), method) == 0 &&
            strcmp(json_string_value(json_object_get(entry, "path")), path) == 0)
            n++;
    }
    json_decref(r);
    return n;
}

/* TCP connections the imitation accepted so far; this question opens one of its own. */
static long connections_accepted(void)
{
    json_t *c = control("GET", "/__control/connections", NULL);
    long accepted = (long)json_integer_value(json_object_get(c, "accepted"));
    json_decref(c);
    return accepted;
}

/* How many cancels really refunded something. */
static long cancels_applied(void)
{
    json_t *c = control("GET", "/__control/cancels", NULL);
    long applied = (long)json_integer_value(json_object_get(c, "applied"));
    json_decref(c);
    return applied;
}

static void fault(const char *body)
{
    json_decref(control("POST", "/__control/faults", body));
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TestSuite(portone, .init = imitation_start, .fini = imitation_stop, .timeout = 60);

Test(portone, a_key_that_begins_with_0_works_and_a_paid_payment_is_read)
{
    char uid[128];
    payment_create("order-1", 55000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    cr_assert_not_null(p);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_str_eq(pay.imp_uid, uid);
    cr_assert_str_eq(pay.merchant_uid, "order-1");
    cr_assert_eq(pay.amount, 55000);
    cr_assert_eq(pay.cancel_amount, 0);
    cr_assert_str_eq(pay.currency, "KRW");
    cr_assert_eq(pay.status, FT_PORTONE_STATUS_PAID);
    cr_assert_gt(pay.paid_at, 0);
    ft_portone_free(p);

    /* The key without its leading 0 is another key. */
    p = ft_portone_new(base_url, "123key", SECRET, 3000);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAUTHORIZED);
    ft_portone_free(p);
}

Test(portone, failed_and_unknown_payments)
{
    char uid[128];
    payment_create("order-2", 1000, "failed", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    cr_assert_eq(pay.status, FT_PORTONE_STATUS_FAILED);
    cr_assert_eq(pay.paid_at, 0);
    cr_assert_eq(ft_portone_get_payment(p, "imp_000000000000", &pay), FT_PORTONE_NOT_FOUND);
    /* Characters that need escaping reach PortOne as one path segment. */
    cr_assert_eq(ft_portone_get_payment(p, "imp/../x y?z#", &pay), FT_PORTONE_NOT_FOUND);
    cr_assert_eq(requests_to("GET", "/payments/imp%2F..%2Fx%20y%3Fz%23"), 1);
    ft_portone_free(p);
}

Test(portone, the_paid_payment_of_an_order_is_found)
{
    char paid[128], failed[128];
    payment_create("order-find 1", 1500, "paid", paid, sizeof paid);
    payment_create("order-find 1", 1500, "failed", failed, sizeof failed); /* a later, failed try */
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_find_paid(p, "order-find 1", &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_str_eq(pay.imp_uid, paid);
    cr_assert_eq(pay.status, FT_PORTONE_STATUS_PAID);
    cr_assert_eq(pay.amount, 1500);
    cr_assert_eq(requests_to("GET", "/payments/find/order-find%201/paid"), 1);
    cr_assert_eq(ft_portone_find_paid(p, "order-nobody-paid", &pay), FT_PORTONE_NOT_FOUND);
    ft_portone_free(p);
}

Test(portone, full_and_partial_cancel_checksum_and_double_cancel)
{
    char uid[128];
    payment_create("order-3", 30000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;

    /* A checksum that is not what remains refuses the cancel, and nothing is cancelled. */
    cr_assert_eq(ft_portone_cancel(p, uid, 10000, 20000, "test", &pay), FT_PORTONE_REFUSED);
    cr_assert_neq(pay.message[0], '\0');
    cr_assert_eq(cancels_applied(), 0);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    cr_assert_eq(pay.cancel_amount, 0);

    /* Partial: the payment stays paid. */
    cr_assert_eq(ft_portone_cancel(p, uid, 10000, 30000, "partial", &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_eq(pay.cancel_amount, 10000);
    cr_assert_eq(pay.status, FT_PORTONE_STATUS_PAID);

    /* A retry of that refund with the same checksum cannot refund twice. */
    cr_assert_eq(ft_portone_cancel(p, uid, 10000, 30000, "partial", &pay), FT_PORTONE_REFUSED);
    cr_assert_eq(cancels_applied(), 1);

    /* Full: what remains. */
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 20000, "full", &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_eq(pay.cancel_amount, 30000);
    cr_assert_eq(pay.status, FT_PORTONE_STATUS_CANCELLED);

    /* Again: refused, nothing more refunded. */
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 0, "full", &pay), FT_PORTONE_REFUSED);
    cr_assert_neq(pay.message[0], '\0');
    cr_assert_eq(cancels_applied(), 2);

    /* A cancel of a payment PortOne does not know is a refusal (HTTP 200, code != 0). */
    cr_assert_eq(ft_portone_cancel(p, "imp_000000000000", 0, 100, "x", &pay), FT_PORTONE_REFUSED);
    ft_portone_free(p);
}

Test(portone, a_full_cancel_sends_no_amount)
{
    char uid[128];
    payment_create("order-4", 7000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_cancel(p, uid, -1, 7000, NULL, &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_eq(pay.status, FT_PORTONE_STATUS_CANCELLED);
    json_t *c = control("GET", "/__control/cancels", NULL);
    json_t *request = json_object_get(json_array_get(json_object_get(c, "cancels"), 0), "request");
    cr_assert_null(json_object_get(request, "amount"));
    cr_assert_eq(json_integer_value(json_object_get(request, "checksum")), 7000);
    json_decref(c);
    ft_portone_free(p);
}

Test(portone, a_wrong_secret_is_unauthorized)
{
    char uid[128];
    payment_create("order-5", 1000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, "wrong", 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAUTHORIZED);
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 1000, "x", &pay), FT_PORTONE_UNAUTHORIZED);
    cr_assert_eq(cancels_applied(), 0);
    ft_portone_free(p);
}

Test(portone, the_token_is_reused_and_renewed_after_it_expired)
{
    char uid[128];
    payment_create("order-6", 2000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    cr_assert_eq(requests_to("POST", "/users/getToken"), 1);

    /* PortOne forgets the token: the 401 renews it and the call still succeeds. */
    json_decref(control("POST", "/__control/token", "{\"expire_all\": true}"));
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    cr_assert_eq(requests_to("POST", "/users/getToken"), 2);
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 2000, "x", &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_eq(requests_to("POST", "/users/getToken"), 2);
    ft_portone_free(p);
}

Test(portone, a_token_near_its_expiry_is_renewed_before_use)
{
    char uid[128];
    payment_create("order-7", 2000, "paid", uid, sizeof uid);
    /* 4 s tokens: the client renews them 2 s early, before PortOne would refuse them. */
    json_decref(control("POST", "/__control/token", "{\"lifetime_seconds\": 4}"));
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    usleep(2500 * 1000);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    cr_assert_eq(requests_to("POST", "/users/getToken"), 2);
    ft_portone_free(p);
}

Test(portone, a_503_is_unavailable)
{
    char uid[128];
    payment_create("order-8", 1000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    fault("{\"kind\":\"status\",\"status\":503,\"count\":1,\"path_prefix\":\"/payments\"}");
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAVAILABLE);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    fault("{\"kind\":\"status\",\"status\":503,\"count\":1,\"path_prefix\":\"/payments/cancel\"}");
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 1000, "x", &pay), FT_PORTONE_UNAVAILABLE);
    cr_assert_eq(cancels_applied(), 0);
    ft_portone_free(p);

    /* A getToken that fails is unavailable too. */
    p = ft_portone_new(base_url, KEY, SECRET, 3000);
    fault("{\"kind\":\"status\",\"status\":502,\"count\":1,\"path_prefix\":\"/users/getToken\"}");
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAVAILABLE);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    ft_portone_free(p);
}

Test(portone, a_timeout_is_unavailable_within_the_timeout)
{
    char uid[128];
    payment_create("order-9", 1000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 500);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK); /* the token is cached */
    fault("{\"kind\":\"timeout\",\"count\":1,\"path_prefix\":\"/payments\"}");
    double start = now_seconds();
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAVAILABLE);
    double took = now_seconds() - start;
    cr_assert_geq(took, 0.4, "took %.3f s", took);
    cr_assert_lt(took, 1.5, "took %.3f s", took);

    /* A cancel carried out whose answer was lost: the retry with the same checksum is
     * refused, so the refund happened once. */
    fault("{\"kind\":\"timeout\",\"count\":1,\"path_prefix\":\"/payments/cancel\",\"phase\":\"after\"}");
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 1000, "x", &pay), FT_PORTONE_UNAVAILABLE);
    cr_assert_eq(ft_portone_cancel(p, uid, 0, 1000, "x", &pay), FT_PORTONE_REFUSED);
    cr_assert_eq(cancels_applied(), 1);
    ft_portone_free(p);
}

Test(portone, a_dropped_connection_is_unavailable)
{
    char uid[128];
    payment_create("order-10", 1000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    /* Two drops: the kept connection's, and that of the one retry curl makes on a new one. */
    fault("{\"kind\":\"drop\",\"count\":2,\"path_prefix\":\"/payments\"}");
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAVAILABLE);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    ft_portone_free(p);

    /* Nobody listening at all. */
    p = ft_portone_new("http://127.0.0.1:1", KEY, SECRET, 1000);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAVAILABLE);
    ft_portone_free(p);
}

Test(portone, an_answer_over_1_MiB_is_unavailable)
{
    char uid[128];
    payment_create("order-11", 1000, "paid", uid, sizeof uid);
    /* A custom_data of 1.1 MiB makes the payment's answer too large. */
    size_t size = 1100 * 1024;
    char *body = malloc(size + 64);
    cr_assert_not_null(body);
    int head = snprintf(body, size + 64, "{\"custom_data\":\"");
    memset(body + head, 'x', size);
    snprintf(body + (size_t)head + size, 64, "\"}");
    char path[192];
    snprintf(path, sizeof path, "/__control/payments/%s", uid);
    json_decref(control("POST", path, body));
    free(body);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_UNAVAILABLE);
    ft_portone_free(p);
}

struct shared_call {
    struct ft_portone *portone;
    const char *imp_uid;
    int ok;
};

static void *get_many(void *arg)
{
    struct shared_call *c = arg;
    struct ft_portone_payment pay;
    for (int i = 0; i < 5; i++)
        if (ft_portone_get_payment(c->portone, c->imp_uid, &pay) == FT_PORTONE_OK)
            c->ok++;
    return NULL;
}

Test(portone, threads_share_one_client_and_one_token)
{
    char uid[128];
    payment_create("order-12", 1000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct shared_call calls[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        calls[i] = (struct shared_call){.portone = p, .imp_uid = uid};
        cr_assert_eq(pthread_create(&threads[i], NULL, get_many, &calls[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_eq(calls[i].ok, 5);
    }
    cr_assert_eq(requests_to("POST", "/users/getToken"), 1);
    ft_portone_free(p);
}

Test(portone, calls_one_after_another_share_one_connection)
{
    char uid[128];
    payment_create("order-13", 3000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    long before = connections_accepted();
    for (int i = 0; i < 10; i++)
        cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_eq(ft_portone_cancel(p, uid, 3000, 3000, "refund", &pay), FT_PORTONE_OK, "%s", pay.message);
    /* getToken, 10 reads and the cancel on one connection; the other is the question's own. */
    cr_assert_eq(connections_accepted() - before, 2);
    char path[160];
    snprintf(path, sizeof path, "/payments/%s", uid);
    cr_assert_eq(requests_to("GET", path), 10);
    ft_portone_free(p);
}

Test(portone, a_kept_connection_that_breaks_is_tried_again_on_a_new_one)
{
    char uid[128];
    payment_create("order-15", 1000, "paid", uid, sizeof uid);
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK);
    long before = connections_accepted();
    fault("{\"kind\":\"drop\",\"count\":1,\"path_prefix\":\"/payments\"}");
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK, "%s", pay.message);
    /* The retry's connection, the one that set the fault and the question's own. */
    cr_assert_eq(connections_accepted() - before, 3);
    ft_portone_free(p);
}

Test(portone, a_kept_connection_the_server_closed_is_replaced)
{
    struct ft_portone *p = ft_portone_new(base_url, KEY, SECRET, 3000);
    struct ft_portone_payment pay;
    cr_assert_eq(ft_portone_get_payment(p, "imp_000000000001", &pay), FT_PORTONE_NOT_FOUND);
    /* PortOne restarts: the kept connection is closed, the token forgotten. */
    int port = 0;
    cr_assert_eq(sscanf(base_url, "http://127.0.0.1:%d", &port), 1);
    imitation_stop();
    imitation_start_on(port);
    char uid[128];
    payment_create("order-14", 2000, "paid", uid, sizeof uid);
    cr_assert_eq(ft_portone_get_payment(p, uid, &pay), FT_PORTONE_OK, "%s", pay.message);
    cr_assert_eq(pay.amount, 2000);
    ft_portone_free(p);
}

Test(portone, arguments_are_checked)
{
    cr_assert_null(ft_portone_new(NULL, KEY, SECRET, 1000));
    cr_assert_null(ft_portone_new(base_url, NULL, SECRET, 1000));
    cr_assert_null(ft_portone_new(base_url, KEY, SECRET, 0));
    ft_portone_free(NULL);
    cr_assert_str_eq(ft_portone_result_name(FT_PORTONE_UNAVAILABLE), "unavailable");
    cr_assert_str_eq(ft_portone_status_name(FT_PORTONE_STATUS_CANCELLED), "cancelled");
}
