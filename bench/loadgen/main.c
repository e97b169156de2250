/*
 * ft-loadgen: an on-sale against a running Fair Ticket stack.
 *
 * Before T0 it gets a bearer token for each of N users (signup + login through the API,
 * login only, or tokens signed with the stack's secret for users that exist) and reads
 * the seat maps. From T0 it sends M reservation requests, a mix of specific seats
 * skewed toward the front rows and best-available (quantity 1-4, some by grade), either
 * open loop (a target rate; 0 = all at T0) or closed loop (a fixed number in flight);
 * then polls each accepted token, honouring pollAfterMs, until HELD or REJECTED. A share
 * of the holds is paid through the PortOne imitation (payments.c), some with the wrong
 * amount so that refunds happen.
 *
 * It always stops by itself: after M requests and their outcomes, or at the deadline,
 * reporting what is unresolved. The summary is one JSON document on stdout; a progress
 * line goes to stderr when stderr is a terminal. See bench/README.md... and --help.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "answer.h"
#include "ft/json_writer.h"
#include "latency.h"
#include "loadgen.h"
#include "payments.h"
#include "record.h"

#define RESERVE_PATH "/api/v1/reservations"
#define POLL_PREFIX "/api/v1/reservations/requests/"
#define TOKEN_LEN 34
#define POLL_RETRY_MS 500 /* after a poll that failed */
#define REJECT_CODES_MAX 16
#define UNRESOLVED_LISTED 20
#define WHEEL_SLOTS 8192 /* ms: more than the longest pollAfterMs (5 s) */
#define NO_JOB UINT32_MAX

enum job_state {
    JOB_NEW,      /* not sent yet */
    JOB_SENT,     /* POST in flight */
    JOB_ACCEPTED, /* 202: polling */
    JOB_HELD,
    JOB_REJECTED,
    JOB_FAILED, /* no 202 */
};

enum pay_wish {
    PAY_NONE,
    PAY_RIGHT, /* the buyer pays the hold */
    PAY_WRONG, /* the buyer pays amount - 1000: refused, then refunded */
};

/* One reservation request, from its send to its outcome. */
struct job {
    uint32_t user;
    uint8_t state;  /* enum job_state */
    bool polling;   /* a poll is queued, due or in flight */
    uint8_t pay;    /* enum pay_wish; a replay learns it from its recording */
    bool paying;    /* its payment has started */
    uint32_t next_due; /* the next job of its timer wheel slot */
    char token[TOKEN_LEN + 1];
    int64_t intended_us; /* when it was meant to go: latencies count from here */
    int64_t reservation_id, amount;
};

struct counter {
    char name[32];
    size_t count;
};

struct run {
    const struct lg_options *opt;
    struct lg_http *http;
    char **tokens;
    struct lg_schedule *schedules;
    size_t schedule_count;
    uint64_t rng;

    struct job *jobs;
    size_t job_count, next_job, posts_in_flight;
    bool auto_poll; /* false while a replay follows its recorded polls */
    uint32_t wheel[WHEEL_SLOTS]; /* first job of each slot, NO_JOB when empty */
    size_t wheel_count;
    int64_t wheel_cursor_ms; /* the first millisecond (since T0) not yet sent */

    int64_t t0_us, first_poll_us, last_poll_us, last_accept_us, last_outcome_us;
    size_t sent, accepted, held, rejected, failed, polls, poll_errors;
    size_t status_class[6]; /* [0] transport errors, [k] kxx */
    struct counter reject_codes[REJECT_CODES_MAX];
    struct counter http_errors[REJECT_CODES_MAX]; /* "503 UNAVAILABLE", ... */
    struct lg_latency to_202, to_outcome;

    struct lg_payments *payments; /* NULL when nobody pays */

