#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "answer.h"

static struct lg_answer read_text(const char *text)
{
    struct lg_answer a;
    cr_assert(lg_answer_read(text, strlen(text), &a), "not read: %s", text);
    return a;
}

Test(loadgen_answer, reads_a_202)
{
    struct lg_answer a =
        read_text("{\"token\":\"0123456789abcdefghijklmnopqrstuvwx\",\"position\":12,\"pollAfterMs\":350}");
    cr_assert_str_eq(a.token, "0123456789abcdefghijklmnopqrstuvwx");
    cr_assert_eq(a.poll_after_ms, 350);
    cr_assert_str_eq(a.status, "");
}

Test(loadgen_answer, reads_held_rejected_and_waiting_polls)
{
    struct lg_answer a = read_text("{\"token\":\"t\",\"status\":\"HELD\",\"reservationId\":4294967297,"
                                   "\"seats\":[{\"id\":1,\"row\":1,\"number\":2,\"grade\":\"VIP\",\"price\":1}],"
                                   "\"amount\":352000,\"expiresAt\":\"2026-11-25T12:00:00Z\"}");
    cr_assert_str_eq(a.status, "HELD");
    cr_assert_eq(a.reservation_id, 4294967297LL);
    cr_assert_eq(a.amount, 352000);

    a = read_text("{\"token\":\"t\",\"status\":\"REJECTED\",\"code\":\"SEAT_TAKEN\"}");
    cr_assert_str_eq(a.status, "REJECTED");
    cr_assert_str_eq(a.code, "SEAT_TAKEN");

    a = read_text("{\"token\":\"t\",\"status\":\"WAITING\",\"position\":3,\"etaMs\":null,\"pollAfterMs\":250}");
    cr_assert_str_eq(a.status, "WAITING");
    cr_assert_eq(a.poll_after_ms, 250);
}

Test(loadgen_answer, reads_an_errors_code)
{
    struct lg_answer a = read_text("{\"error\":{\"code\":\"RATE_LIMITED\",\"message\":\"slow down\"}}");
    cr_assert_str_eq(a.code, "RATE_LIMITED");
}

Test(loadgen_answer, members_of_another_type_or_too_long_read_as_empty)
{
    char text[256];
    snprintf(text, sizeof text, "{\"token\":\"%0100d\",\"status\":7,\"amount\":\"12\",\"pollAfterMs\":1.5}", 0);
    struct lg_answer a = read_text(text);
    cr_assert_str_eq(a.token, "");
    cr_assert_str_eq(a.status, "");
    cr_assert_eq(a.amount, 0);
    cr_assert_eq(a.poll_after_ms, 0);
}

Test(loadgen_answer, what_is_not_an_object_is_not_read)
{
    const char *bad[] = { "", "[1,2]", "\"HELD\"", "{\"status\":\"HELD\"", "<html>431</html>" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct lg_answer a;
        cr_expect_not(lg_answer_read(bad[i], strlen(bad[i]), &a), "read #%zu: %s", i, bad[i]);
        cr_expect_str_eq(a.status, "", "#%zu left something", i);
    }
    struct lg_answer a;
    cr_assert_not(lg_answer_read(NULL, 0, &a));
}
