/*
 * Traffic recording: one JSON line per request the on-sale sends, with its time relative
 * to T0, so that a run can be replayed against the stack at x1 or faster.
 *
 *   {"t":12.5,"method":"POST","path":"/api/v1/reservations","user":17,"seq":17,"body":{...}}
 *   {"t":270.1,"method":"GET","path":"/api/v1/reservations/requests/{token}","user":17,"seq":17}
 *
 * `user` indexes the run's users (0 .. users-1), `seq` the reservation request a poll
 * belongs to: a replay has new tokens, so a poll names its request, not its token. The
 * first line is {"meta":{"version":1,"users":N,"requests":M}}. Account set-up (signup,
 * login) happens before T0 and is not recorded: a replay sets up its own N users.
 */
#ifndef LG_RECORD_H
#define LG_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The path a recorded poll carries in place of its token. */
#define LG_POLL_PATH_TEMPLATE "/api/v1/reservations/requests/{token}"

struct lg_recorder {
    FILE *file;
    bool failed;
};

__attribute__((warn_unused_result)) bool lg_record_open(struct lg_recorder *rec, const char *path, size_t users,
                                                        size_t requests);
/* Appends one request; body may be NULL. A write error is remembered for lg_record_close. */
void lg_record_request(struct lg_recorder *rec, double t_ms, const char *method, const char *path, size_t user,
                       size_t seq, json_t *body);
/* Closes the file; false when any write failed. */
__attribute__((warn_unused_result)) bool lg_record_close(struct lg_recorder *rec);

struct lg_recorded {
    double t_ms;
    bool is_poll; /* GET of the poll template; otherwise POST /api/v1/reservations */
    size_t user, seq;
    char *body; /* compact JSON, NULL for a poll */
};

struct lg_recording {
    size_t users, requests;
    struct lg_recorded *items; /* in file order, which is time order */
    size_t count;
};

/* Reads a recording; on failure writes the reason into err. */
__attribute__((warn_unused_result)) bool lg_recording_load(const char *path, struct lg_recording *out, char *err,
                                                           size_t errlen);
void lg_recording_free(struct lg_recording *rec);

#endif