    struct lg_recorder recorder;
    FILE *tokens_out;
    bool out_of_memory;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* --- small helpers ------------------------------------------------------------------- */

/* splitmix64: a reproducible stream from --seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state)
{
    return (double)(next_random(state) >> 11) * 0x1.0p-53;
}

static void count_name(struct counter *table, const char *name)
{
    for (size_t i = 0; i < REJECT_CODES_MAX; i++) {
        if (table[i].name[0] == '\0')
            snprintf(table[i].name, sizeof table[i].name, "%s", name);
        if (strcmp(table[i].name, name) == 0) {
            table[i].count++;
            return;
        }
    }
}

static double ms_since(const struct run *r, int64_t us)
{
    return (double)(us - r->t0_us) / 1000.0;
}

static void note_latency(struct run *r, struct lg_latency *lat, int64_t us)
{
    if (!lg_latency_add(lat, us))
        r->out_of_memory = true;
}

/* A failed answer: counted by class, and by status and error code. */
static void note_http_error(struct run *r, const struct lg_http_result *res)
{
    r->status_class[res->status >= 100 && res->status < 600 ? res->status / 100 : 0]++;
    char name[96]; /* kept to 31 bytes by count_name */
    struct lg_answer answer;
    bool read = res->status && lg_answer_read(res->body, res->body_len, &answer);
    snprintf(name, sizeof name, "%ld %s", res->status, read ? answer.code : res->status ? "" : "TRANSPORT");
    count_name(r->http_errors, name);
}

/* --- polls --------------------------------------------------------------------------- */

static void send_poll(struct run *r, uint32_t index);

/*
 * Polls that are due later wait in a timer wheel of 1 ms slots: a poll is never due more
 * than WHEEL_SLOTS ms ahead (pollAfterMs is at most 5 s), so each slot holds only the
 * polls of one millisecond, linked through their jobs.
 */
static void wheel_push(struct run *r, int64_t due_us, uint32_t index)
{
    int64_t due_ms = (due_us - r->t0_us) / 1000;
    if (due_ms < r->wheel_cursor_ms)
        due_ms = r->wheel_cursor_ms;
    if (due_ms >= r->wheel_cursor_ms + WHEEL_SLOTS)
        due_ms = r->wheel_cursor_ms + WHEEL_SLOTS - 1;
    size_t slot = (size_t)due_ms % WHEEL_SLOTS;
    r->jobs[index].next_due = r->wheel[slot];
    r->wheel[slot] = index;
    r->jobs[index].polling = true;
    r->wheel_count++;
}

/* Sends every poll due at or before now_us. */
static void send_due_polls(struct run *r, int64_t now_us)
{
    int64_t now_ms = (now_us - r->t0_us) / 1000;
    for (; r->wheel_count > 0 && r->wheel_cursor_ms <= now_ms; r->wheel_cursor_ms++) {
        size_t slot = (size_t)r->wheel_cursor_ms % WHEEL_SLOTS;
        uint32_t index = r->wheel[slot];
        r->wheel[slot] = NO_JOB;
        while (index != NO_JOB) {
            uint32_t next = r->jobs[index].next_due;
            r->wheel_count--;
            send_poll(r, index);
            index = next;
        }
    }
    if (r->wheel_count == 0 && r->wheel_cursor_ms <= now_ms)
        r->wheel_cursor_ms = now_ms + 1;
}

static void on_poll(const struct lg_http_result *res, void *ctx, uint64_t tag);

static void send_poll(struct run *r, uint32_t index)
{
    struct job *job = &r->jobs[index];
    char path[sizeof POLL_PREFIX + TOKEN_LEN];
    snprintf(path, sizeof path, POLL_PREFIX "%s", job->token);
    if (!lg_http_submit(r->http, "GET", path, r->tokens[job->user], NULL, on_poll, r, index)) {
        r->out_of_memory = true;
        return;
    }
    job->polling = true;
    lg_record_request(&r->recorder, ms_since(r, lg_now_us()), "GET", LG_POLL_PATH_TEMPLATE, job->user, index, NULL);
}

static void resolved(struct run *r, struct job *job, int64_t now_us)
{
    r->last_outcome_us = now_us;
    note_latency(r, &r->to_outcome, now_us - job->intended_us);
}

/* Whether request `index` is paid once HELD: the same for the same --seed, whatever the
 * answers, and apart from the request mix's random stream. */
static enum pay_wish choose_payer(const struct lg_options *opt, size_t index)
{
    uint64_t state = opt->seed ^ 0x7061796d656e7473ULL ^ ((uint64_t)index * 0xd1b54a32d192ed03ULL);
    if (uniform(&state) >= opt->pay_fraction)
        return PAY_NONE;
    return uniform(&state) < opt->bad_pay_fraction ? PAY_WRONG : PAY_RIGHT;
}

/* A held job whose buyer pays starts paying (once). */
static void maybe_pay(struct run *r, uint32_t index)
{
    struct job *job = &r->jobs[index];
    if (r->payments == NULL || job->state != JOB_HELD || job->pay == PAY_NONE || job->paying)
        return;
    job->paying = true;
    if (!lg_payments_start(r->payments, index, job->user, job->reservation_id, job->pay == PAY_WRONG))
        r->out_of_memory = true;
}

static void on_poll(const struct lg_http_result *res, void *ctx, uint64_t tag)
{
    struct run *r = ctx;
    struct job *job = &r->jobs[tag];
    job->polling = false;
    r->polls++;
    if (r->first_poll_us == 0)
        r->first_poll_us = res->finished_us;
    r->last_poll_us = res->finished_us;
    if (job->state != JOB_ACCEPTED)
        return; /* a replayed poll that came after the outcome */
    struct lg_answer answer;
    const char *status = res->status == 200 && lg_answer_read(res->body, res->body_len, &answer) ? answer.status : "";
    if (strcmp(status, "HELD") == 0) {
        job->state = JOB_HELD;
        job->reservation_id = answer.reservation_id;
        job->amount = answer.amount;
        r->held++;
        resolved(r, job, res->finished_us);
        if (r->opt->replay_path == NULL && r->opt->pay_fraction > 0)
            job->pay = (uint8_t)choose_payer(r->opt, tag);
        maybe_pay(r, (uint32_t)tag);
    } else if (strcmp(status, "REJECTED") == 0) {
        job->state = JOB_REJECTED;
        r->rejected++;
        count_name(r->reject_codes, answer.code[0] != '\0' ? answer.code : "?");
        resolved(r, job, res->finished_us);
    } else {
        int64_t after = status[0] != '\0' ? answer.poll_after_ms : 0;
        if (strcmp(status, "WAITING") != 0) {
            r->poll_errors++;
            note_http_error(r, res);
            after = POLL_RETRY_MS;
        }
        if (r->auto_poll)
            wheel_push(r, res->finished_us + after * 1000, (uint32_t)tag);
    }
}

/* --- reservation requests ------------------------------------------------------------- */

/* A request body of the configured mix, as compact JSON text to free; NULL when out of memory. */
static char *make_body(struct run *r)
{
    const struct lg_options *opt = r->opt;
    const struct lg_schedule *s = &r->schedules[next_random(&r->rng) % r->schedule_count];
    struct ft_json_writer *w = ft_json_writer_new();
    if (w == NULL)
        return NULL;
    ft_json_begin_object(w);
    ft_json_member_int(w, "scheduleId", s->id);
    if (uniform(&r->rng) < opt->seat_fraction) {
        /* Specific seats, skewed toward the front: u^3 puts half the requests in the
         * first eighth of the hall. One seat, or two side by side when the row allows. */
        size_t i = (size_t)(pow(uniform(&r->rng), 3.0) * (double)s->seat_count);
        if (i >= s->seat_count)
            i = s->seat_count - 1;
        ft_json_key(w, "seatIds");
        ft_json_begin_array(w);
        ft_json_int(w, s->seats[i].id);
        if (uniform(&r->rng) < 0.3 && i + 1 < s->seat_count && s->seats[i + 1].row == s->seats[i].row)
            ft_json_int(w, s->seats[i + 1].id);
        ft_json_end_array(w);
    } else {
        ft_json_member_int(w, "quantity", 1 + (int64_t)(next_random(&r->rng) % 4));
        if (s->grade_count > 0 && uniform(&r->rng) < opt->grade_fraction)
            ft_json_member_string(w, "grade", s->grades[next_random(&r->rng) % (uint64_t)s->grade_count]);
    }
    ft_json_end_object(w);
    return ft_json_writer_finish(w, NULL);
}

static void on_reserve(const struct lg_http_result *res, void *ctx, uint64_t tag)
{
    struct run *r = ctx;
    struct job *job = &r->jobs[tag];
    r->posts_in_flight--;
    struct lg_answer answer;
    if (res->status == 202 && lg_answer_read(res->body, res->body_len, &answer) && strlen(answer.token) == TOKEN_LEN) {
        memcpy(job->token, answer.token, TOKEN_LEN + 1);
        job->state = JOB_ACCEPTED;
        r->accepted++;
        r->last_accept_us = res->finished_us;
        note_latency(r, &r->to_202, res->finished_us - job->intended_us);
        if (r->tokens_out != NULL)
            fprintf(r->tokens_out, "%s\t%s\n", job->token, r->tokens[job->user]);
        if (r->auto_poll)
            wheel_push(r, res->finished_us + answer.poll_after_ms * 1000, (uint32_t)tag);
    } else {
        job->state = JOB_FAILED;
        r->failed++;
        note_http_error(r, res);
    }
}

/* Sends job `index` for `user` with `body` (compact JSON), meant to go at intended_us. */
static void send_reservation(struct run *r, size_t index, size_t user, const char *body, int64_t intended_us)
{
    struct job *job = &r->jobs[index];
    job->user = (uint32_t)user;
    job->intended_us = intended_us;
    job->state = JOB_SENT;
    static char run_id[48]; /* keys unique across runs: a key seen before would be a retry */
    if (run_id[0] == '\0')
        snprintf(run_id, sizeof run_id, "lg-%ld-%d", (long)time(NULL), (int)getpid());
    char key[96] = "";
    if (r->opt->idempotency_keys)
        snprintf(key, sizeof key, "Idempotency-Key: %s-%zu", run_id, index);
    if (!lg_http_submit_with(r->http, "POST", RESERVE_PATH, r->tokens[user], key[0] != '\0' ? key : NULL, body,
                             on_reserve, r, index)) {
        r->out_of_memory = true;
        job->state = JOB_FAILED;
        return;
    }
    r->posts_in_flight++;
    r->sent++;
    lg_record_request_text(&r->recorder, ms_since(r, intended_us), "POST", RESERVE_PATH, user, index, body);
}

static void send_next(struct run *r, int64_t intended_us)
{
    size_t index = r->next_job++;
    char *body = make_body(r);
    if (body == NULL)
        r->out_of_memory = true;
    else
        send_reservation(r, index, index % r->opt->users, body, intended_us);
    free(body);
}

/* --- the on-sale ------------------------------------------------------------------------ */

static void progress(const struct run *r, int64_t now_us, bool last)
{
    fprintf(stderr, "\r[ft-loadgen] %6.1fs  sent %zu/%zu  accepted %zu  decided %zu  failed %zu  polls %zu  open %zu ",
            (double)(now_us - r->t0_us) / 1e6, r->sent, r->job_count, r->accepted, r->held + r->rejected, r->failed,
            r->polls, lg_http_pending(r->http));
    if (r->payments != NULL) {
        struct lg_payment_counts pay = lg_payments_counts(r->payments);
        fprintf(stderr, " paying %zu  paid %zu  refunded %zu ", pay.open, pay.paid, pay.refunded);
    }
    if (last)
        fputc('\n', stderr);
}

/* Microseconds until the next thing this run must start by itself; INT64_MAX when none. */
static int64_t next_start_us(const struct run *r, const struct lg_recording *replay, size_t next_item)
{
    int64_t next = r->wheel_count > 0 ? lg_now_us() + 1000 : INT64_MAX; /* the wheel turns every ms */
    if (r->payments != NULL && lg_payments_next_due_us(r->payments) < next)
        next = lg_payments_next_due_us(r->payments);
    if (replay != NULL && next_item < replay->count) {
        int64_t at = r->t0_us + (int64_t)(replay->items[next_item].t_ms * 1000.0 / r->opt->speed);
        next = at < next ? at : next;
    } else if (replay == NULL && !r->opt->closed_loop && r->opt->rate > 0 && r->next_job < r->job_count) {
        int64_t at = r->t0_us + (int64_t)((double)r->next_job * 1e6 / r->opt->rate);
        next = at < next ? at : next;
    }
    return next;
}

/* Sends what is due at now_us; true while more requests may still be sent. */
static bool send_due(struct run *r, const struct lg_recording *replay, size_t *next_item, int64_t now_us)
{
    const struct lg_options *opt = r->opt;
    if (replay != NULL) {
        while (*next_item < replay->count) {
            const struct lg_recorded *item = &replay->items[*next_item];
            int64_t at = r->t0_us + (int64_t)(item->t_ms * 1000.0 / opt->speed);
            if (at > now_us)
                return true;
            (*next_item)++;
            if (item->seq >= r->job_count)
                continue;
            if (item->kind == LG_RECORDED_RESERVE) {
                send_reservation(r, item->seq, item->user % opt->users, item->body, at);
            } else if (item->kind == LG_RECORDED_POLL) {
                if (r->jobs[item->seq].state == JOB_ACCEPTED && !r->jobs[item->seq].polling)
                    send_poll(r, (uint32_t)item->seq);
            } else { /* a payment: now, or as soon as the request is HELD */
                r->jobs[item->seq].pay = item->wrong_amount ? PAY_WRONG : PAY_RIGHT;
                maybe_pay(r, (uint32_t)item->seq);
            }
        }
        if (!r->auto_poll) { /* the recording is over: poll what is still open */
            r->auto_poll = true;
            for (uint32_t i = 0; i < r->job_count; i++)
                if (r->jobs[i].state == JOB_ACCEPTED && !r->jobs[i].polling)
                    wheel_push(r, now_us, i);
        }
        return false;
    }
    bool in_time = opt->duration_s <= 0 || now_us < r->t0_us + (int64_t)(opt->duration_s * 1e6);
    while (in_time && r->next_job < r->job_count && !r->out_of_memory) {
        if (opt->closed_loop) {
            if (r->posts_in_flight >= opt->concurrency)
                return true;
            send_next(r, now_us);
        } else {
            int64_t at = opt->rate > 0 ? r->t0_us + (int64_t)((double)r->next_job * 1e6 / opt->rate) : r->t0_us;
            if (at > now_us)
                return true;
            send_next(r, at);
        }
    }
    return false;
}

static void run_onsale(struct run *r, const struct lg_recording *replay)
{
    const struct lg_options *opt = r->opt;
    bool tty = isatty(STDERR_FILENO);
    size_t next_item = 0;
    r->t0_us = lg_now_us();
    if (opt->portone_url != NULL) {
        struct lg_payments_config pay = { .http = r->http, .portone_url = opt->portone_url, .tokens = r->tokens,
                                          .recorder = &r->recorder, .t0_us = r->t0_us };
        if ((r->payments = lg_payments_new(&pay)) == NULL) {
            r->out_of_memory = true;
            return;
        }
    }
    int64_t deadline_us = r->t0_us + (int64_t)(opt->deadline_s * 1e6), shown_us = 0;
    bool sending = true;
    while (!stop_requested && !r->out_of_memory) {
        int64_t now = lg_now_us();
        if (now >= deadline_us)
            break;
        if (sending)
            sending = send_due(r, replay, &next_item, now);
        send_due_polls(r, now);
        if (r->payments != NULL) {
            lg_payments_send_due(r->payments, now);
            r->out_of_memory |= lg_payments_out_of_memory(r->payments);
        }
        bool paying = r->payments != NULL && lg_payments_waiting(r->payments) > 0;
        if (!sending && r->wheel_count == 0 && !paying && lg_http_pending(r->http) == 0)
            break;
        int64_t next = next_start_us(r, replay, next_item);
        int64_t wait_ms = next == INT64_MAX ? 20 : (next - now) / 1000;
        lg_http_step(r->http, (int)(wait_ms < 1 ? 1 : wait_ms > 20 ? 20 : wait_ms));
        if (tty && now - shown_us > 250000) {
            progress(r, now, false);
            shown_us = now;
        }
    }
    if (tty)
        progress(r, lg_now_us(), true);
}

/* --- summary ----------------------------------------------------------------------------- */

static json_t *counters_json(const struct counter *table)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < REJECT_CODES_MAX && table[i].name[0] != '\0'; i++)
        json_object_set_new(obj, table[i].name, json_integer((json_int_t)table[i].count));
    return obj;
}

