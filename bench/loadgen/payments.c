#include "payments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"

#define PORTONE_PAY_PATH "/__control/payments"
#define RETRY_MS 500          /* after 503 or no answer */
#define DEFAULT_POLL_MS 500   /* when an answer names no pollAfterMs */
#define MAX_POLL_MS 5000      /* the contract's upper bound of pollAfterMs */
#define WRONG_BY 1000         /* what a wrong-amount payer leaves out, in won */
#define IMP_UID_CAP 128       /* the contract: 1 to 127 characters */

enum step {
    STEP_PREPARE, /* POST /api/v1/payments/prepare: due or in flight */
    STEP_PORTONE, /* POST {portone}/__control/payments: in flight */
    STEP_CONFIRM, /* POST /api/v1/payments: due or in flight */
    STEP_POLL,    /* GET /api/v1/payments/{reservationId}: due or in flight */
    STEP_PAID,     /* over: the reservation is PAID */
    STEP_REFUNDED, /* over: PortOne confirmed the refund */
    STEP_NOT_HELD, /* over: the hold was over before the order was made */
    STEP_FAILED,   /* over: an answer a buyer cannot go on from */
};

/* One buyer paying for one hold. */
struct payment {
    uint32_t job, user;
    uint8_t step; /* enum step */
    bool wrong_amount;
    int32_t poll_after_ms;
    int64_t reservation_id;
    int64_t confirm_us; /* when POST /api/v1/payments first went; 0 before */
    char imp_uid[IMP_UID_CAP];
};

/* A step waiting for its time, in a binary min-heap on at_us. */
struct due {
    int64_t at_us;
    uint32_t payment;
};

struct lg_payments {
    struct lg_payments_config config;
    struct payment *list;
    size_t count, cap;
    struct due *heap;
    size_t heap_count, heap_cap;
    size_t prepared, wrong_amount, paid, refunded, refunded_wrong, not_held, failed, requests, retries;
    json_t *refused; /* confirmations answered 409, by code */
    json_t *errors;  /* other answers no buyer expects, by "status CODE" */
    struct lg_latency to_paid, to_refunded;
    bool out_of_memory;
};

struct lg_payments *lg_payments_new(const struct lg_payments_config *config)
{
    struct lg_payments *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->config = *config;
    p->refused = json_object();
    p->errors = json_object();
    if (p->refused == NULL || p->errors == NULL) {
        lg_payments_free(p);
        return NULL;
    }
    return p;
}

void lg_payments_free(struct lg_payments *p)
{
    if (p == NULL)
        return;
    free(p->list);
    free(p->heap);
    json_decref(p->refused);
    json_decref(p->errors);
    lg_latency_free(&p->to_paid);
    lg_latency_free(&p->to_refunded);
    free(p);
}

/* --- the heap of steps due later ------------------------------------------------------- */

static void heap_push(struct lg_payments *p, int64_t at_us, uint32_t index)
{
    if (p->heap_count == p->heap_cap) {
        size_t cap = p->heap_cap ? 2 * p->heap_cap : 256;
        struct due *grown = realloc(p->heap, cap * sizeof *grown);
        if (grown == NULL) {
            p->out_of_memory = true; /* the payment stays where it is, counted open */
            return;
        }
        p->heap = grown;
        p->heap_cap = cap;
    }
    size_t i = p->heap_count++;
    while (i > 0 && p->heap[(i - 1) / 2].at_us > at_us) {
        p->heap[i] = p->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    p->heap[i] = (struct due){ .at_us = at_us, .payment = index };
}

static struct due heap_pop(struct lg_payments *p)
{
    struct due top = p->heap[0], last = p->heap[--p->heap_count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= p->heap_count)
            break;
        if (child + 1 < p->heap_count && p->heap[child + 1].at_us < p->heap[child].at_us)
            child++;
        if (p->heap[child].at_us >= last.at_us)
            break;
        p->heap[i] = p->heap[child];
        i = child;
    }
    if (p->heap_count > 0)
        p->heap[i] = last;
    return top;
}

int64_t lg_payments_next_due_us(const struct lg_payments *p)
{
    return p->heap_count > 0 ? p->heap[0].at_us : INT64_MAX;
}

size_t lg_payments_waiting(const struct lg_payments *p)
{
    return p->heap_count;
}

/* --- helpers ---------------------------------------------------------------------------- */

