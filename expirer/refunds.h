/*
 * The refund retrier: empties the refund outbox (table refunds) through PortOne's
 * POST /payments/cancel until PortOne confirms each refund.
 *
 * Never twice: every cancel carries PortOne's checksum (the cancellable amount, which is
 * the whole payment since we only ever refund in full), so a cancel repeated after a
 * timeout or a crash is refused by PortOne instead of refunding again; a refusal is then
 * reconciled by fetching the payment. Never lost: a refund stays DUE until PortOne says
 * it is done, through outages, timeouts and restarts (each attempt first leases the row
 * by moving its next attempt past the time the attempt may take, so a crash mid-call only
 * delays it; a failed attempt then sets the back-off). Every attempt is recorded in
 * refund_attempts, written STARTED before the call.
 *
 * Runs on FT_REFUND_THREADS threads, each with its own PostgreSQL connection and one
 * refund at a time, so that a slow PortOne never delays the expiry of holds and refunds
 * do not queue behind one another's calls (one thread did about 50 a second against
 * the local imitation: an on-sale's refunds waited 25 s; PortOne itself is further away).
 */
#ifndef FT_EXPIRER_REFUNDS_H
#define FT_EXPIRER_REFUNDS_H

#include <stdint.h>

#include "ft/config.h"

struct ft_refunds;

/* Starts the retrier; NULL (logged) when PortOne is not configured or a thread cannot start. */
struct ft_refunds *ft_refunds_start(const struct ft_config *config);

/* Stops the threads (attempts in flight finish first) and frees everything. NULL is fine. */
void ft_refunds_stop(struct ft_refunds *refunds);

struct ft_refund_counts {
    uint64_t completed; /* refunds PortOne confirmed (or had already done) */
    uint64_t failed_attempts; /* attempts that left the refund due */
};

void ft_refunds_counts(struct ft_refunds *refunds, struct ft_refund_counts *out);

#endif