static double per_second(size_t count, int64_t from_us, int64_t to_us)
{
    return to_us > from_us ? round((double)count * 1e6 / (double)(to_us - from_us)) : 0.0;
}

static json_t *summary(struct run *r, int64_t end_us)
{
    const struct lg_options *opt = r->opt;
    json_t *unresolved = json_array();
    size_t open = 0, not_sent = 0;
    for (size_t i = 0; i < r->job_count; i++) {
        if (r->jobs[i].state == JOB_ACCEPTED && open++ < UNRESOLVED_LISTED)
            json_array_append_new(unresolved, json_string(r->jobs[i].token));
        not_sent += r->jobs[i].state == JOB_NEW;
    }
    /* Open loop: the offered rate. Closed loop: the concurrency. */
    json_t *doc = json_pack(
        "{s:s, s:s, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o, s:I, s:f, s:I, s:I, s:I, s:I, s:I, "
        "s:o, s:o, s:I, s:o, s:f, s:b}",
        "mode", opt->replay_path ? "replay" : opt->closed_loop ? "closed" : "open", "base", opt->base_url, "users",
        (json_int_t)opt->users, "requests", (json_int_t)r->job_count, "rate", opt->closed_loop ? 0.0 : opt->rate,
        "concurrency", (json_int_t)(opt->closed_loop ? opt->concurrency : 0), "sent", (json_int_t)r->sent,
        "accepted", (json_int_t)r->accepted, "held", (json_int_t)r->held, "rejected", (json_int_t)r->rejected,
        "accepted_per_s", per_second(r->accepted, r->t0_us, r->last_accept_us), "decided_per_s",
        per_second(r->held + r->rejected, r->t0_us, r->last_outcome_us), "ms_to_202", lg_latency_json(&r->to_202),
        "ms_to_outcome", lg_latency_json(&r->to_outcome), "polls", (json_int_t)r->polls, "poll_per_s",
        per_second(r->polls, r->first_poll_us, r->last_poll_us), "poll_errors", (json_int_t)r->poll_errors, "http_4xx",
        (json_int_t)r->status_class[4], "http_5xx", (json_int_t)r->status_class[5], "transport_errors",
        (json_int_t)r->status_class[0], "failed_requests", (json_int_t)r->failed, "reject_codes",
        counters_json(r->reject_codes), "http_errors", counters_json(r->http_errors), "unresolved", (json_int_t)open,
        "unresolved_tokens", unresolved, "elapsed_s", (double)(end_us - r->t0_us) / 1e6, "deadline_hit",
        open > 0 || not_sent > 0);
    json_object_set_new(doc, "not_sent", json_integer((json_int_t)not_sent));
    if (r->payments != NULL) {
        json_object_set_new(doc, "payments", lg_payments_summary(r->payments));
        if (lg_payments_counts(r->payments).open > 0)
            json_object_set_new(doc, "deadline_hit", json_true());
    }
    return doc;
}

