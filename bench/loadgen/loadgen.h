/*
 * ft-loadgen: an on-sale against a running stack. Shared state of its modules:
 * setup.c (accounts and seat maps, before T0) and main.c (the on-sale itself).
 */
#ifndef LG_LOADGEN_H
#define LG_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"

enum lg_accounts {
    LG_ACCOUNTS_SIGNUP, /* POST /api/v1/users/signup, then /api/v1/users/login, for each user */
    LG_ACCOUNTS_LOGIN,  /* the users exist already (same prefix): log in only */
    LG_ACCOUNTS_MINT,   /* the users exist already (ids given): tokens signed here with the stack's secret */
};

struct lg_seat {
    int64_t id;
    int32_t row;
};

struct lg_schedule {
    int64_t id;
    struct lg_seat *seats; /* ordered by row, then number: the front first */
    size_t seat_count;
    char grades[4][4]; /* the grades the schedule has, e.g. "VIP" */
    int grade_count;
};

struct lg_options {
    const char *base_url;
    size_t users, requests;
    bool closed_loop;
    double rate;         /* open loop: requests/s, 0 = all at T0 */
    size_t concurrency;  /* closed loop: reservation requests in flight */
    int connections;     /* HTTP connections at most */
    double duration_s;   /* no new reservation request after this; 0 = none */
    double deadline_s;   /* everything stops after this */
    double seat_fraction, grade_fraction;
    double pay_fraction;     /* share of holds whose buyer pays */
    double bad_pay_fraction; /* share of those who pay the wrong amount */
    enum lg_accounts accounts;
    const char *user_prefix, *password;
    const char *jwt_secret_file;
    int64_t first_user_id;
    const char *schedules; /* comma-separated ids, or NULL: every open schedule */
    uint64_t seed;
    const char *record_path, *replay_path, *tokens_out;
    double speed;
    const char *portone_url;
    bool idempotency_keys; /* an Idempotency-Key with every reservation request, as the browser sends */
};

/* Users' bearer tokens, index = user. False (with a reason on stderr) when set-up failed. */
__attribute__((warn_unused_result)) bool lg_setup_accounts(struct lg_http *http, const struct lg_options *opt,
                                                           char ***tokens_out);

/* The schedules to reserve in, with their seat maps. */
__attribute__((warn_unused_result)) bool lg_setup_schedules(struct lg_http *http, const struct lg_options *opt,
                                                            struct lg_schedule **out, size_t *count);

/* One request, waited for: the body parsed as JSON (NULL when it is not JSON) and the status. */
json_t *lg_fetch_json(struct lg_http *http, const char *method, const char *path, const char *bearer,
                      const char *body, long *status);

#endif
