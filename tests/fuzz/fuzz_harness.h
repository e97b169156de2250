/*
 * What the fuzzers, the corpus replay (unit.fuzz_corpus) and the decision unit tests
 * share: a reference model of the seat decisions, written from worker/decide.h alone,
 * and the two harness functions the libFuzzer targets call.
 */
#ifndef FT_FUZZ_HARNESS_H
#define FT_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "decide.h"

/* --- the harnesses ------------------------------------------------------------------ */

/*
 * Reads the bytes as 2-3 small seeded schedules and a run of commands, decides them with
 * two deciders and the reference model side by side, and checks after every command that
 * the decider did what the model did (which seat, which refusal, which hold ended when,
 * which payment was confirmed or is to be refunded and why), that the two deciders agree
 * field by field, and that the seat map matches.
 * True when all held; otherwise false with the first difference in why.
 */
bool ft_fuzz_decide_check(const uint8_t *data, size_t size, char *why, size_t whylen);

/* Feeds the bytes to the command, outcome and progress decoders; when one accepts, checks
 * that encoding and decoding again gives the same message. */
bool ft_fuzz_command_decode_check(const uint8_t *data, size_t size, char *why, size_t whylen);

/* The libFuzzer entry points' bodies: the checks above, abort() on a violation. */
int ft_fuzz_decide_one(const uint8_t *data, size_t size);
int ft_fuzz_command_decode_one(const uint8_t *data, size_t size);

/* --- the reference model -------------------------------------------------------------- */

/* Where a batch stood before a command, to find what the command appended. */
struct ft_batch_mark {
    size_t outcomes, created, ended, payments, commands;
    int64_t next_offset;
};

struct ft_batch_mark ft_batch_mark_of(const struct ft_batch *batch);

struct ft_model;

struct ft_model *ft_model_new(int32_t partition, int32_t seat_limit);
void ft_model_free(struct ft_model *model);

/* Loads a seed into the model. Returns whether the seed is consistent, which is what
 * ft_decider_add_schedule must answer; an inconsistent seed is not loaded. */
bool ft_model_add_schedule(struct ft_model *model, const struct ft_schedule_seed *seed);
bool ft_model_knows(const struct ft_model *model, int64_t schedule_id);

/*
 * Decides cmd at offset in the model and compares with what the decider appended to
 * batch since `before` (ft_decide must have answered FT_DECIDED). On agreement, the
 * model moves on and true is returned; otherwise false with the difference in why.
 */
bool ft_model_decide_and_compare(struct ft_model *model, const struct ft_command *cmd, int64_t offset,
                                 const struct ft_batch *batch, struct ft_batch_mark before, char *why, size_t whylen);

/* Compares ft_decider_each_seat at now_ms with the model's seat states. */
bool ft_model_compare_seat_map(const struct ft_model *model, const struct ft_decider *decider, int64_t schedule_id,
                               int64_t now_ms, char *why, size_t whylen);

/* The owner of a live reservation in the model; 0 when there is none. */
int64_t ft_model_owner(const struct ft_model *model, int64_t reservation_id);
/* The amount of a live reservation in the model (what a payment must be); 0 when there is none. */
int64_t ft_model_amount(const struct ft_model *model, int64_t reservation_id);

/* Whether two batches got the same effects, field by field, since their marks. */
bool ft_fuzz_same_effects(const struct ft_batch *a, struct ft_batch_mark a_mark, const struct ft_batch *b,
                          struct ft_batch_mark b_mark, char *why, size_t whylen);

#endif
