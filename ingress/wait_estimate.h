/*
 * What a waiting request is told: how many commands are ahead of it, when it may be
 * decided, and when to ask again. Pure arithmetic, no state.
 */
#ifndef FT_INGRESS_WAIT_ESTIMATE_H
#define FT_INGRESS_WAIT_ESTIMATE_H

#include <stdint.h>

/* Bounds of pollAfterMs: at the front of the queue, and far back. */
#define FT_POLL_AFTER_MIN_MS 250
#define FT_POLL_AFTER_MAX_MS 5000

/*
 * Commands still ahead of the command at `offset` in its partition, when the partition's
 * writer will decide `next_offset` next: every offset in [next_offset, offset) is
 * undecided. Never negative (0 once the writer has reached or passed it).
 */
int64_t ft_wait_position(int64_t offset, int64_t next_offset);

/* Milliseconds until `position` commands are decided at rate_per_sec; -1 when the rate
 * is unknown (0 or less). */
int64_t ft_wait_eta_ms(int64_t position, double rate_per_sec);

/*
 * When to poll again: FT_POLL_AFTER_MIN_MS at the front, growing with the distance from
 * it up to FT_POLL_AFTER_MAX_MS. With a known rate it is half the ETA; without, 25 ms
 * per command ahead. Never decreases as position grows (for a given rate).
 */
int32_t ft_wait_poll_after_ms(int64_t position, double rate_per_sec);

#endif