/* --- options ----------------------------------------------------------------------------- */

static void usage(FILE *to)
{
    fputs("usage: ft-loadgen [options]\n"
          "  --base URL             the ingress (http://127.0.0.1:8080)\n"
          "  --users N              buyers (1000)\n"
          "  --requests M           reservation requests in all, user = request mod N (N)\n"
          "  --rate R               open loop: requests/s; 0 = all at T0 (0)\n"
          "  --concurrency C        closed loop instead: C reservation requests in flight\n"
          "  --connections K        HTTP connections at most (256)\n"
          "  --duration S           no new request after S seconds (none)\n"
          "  --deadline S           stop everything after S seconds, report what is open (120)\n"
          "  --seat-fraction F      share of specific-seat requests, skewed to the front (0.5)\n"
          "  --grade-fraction F     share of best-available requests that name a grade (0.5)\n"
          "  --schedules ID,ID      where to reserve (every open schedule)\n"
          "  --accounts signup|login|mint   how users get tokens (signup)\n"
          "  --user-prefix P        e-mails P-<i>@bench.example (lg-<time>-<pid>)\n"
          "  --password P           the users' password (loadgen-password)\n"
          "  --jwt-secret-file F    mint: the stack's HS256 secret\n"
          "  --first-user-id ID     mint: users ID .. ID+N-1 exist\n"
          "  --seed S               request mix (1)\n"
          "  --record FILE          write each request as one JSON line\n"
          "  --replay FILE          send a recording's requests instead of a new mix\n"
          "  --speed X              replay X times faster (1)\n"
          "  --tokens-out FILE      write 'token<TAB>bearer' for each 202\n"
          "  --pay-fraction F       share of holds paid through the PortOne imitation (0)\n"
          "  --bad-pay-fraction G   share of those payers who pay 1,000 won too little: refunded (0)\n"
          "  --portone URL          the PortOne imitation the stack uses (payments; replay of payments)\n"
          "  --idempotency-keys     send an Idempotency-Key with every reservation request, as the browser does\n",
          to);
}

