#include <criterion/criterion.h>

#include "wait_estimate.h"

Test(wait_estimate, position_is_the_commands_between_the_writer_and_the_token)
{
    cr_assert_eq(ft_wait_position(10, 0), 10);
    cr_assert_eq(ft_wait_position(10, 7), 3);
    cr_assert_eq(ft_wait_position(10, 10), 0, "the writer decides it next");
    cr_assert_eq(ft_wait_position(10, 11), 0, "never negative once passed");
}

Test(wait_estimate, eta_needs_a_rate)
{
    cr_assert_eq(ft_wait_eta_ms(100, 0), -1);
    cr_assert_eq(ft_wait_eta_ms(100, -5), -1);
    cr_assert_eq(ft_wait_eta_ms(100, 1000), 100);
    cr_assert_eq(ft_wait_eta_ms(0, 1000), 0);
    cr_assert_eq(ft_wait_eta_ms(1, 3), 334, "rounded up");
    cr_assert_eq(ft_wait_eta_ms(INT64_MAX, 1e-9), INT64_C(9000000000000000), "capped, no overflow");
}

Test(wait_estimate, poll_after_starts_at_250_and_ends_at_5000)
{
    cr_assert_eq(ft_wait_poll_after_ms(0, 0), FT_POLL_AFTER_MIN_MS);
    cr_assert_eq(ft_wait_poll_after_ms(0, 1000), FT_POLL_AFTER_MIN_MS);
    cr_assert_eq(ft_wait_poll_after_ms(1, 0), 275);
    cr_assert_eq(ft_wait_poll_after_ms(1000000, 0), FT_POLL_AFTER_MAX_MS);
    cr_assert_eq(ft_wait_poll_after_ms(INT64_MAX, 0), FT_POLL_AFTER_MAX_MS);
    cr_assert_eq(ft_wait_poll_after_ms(1000, 1000), 500, "half the ETA");
    cr_assert_eq(ft_wait_poll_after_ms(1000000, 1000), FT_POLL_AFTER_MAX_MS);
    cr_assert_eq(ft_wait_poll_after_ms(10, 100000), FT_POLL_AFTER_MIN_MS, "a fast queue still waits 250 ms");
}

Test(wait_estimate, poll_after_never_shrinks_with_distance)
{
    const double rates[] = { 0, 0.5, 7, 1000, 25000 };
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        int32_t before = 0;
        for (int64_t position = 0; position < 200000; position += 37) {
            int32_t after = ft_wait_poll_after_ms(position, rates[r]);
            cr_assert_geq(after, before, "rate %g position %lld", rates[r], (long long)position);
            cr_assert(after >= FT_POLL_AFTER_MIN_MS && after <= FT_POLL_AFTER_MAX_MS);
            before = after;
        }
    }
}