static void count_in(json_t *table, const char *name)
{
    json_t *n = json_object_get(table, name);
    json_object_set_new(table, name, json_integer(json_integer_value(n) + 1));
}

/* The error code of an answer ("" when it has none); doc is the parsed body or NULL. */
static const char *error_code(json_t *doc)
{
    const char *code = json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
    return code ? code : "";
}

/* 503 (the stack or PortOne is busy), 429 and no answer at all are worth another try. */
static bool transient(const struct lg_http_result *res)
{
    return res->status == 0 || res->status == 503 || res->status == 429;
}

static double ms_since_t0(const struct lg_payments *p)
{
    return (double)(lg_now_us() - p->config.t0_us) / 1000.0;
}

static void note_latency(struct lg_payments *p, struct lg_latency *lat, int64_t us)
{
    if (!lg_latency_add(lat, us))
        p->out_of_memory = true;
}

static void on_answer(const struct lg_http_result *res, void *ctx, uint64_t tag);

/* Sends a request of payment `index`; path is a path of the stack or the imitation's URL. */
static void submit(struct lg_payments *p, uint32_t index, const char *method, const char *path, json_t *body)
{
    struct payment *pay = &p->list[index];
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if ((body != NULL && text == NULL) ||
        !lg_http_submit(p->config.http, method, path, path[0] == '/' ? p->config.tokens[pay->user] : NULL, text,
                        on_answer, p, index)) {
        p->out_of_memory = true; /* the payment stays where it is, counted open */
    } else {
        p->requests++;
    }
    free(text);
}

/* --- the steps -------------------------------------------------------------------------- */

/* Sends the request of the step payment `index` is at (prepare, confirm or poll). */
static void send_step(struct lg_payments *p, uint32_t index)
{
    struct payment *pay = &p->list[index];
    struct lg_recorder *rec = p->config.recorder;
    json_t *body = NULL;
    if (pay->step == STEP_PREPARE) {
        body = json_pack("{s:I}", "reservationId", (json_int_t)pay->reservation_id);
        lg_record_payment_start(rec, ms_since_t0(p), pay->user, pay->job, pay->wrong_amount);
        submit(p, index, "POST", LG_PAY_PREPARE_PATH, body);
    } else if (pay->step == STEP_CONFIRM) {
        body = json_pack("{s:I, s:s}", "reservationId", (json_int_t)pay->reservation_id, "impUid", pay->imp_uid);
        json_t *recorded = json_pack("{s:s, s:s}", "reservationId", "{reservationId}", "impUid", "{impUid}");
        lg_record_request(rec, ms_since_t0(p), "POST", LG_PAY_CONFIRM_PATH, pay->user, pay->job, recorded);
        json_decref(recorded);
        if (pay->confirm_us == 0)
            pay->confirm_us = lg_now_us();
        submit(p, index, "POST", LG_PAY_CONFIRM_PATH, body);
    } else if (pay->step == STEP_POLL) {
        char path[64];
        snprintf(path, sizeof path, LG_PAY_CONFIRM_PATH "/%lld", (long long)pay->reservation_id);
        lg_record_request(rec, ms_since_t0(p), "GET", LG_PAY_POLL_PATH_TEMPLATE, pay->user, pay->job, NULL);
        submit(p, index, "GET", path, NULL);
    }
    json_decref(body);
}

/* The step payment `index` is at, again after `ms`. */
static void again_after(struct lg_payments *p, uint32_t index, int64_t now_us, int64_t ms)
{
    heap_push(p, now_us + ms * 1000, index);
}

bool lg_payments_start(struct lg_payments *p, uint32_t job, uint32_t user, int64_t reservation_id, bool wrong_amount)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 1024;
        struct payment *grown = realloc(p->list, cap * sizeof *grown);
        if (grown == NULL) {
            p->out_of_memory = true;
            return false;
        }
        p->list = grown;
        p->cap = cap;
    }
    uint32_t index = (uint32_t)p->count++;
    p->list[index] = (struct payment){ .job = job, .user = user, .step = STEP_PREPARE, .wrong_amount = wrong_amount,
                                       .poll_after_ms = DEFAULT_POLL_MS, .reservation_id = reservation_id };
    send_step(p, index);
    return true;
}

void lg_payments_send_due(struct lg_payments *p, int64_t now_us)
{
    while (p->heap_count > 0 && p->heap[0].at_us <= now_us)
        send_step(p, heap_pop(p).payment);
}