static bool parse_number(const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

static bool parse_options(int argc, char **argv, struct lg_options *opt)
{
    static char prefix[64];
    snprintf(prefix, sizeof prefix, "lg-%ld-%d", (long)time(NULL), (int)getpid());
    *opt = (struct lg_options){ .base_url = "http://127.0.0.1:8080", .users = 1000, .connections = 256,
                                .deadline_s = 120, .seat_fraction = 0.5, .grade_fraction = 0.5,
                                .user_prefix = prefix, .password = "loadgen-password", .seed = 1, .speed = 1,
                                .concurrency = 0 };
    static const struct option longs[] = {
        { "base", 1, 0, 'b' },          { "users", 1, 0, 'u' },          { "requests", 1, 0, 'n' },
        { "rate", 1, 0, 'r' },          { "concurrency", 1, 0, 'c' },    { "connections", 1, 0, 'k' },
        { "duration", 1, 0, 'd' },      { "deadline", 1, 0, 'D' },       { "seat-fraction", 1, 0, 'S' },
        { "grade-fraction", 1, 0, 'G' }, { "schedules", 1, 0, 's' },     { "accounts", 1, 0, 'a' },
        { "user-prefix", 1, 0, 'p' },   { "password", 1, 0, 'P' },       { "jwt-secret-file", 1, 0, 'j' },
        { "first-user-id", 1, 0, 'f' }, { "seed", 1, 0, 'e' },           { "record", 1, 0, 'R' },
        { "replay", 1, 0, 'y' },        { "speed", 1, 0, 'x' },          { "tokens-out", 1, 0, 't' },
        { "pay-fraction", 1, 0, 'F' },  { "bad-pay-fraction", 1, 0, 'B' }, { "portone", 1, 0, 'o' },
        { "idempotency-keys", 0, 0, 'K' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
    };
    double v = 0, requests = -1;
    int c, which = -1;
    while ((which = -1, c = getopt_long(argc, argv, "", longs, &which)) != -1) {
        bool ok = true;
        switch (c) {
        case 'b': opt->base_url = optarg; break;
        case 'u': ok = parse_number(optarg, 1, 1e7, &v), opt->users = (size_t)v; break;
        case 'n': ok = parse_number(optarg, 1, 1e8, &requests); break;
        case 'r': ok = parse_number(optarg, 0, 1e7, &opt->rate); break;
        case 'c': ok = parse_number(optarg, 1, 1e6, &v), opt->concurrency = (size_t)v, opt->closed_loop = true; break;
        case 'k': ok = parse_number(optarg, 1, 1e5, &v), opt->connections = (int)v; break;
        case 'd': ok = parse_number(optarg, 0, 86400, &opt->duration_s); break;
        case 'D': ok = parse_number(optarg, 0.1, 86400, &opt->deadline_s); break;
        case 'S': ok = parse_number(optarg, 0, 1, &opt->seat_fraction); break;
        case 'G': ok = parse_number(optarg, 0, 1, &opt->grade_fraction); break;
        case 'F': ok = parse_number(optarg, 0, 1, &opt->pay_fraction); break;
        case 'B': ok = parse_number(optarg, 0, 1, &opt->bad_pay_fraction); break;
        case 'o': opt->portone_url = optarg; break;
        case 's': opt->schedules = optarg; break;
        case 'a':
            ok = strcmp(optarg, "signup") == 0 || strcmp(optarg, "login") == 0 || strcmp(optarg, "mint") == 0;
            opt->accounts = optarg[0] == 's'   ? LG_ACCOUNTS_SIGNUP
                            : optarg[0] == 'l' ? LG_ACCOUNTS_LOGIN
                                               : LG_ACCOUNTS_MINT;
            break;
        case 'p': opt->user_prefix = optarg; break;
        case 'P': opt->password = optarg; break;
        case 'j': opt->jwt_secret_file = optarg; break;
        case 'f': ok = parse_number(optarg, 1, 9e15, &v), opt->first_user_id = (int64_t)v; break;
        case 'e': ok = parse_number(optarg, 0, 9e15, &v), opt->seed = (uint64_t)v; break;
        case 'R': opt->record_path = optarg; break;
        case 'y': opt->replay_path = optarg; break;
        case 'x': ok = parse_number(optarg, 0.001, 1e6, &opt->speed); break;
        case 't': opt->tokens_out = optarg; break;
        case 'K': opt->idempotency_keys = true; break;
        case 'h': usage(stdout); exit(0);
        default: ok = false;
        }
        if (!ok) {
            if (which >= 0)
                fprintf(stderr, "ft-loadgen: bad value for --%s: %s\n", longs[which].name, optarg ? optarg : "");
            usage(stderr);
            return false;
        }
    }
    opt->requests = requests > 0 ? (size_t)requests : opt->users;
    if (opt->pay_fraction > 0 && opt->portone_url == NULL) {
        fprintf(stderr, "ft-loadgen: --pay-fraction needs --portone (the imitation the stack pays through)\n");
        return false;
    }
    if (opt->replay_path != NULL && (opt->pay_fraction > 0 || opt->bad_pay_fraction > 0)) {
        fprintf(stderr, "ft-loadgen: a replay pays as its recording did; --pay-fraction does not apply\n");
        return false;
    }
    if (optind != argc || (opt->accounts == LG_ACCOUNTS_MINT && (!opt->jwt_secret_file || opt->first_user_id <= 0))) {
        usage(stderr);
        return false;
    }
    return true;
}

/* Each connection is a file: Debian's soft limit of 1,024 would cap --connections. */
static void allow_connections(int connections)
{
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= (rlim_t)connections + 64)
        return;
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur < (rlim_t)connections + 64)
        fprintf(stderr, "ft-loadgen: at most %llu open files: fewer than --connections %d\n",
                (unsigned long long)files.rlim_cur, connections);
}

