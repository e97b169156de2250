#include <criterion/criterion.h>

#include "ft/timefmt.h"

Test(timefmt, offsets_give_the_same_instant)
{
    time_t a = 0, b = 0, c = 0;
    cr_assert(ft_rfc3339_parse("2026-12-24T19:00:00+09:00", &a));
    cr_assert(ft_rfc3339_parse("2026-12-24T10:00:00Z", &b));
    cr_assert(ft_rfc3339_parse("2026-12-24T05:30:00.250-04:30", &c));
    cr_assert_eq(a, b);
    cr_assert_eq(b, c);
    cr_assert_eq(b, (time_t)1798106400);
}

Test(timefmt, refuses_what_is_not_a_full_date_time_with_offset)
{
    const char *bad[] = {
        "2026-12-24T19:00:00",       /* no offset */
        "2026-12-24 19:00:00+09:00", /* space */
        "2026-02-30T10:00:00Z",      /* no such day */
        "2026-13-01T10:00:00Z",      /* no such month */
        "2026-12-24T24:00:00Z",      /* hour 24 */
        "2026-12-24T10:00:00+24:00", /* offset too large */
        "2026-12-24T10:00:00.Z",     /* empty fraction */
        "2026-12-24T10:00Z",         /* no seconds */
        "2026-12-24",                /* date only */
        "2026-12-24T10:00:00Zjunk",  /* trailing text */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t t;
        cr_expect_not(ft_rfc3339_parse(bad[i], &t), "accepted '%s'", bad[i]);
    }
}

Test(timefmt, leap_day_exists_only_in_leap_years)
{
    time_t t;
    cr_expect(ft_rfc3339_parse("2028-02-29T00:00:00Z", &t));
    cr_expect_not(ft_rfc3339_parse("2027-02-29T00:00:00Z", &t));
}