/* The order: pay it at the imitation, the right amount or 1,000 won less. */
static bool prepared(struct lg_payments *p, uint32_t index, const struct lg_http_result *res, json_t *doc)
{
    struct payment *pay = &p->list[index];
    const char *merchant_uid = json_string_value(json_object_get(doc, "merchantUid"));
    json_t *amount = json_object_get(doc, "amount");
    if (res->status == 409 && strcmp(error_code(doc), "RESERVATION_NOT_HELD") == 0) {
        pay->step = STEP_NOT_HELD;
        p->not_held++;
        return true;
    }
    if (res->status != 200 || merchant_uid == NULL || !json_is_integer(amount))
        return false;
    p->prepared++;
    json_int_t pay_amount = json_integer_value(amount);
    if (pay->wrong_amount) /* less than asked; never nothing */
        pay_amount = pay_amount > WRONG_BY ? pay_amount - WRONG_BY : pay_amount + WRONG_BY;
    pay->step = STEP_PORTONE;
    json_t *recorded = json_pack("{s:s, s:s}", "merchant_uid", "{merchantUid}", "amount",
                                 pay->wrong_amount ? "{amount}-1000" : "{amount}");
    lg_record_request(p->config.recorder, ms_since_t0(p), "POST", LG_PAY_PORTONE_PATH, pay->user, pay->job, recorded);
    json_decref(recorded);
    json_t *body = json_pack("{s:s, s:I}", "merchant_uid", merchant_uid, "amount", pay_amount);
    size_t len = strlen(p->config.portone_url) + sizeof PORTONE_PAY_PATH;
    char *url = malloc(len);
    if (url != NULL)
        snprintf(url, len, "%s" PORTONE_PAY_PATH, p->config.portone_url);
    if (url == NULL || body == NULL)
        p->out_of_memory = true;
    else
        submit(p, index, "POST", url, body);
    free(url);
    json_decref(body);
    return true;
}

/* The payment's imp_uid: submit it. */
static bool paid_at_portone(struct lg_payments *p, uint32_t index, const struct lg_http_result *res, json_t *doc)
{
    struct payment *pay = &p->list[index];
    const char *imp_uid = json_string_value(json_object_get(doc, "imp_uid"));
    if (res->status != 200 || imp_uid == NULL || imp_uid[0] == '\0' || strlen(imp_uid) >= IMP_UID_CAP)
        return false;
    memcpy(pay->imp_uid, imp_uid, strlen(imp_uid) + 1);
    p->wrong_amount += pay->wrong_amount;
    pay->step = STEP_CONFIRM;
    send_step(p, index);
    return true;
}

static int64_t poll_after_ms(json_t *doc)
{
    json_t *after = json_object_get(doc, "pollAfterMs");
    json_int_t ms = json_is_integer(after) ? json_integer_value(after) : DEFAULT_POLL_MS;
    return ms < 1 ? 1 : ms > MAX_POLL_MS ? MAX_POLL_MS : ms;
}

static void ended(struct lg_payments *p, struct payment *pay, bool paid, int64_t now_us)
{
    if (paid) {
        pay->step = STEP_PAID;
        p->paid++;
        note_latency(p, &p->to_paid, now_us - pay->confirm_us);
    } else {
        pay->step = STEP_REFUNDED;
        p->refunded++;
        p->refunded_wrong += pay->wrong_amount;
        note_latency(p, &p->to_refunded, now_us - pay->confirm_us);
    }
}

/* The confirmation's answer: PAID, CONFIRMING (poll), or refused with its refund due (poll
 * until it is done). */
static bool confirmed(struct lg_payments *p, uint32_t index, const struct lg_http_result *res, json_t *doc)
{
    struct payment *pay = &p->list[index];
    const char *status = json_string_value(json_object_get(doc, "status"));
    const char *code = error_code(doc);
    if (res->status == 200 && status != NULL && strcmp(status, "PAID") == 0) {
        ended(p, pay, true, res->finished_us);
    } else if (res->status == 202) {
        pay->step = STEP_POLL;
        pay->poll_after_ms = (int32_t)poll_after_ms(doc);
        again_after(p, index, res->finished_us, pay->poll_after_ms);
    } else if (res->status == 409) {
        count_in(p->refused, code);
        /* Ours but not honoured (or a retry that finds it so): its refund is due. */
        bool refunding = strcmp(code, "AMOUNT_MISMATCH") == 0 || strcmp(code, "CURRENCY_MISMATCH") == 0 ||
                         strcmp(code, "PAYMENT_REFUNDED") == 0;
        if (!refunding)
            return false;
        pay->step = STEP_POLL;
        again_after(p, index, res->finished_us, pay->poll_after_ms);
    } else {
        return false;
    }
    return true;
}