int main(int argc, char **argv)
{
    struct lg_options opt;
    if (!parse_options(argc, argv, &opt))
        return 2;
    allow_connections(opt.connections);
    struct lg_recording replay = { 0 };
    char err[256];
    if (opt.replay_path != NULL) {
        if (!lg_recording_load(opt.replay_path, &replay, err, sizeof err)) {
            fprintf(stderr, "ft-loadgen: %s\n", err);
            return 2;
        }
        opt.users = replay.users;
        opt.requests = replay.requests;
        if (replay.payments > 0 && opt.portone_url == NULL) {
            fprintf(stderr, "ft-loadgen: %s has %zu payments: give --portone\n", opt.replay_path, replay.payments);
            lg_recording_free(&replay);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    static struct run r; /* large (the timer wheel): not on the stack */
    r = (struct run){ .opt = &opt, .rng = opt.seed, .auto_poll = opt.replay_path == NULL };
    for (size_t i = 0; i < WHEEL_SLOTS; i++)
        r.wheel[i] = NO_JOB;
    r.http = lg_http_new(opt.base_url, opt.connections, 30000);
    bool ok = r.http != NULL && lg_setup_accounts(r.http, &opt, &r.tokens) &&
              (opt.replay_path != NULL || lg_setup_schedules(r.http, &opt, &r.schedules, &r.schedule_count));
    r.job_count = opt.requests;
    ok = ok && (r.jobs = calloc(r.job_count, sizeof *r.jobs)) != NULL;
    if (ok && opt.record_path != NULL && !lg_record_open(&r.recorder, opt.record_path, opt.users, opt.requests)) {
        fprintf(stderr, "ft-loadgen: cannot write %s: %s\n", opt.record_path, strerror(errno));
        ok = false;
    }
    if (ok && opt.tokens_out != NULL && (r.tokens_out = fopen(opt.tokens_out, "w")) == NULL) {
        fprintf(stderr, "ft-loadgen: cannot write %s: %s\n", opt.tokens_out, strerror(errno));
        ok = false;
    }
    int code = ok ? 0 : 1;
    if (ok) {
        run_onsale(&r, opt.replay_path ? &replay : NULL);
        int64_t end = lg_now_us();
        json_t *doc = summary(&r, end);
        if (doc == NULL || json_dumpf(doc, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0 || puts("") == EOF)
            code = 1;
        json_decref(doc);
        if (!lg_record_close(&r.recorder) || (r.tokens_out != NULL && fclose(r.tokens_out) != 0)) {
            fprintf(stderr, "ft-loadgen: writing a file failed\n");
            code = 1;
        }
        if (r.out_of_memory) {
            fprintf(stderr, "ft-loadgen: out of memory; the figures are incomplete\n");
            code = 1;
        }
    }
    lg_http_free(r.http);
    for (size_t i = 0; r.tokens != NULL && i < opt.users; i++)
        free(r.tokens[i]);
    free(r.tokens);
    for (size_t i = 0; i < r.schedule_count; i++)
        free(r.schedules[i].seats);
    free(r.schedules);
    free(r.jobs);
    lg_payments_free(r.payments);
    lg_latency_free(&r.to_202);
    lg_latency_free(&r.to_outcome);
    lg_recording_free(&replay);
    curl_global_cleanup();
    return code;
}
