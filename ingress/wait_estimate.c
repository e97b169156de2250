#include "wait_estimate.h"

#include <math.h>

#define MS_PER_COMMAND_WITHOUT_RATE 25

int64_t ft_wait_position(int64_t offset, int64_t next_offset)
{
    return offset > next_offset ? offset - next_offset : 0;
}

int64_t ft_wait_eta_ms(int64_t position, double rate_per_sec)
{
    if (!(rate_per_sec > 0) || !isfinite(rate_per_sec))
        return -1;
    double ms = (double)position * 1000.0 / rate_per_sec;
    return ms >= 9e15 ? INT64_C(9000000000000000) : (int64_t)ceil(ms);
}

int32_t ft_wait_poll_after_ms(int64_t position, double rate_per_sec)
{
    int64_t eta = ft_wait_eta_ms(position, rate_per_sec);
    int64_t after;
    if (eta >= 0)
        after = eta / 2;
    else
        after = position > FT_POLL_AFTER_MAX_MS ? FT_POLL_AFTER_MAX_MS
                                                : FT_POLL_AFTER_MIN_MS + position * MS_PER_COMMAND_WITHOUT_RATE;
    if (after < FT_POLL_AFTER_MIN_MS)
        after = FT_POLL_AFTER_MIN_MS;
    if (after > FT_POLL_AFTER_MAX_MS)
        after = FT_POLL_AFTER_MAX_MS;
    return (int32_t)after;
}
