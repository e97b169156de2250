#include <criterion/criterion.h>

#include "validate.h"

Test(validate, emails)
{
    const char *good[] = { "a@b.co", "first.last+tag@example.co.kr", "x@sub.domain.org" };
    const char *bad[] = { "", "a", "@b.co", "a@", "a@b", "a@.co", "a@b.", "a@@b.co", "a@b@c.co", "a b@c.co",
                          "a@b..co", "a\t@b.co" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(ft_email_valid(good[i]), "refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(ft_email_valid(bad[i]), "accepted %s", bad[i]);
}

Test(validate, lengths_count_characters_not_bytes)
{
    cr_assert_eq(ft_utf8_length("abc"), 3);
    cr_assert_eq(ft_utf8_length("콘서트"), 3); /* 9 bytes */
    struct ft_error err;
    cr_assert(ft_check_length("콘서트", "name", 1, 3, &err));
    cr_assert_not(ft_check_length("콘서트!", "name", 1, 3, &err));
    cr_assert_eq(err.status, 422);
    cr_assert_str_eq(err.code, "VALIDATION_FAILED");
    cr_assert_str_eq(err.field, "name");
    cr_assert_not(ft_check_length("", "name", 1, 3, &err));
}

Test(validate, ranges_are_inclusive)
{
    struct ft_error err;
    cr_assert(ft_check_range(1, "seats", 1, 200, &err));
    cr_assert(ft_check_range(200, "seats", 1, 200, &err));
    cr_assert_not(ft_check_range(0, "seats", 1, 200, &err));
    cr_assert_not(ft_check_range(201, "seats", 1, 200, &err));
    cr_assert_str_eq(err.field, "seats");
}

Test(validate, grades)
{
    cr_assert(ft_grade_valid("VIP"));
    cr_assert(ft_grade_valid("A"));
    cr_assert_not(ft_grade_valid("vip"));
    cr_assert_not(ft_grade_valid("B"));
    cr_assert_not(ft_grade_valid(""));
}
