/* RFC 3339 timestamps: every timestamp the API accepts carries an explicit offset. */
#ifndef FT_TIMEFMT_H
#define FT_TIMEFMT_H

#include <stdbool.h>
#include <time.h>

/*
 * True when `text` is an RFC 3339 date-time with an offset, such as
 * "2026-12-24T19:00:00+09:00", "2026-12-24T10:00:00.5Z": a real calendar date, a time
 * within range and an offset of at most ±23:59. On success *epoch holds the instant
 * (fractions of a second dropped). A time without offset is refused.
 */
__attribute__((warn_unused_result)) bool ft_rfc3339_parse(const char *text, time_t *epoch);

#endif
