/*
 * What the load generator reads of the ingress's answers to its reservation requests and
 * polls, with simdjson (answer.cpp). It reads one 202 and about one poll answer per
 * request; jansson's tree took 3 to 4 µs of the load generator's CPU per decided request
 * (perf, nobody-paying closed loop), CPU the ingress and Kafka share on this machine.
 */
#ifndef LG_ANSWER_H
#define LG_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LG_ANSWER_TEXT 64 /* room for a token, a status or a code, NUL included */

/* The members read; a member that is missing, of another type or too long reads as empty or 0. */
struct lg_answer {
    char token[LG_ANSWER_TEXT];
    char status[LG_ANSWER_TEXT];
    char code[LG_ANSWER_TEXT]; /* "code", or an error's {"error":{"code"}} */
    int64_t reservation_id, amount, poll_after_ms;
};

/* Reads body[0..len) into *out; false, with *out empty, when it is not a JSON object. */
bool lg_answer_read(const char *body, size_t len, struct lg_answer *out);

#ifdef __cplusplus
}
#endif

#endif
