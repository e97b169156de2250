/* Time as the programs read it. Decisions never do: the worker takes time from commands. */
#ifndef FT_CLOCK_H
#define FT_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds since the epoch (CLOCK_REALTIME): what a command's `ts` carries. */
int64_t ft_clock_wall_ms(void);

/* Milliseconds of CLOCK_MONOTONIC: for durations and ages, never shown. */
int64_t ft_clock_monotonic_ms(void);

/* Microseconds of CLOCK_MONOTONIC. */
int64_t ft_clock_monotonic_us(void);

/* The CLOCK_REALTIME instant timeout_ms from now, as pthread_cond_timedwait takes it. */
struct timespec ft_clock_deadline(int timeout_ms);

#endif
