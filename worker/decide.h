/*
 * Where a seat is decided: the worker's state machine over one partition's log.
 *
 * Pure: no I/O, no clock. Given the seat state of the partition's schedules and a
 * command at an offset, it decides (first come, first served, all-or-nothing for
 * several seats) and appends what changed to a batch. Replaying the same commands from
 * the same state gives the same batch, byte for byte.
 *
 * Time is the command's `ts`. A hold is live while ts < its expiry; the first command
 * of the schedule whose ts reaches it ends the hold as EXPIRED (an EXPIRE command from
 * the expirer does just that when no other command comes).
 *
 * Payments: a CONFIRM_PAYMENT makes its owner's hold PAID only if the hold is still live
 * at that point of the log and the amount is the hold's; otherwise the payment is to be
 * refunded (a payment effect in the batch, which the store puts in the refund outbox in
 * the same transaction). The same payment confirmed again changes nothing. A CANCEL of
 * the owner's PAID reservation releases its seats and refunds its payment.
 */
#ifndef FT_WORKER_DECIDE_H
#define FT_WORKER_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "ft/command.h"

/* A seat as loaded from PostgreSQL. */
struct ft_seat_seed {
    int64_t id;
    int32_t row, number;
    enum ft_grade grade;
    int64_t price;
};

/* A live (HELD or PAID) reservation as loaded from PostgreSQL. */
struct ft_reservation_seed {
    int64_t id, user_id, amount, expires_at_ms;
    bool paid;
    uint64_t paid_by; /* PAID: ft_payment_fingerprint of the payment's imp_uid (0: unknown) */
    int32_t seat_count;
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];
};

/* Everything the decider needs to know of one schedule. */
struct ft_schedule_seed {
    int64_t schedule_id;
    bool exists; /* false: no such schedule; its requests are refused */
    bool open;
    const struct ft_seat_seed *seats; /* any order */
    size_t seat_count;
    const struct ft_reservation_seed *reservations;
    size_t reservation_count;
};

struct ft_decider;

/* State of one partition; seat_limit is the most seats one user may hold or have bought per schedule. */
struct ft_decider *ft_decider_new(int32_t partition, int32_t seat_limit);
void ft_decider_free(struct ft_decider *decider);

/* Reservation ids of this partition are ft_reservation_id_for(partition, id_base +
 * offset): id_base is 0 until the partition is resumed on a log that uses its offsets
 * again (partition_offsets.id_base, ft-admin resume-partition). */
void ft_decider_set_id_base(struct ft_decider *decider, int64_t id_base);

/* Whether the schedule's state is loaded. */
bool ft_decider_knows(const struct ft_decider *decider, int64_t schedule_id);

/* Loads a schedule's state. False when out of memory, when the schedule is loaded
 * already, or when the seed contradicts itself (a reservation naming a seat that is not
 * the schedule's, one seat held twice, one reservation twice). */
__attribute__((warn_unused_result)) bool ft_decider_add_schedule(struct ft_decider *decider,
                                                                 const struct ft_schedule_seed *seed);

enum ft_decide_result {
    FT_DECIDED,               /* the batch holds the command's effects */
    FT_DECIDE_NEEDS_SCHEDULE, /* load the command's schedule, then call again */
    /* The command was not decided. Holds already due at its time may have ended (time
     * passes before a command is decided, and those endings are effects of the log at
     * that point); calling again decides the command as if nothing had failed. */
    FT_DECIDE_OUT_OF_MEMORY,
};

/* Decides `cmd`, read at `offset` of the partition, appending its effects to batch. */
__attribute__((warn_unused_result)) enum ft_decide_result ft_decide(struct ft_decider *decider,
                                                                    const struct ft_command *cmd, int64_t offset,
                                                                    struct ft_batch *batch);

/* A non-zero 64-bit fingerprint of a PortOne payment id, to know a payment confirmed again. */
uint64_t ft_payment_fingerprint(const char *imp_uid);

/* The reservation id a HELD outcome at (partition, offset) gets: deterministic, so a
 * replay gives the same ids. */
int64_t ft_reservation_id_for(int32_t partition, int64_t offset);

/* Seat status for the live seat map: 0 available, 1 held, 2 sold. */
enum ft_seat_state { FT_SEAT_AVAILABLE, FT_SEAT_HELD, FT_SEAT_SOLD };

/* Calls visit for every seat of a loaded schedule, in row and number order, with its
 * state as of time now_ms. False when the schedule is not loaded. */
bool ft_decider_each_seat(const struct ft_decider *decider, int64_t schedule_id, int64_t now_ms,
                          void (*visit)(void *ctx, int64_t seat_id, enum ft_seat_state state), void *ctx);

#endif