/* The payment's state: over once PAID or REFUNDED. */
static bool polled(struct lg_payments *p, uint32_t index, const struct lg_http_result *res, json_t *doc)
{
    struct payment *pay = &p->list[index];
    const char *status = res->status == 200 ? json_string_value(json_object_get(doc, "status")) : NULL;
    if (status == NULL)
        return false;
    if (strcmp(status, "PAID") == 0 || strcmp(status, "REFUNDED") == 0)
        ended(p, pay, status[0] == 'P', res->finished_us);
    else /* CONFIRMING, REFUND_DUE */
        again_after(p, index, res->finished_us, pay->poll_after_ms);
    return true;
}

/* Every answer of the payment stage. One its step does not expect is tried again after a
 * pause when it is transient (except at the imitation: a lost answer may hide a payment
 * made), and otherwise ends the payment FAILED, counted by step, status and code. */
static void on_answer(const struct lg_http_result *res, void *ctx, uint64_t tag)
{
    struct lg_payments *p = ctx;
    uint32_t index = (uint32_t)tag;
    struct payment *pay = &p->list[index];
    uint8_t step = pay->step;
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    bool handled = step == STEP_PREPARE   ? prepared(p, index, res, doc)
                   : step == STEP_PORTONE ? paid_at_portone(p, index, res, doc)
                   : step == STEP_CONFIRM ? confirmed(p, index, res, doc)
                                          : polled(p, index, res, doc);
    if (!handled && transient(res) && step != STEP_PORTONE) {
        p->retries++;
        again_after(p, index, res->finished_us, RETRY_MS);
    } else if (!handled) {
        static const char *const names[] = { "prepare", "portone", "confirm", "poll" };
        char name[80];
        snprintf(name, sizeof name, "%s %ld %s", step < 4 ? names[step] : "?", res->status,
                 res->status ? error_code(doc) : "TRANSPORT");
        count_in(p->errors, name);
        pay->step = STEP_FAILED;
        p->failed++;
    }
    json_decref(doc);
}

/* --- figures ---------------------------------------------------------------------------- */

struct lg_payment_counts lg_payments_counts(const struct lg_payments *p)
{
    size_t over = p->paid + p->refunded + p->not_held + p->failed;
    return (struct lg_payment_counts){ .started = p->count, .paid = p->paid, .refunded = p->refunded,
                                       .open = p->count - over };
}

bool lg_payments_out_of_memory(const struct lg_payments *p)
{
    return p->out_of_memory;
}

json_t *lg_payments_summary(struct lg_payments *p)
{
    json_t *wrong = json_array();
    for (size_t i = 0; wrong != NULL && i < p->count; i++)
        if (p->list[i].wrong_amount && p->list[i].imp_uid[0] != '\0')
            json_array_append_new(wrong, json_string(p->list[i].imp_uid));
    struct lg_payment_counts counts = lg_payments_counts(p);
    return json_pack("{s:I, s:I, s:I, s:O, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:o, s:o, s:o}",
                     "attempted", (json_int_t)p->count, "prepared", (json_int_t)p->prepared, "paid",
                     (json_int_t)p->paid, "refused", p->refused, "refunded", (json_int_t)p->refunded,
                     "refunded_wrong_amount", (json_int_t)p->refunded_wrong, "refunded_right_amount",
                     (json_int_t)(p->refunded - p->refunded_wrong), "wrong_amount", (json_int_t)p->wrong_amount,
                     "not_held", (json_int_t)p->not_held, "failed", (json_int_t)p->failed, "open",
                     (json_int_t)counts.open, "requests", (json_int_t)p->requests, "retries",
                     (json_int_t)p->retries, "errors", p->errors, "ms_confirm_to_paid", lg_latency_json(&p->to_paid),
                     "ms_confirm_to_refunded", lg_latency_json(&p->to_refunded), "wrong_amount_imp_uids", wrong);
}
