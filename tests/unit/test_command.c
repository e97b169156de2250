#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ft/command.h"

#define TOKEN "019ab3c4d5e6AbCdEfGhIjKlMnOpQr-_09" /* 12 hex digits of time, 22 characters of base64url */

static struct ft_command reserve_base(void)
{
    struct ft_command cmd = { .type = FT_CMD_RESERVE, .ts_ms = 1790000000123, .schedule_id = 42,
                              .user_id = 7, .hold_seconds = 300, .grade = FT_GRADE_ANY };
    memcpy(cmd.token, TOKEN, sizeof TOKEN);
    return cmd;
}

/* Encodes then decodes; asserts both work. */
static struct ft_command round_trip(const struct ft_command *in)
{
    char buf[1024];
    size_t n = ft_command_encode(in, buf, sizeof buf);
    cr_assert_gt(n, 0, "encode failed");
    struct ft_command out;
    char err[128] = "";
    cr_assert(ft_command_decode(buf, n, &out, err, sizeof err), "decode of %.*s failed: %s", (int)n, buf, err);
    return out;
}

static void assert_common(const struct ft_command *a, const struct ft_command *b)
{
    cr_assert_eq(a->type, b->type);
    cr_assert_eq(a->ts_ms, b->ts_ms);
    cr_assert_eq(a->schedule_id, b->schedule_id);
}

Test(command, reserve_by_seat_ids_round_trips)
{
    struct ft_command in = reserve_base();
    in.seat_count = 4;
    int64_t ids[] = { 11, 12, 9007199254740993, INT64_MAX }; /* beyond a double's exact range too */
    memcpy(in.seat_ids, ids, sizeof ids);
    struct ft_command out = round_trip(&in);
    assert_common(&in, &out);
    cr_assert_eq(out.user_id, 7);
    cr_assert_str_eq(out.token, TOKEN);
    cr_assert_eq(out.hold_seconds, 300);
    cr_assert_eq(out.seat_count, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(out.seat_ids[i], ids[i], "seat %d", i);
    cr_assert_eq(out.quantity, 0);
}

Test(command, reserve_one_seat_round_trips)
{
    struct ft_command in = reserve_base();
    in.seat_count = 1;
    in.seat_ids[0] = 5;
    struct ft_command out = round_trip(&in);
    cr_assert_eq(out.seat_count, 1);
    cr_assert_eq(out.seat_ids[0], 5);
}

Test(command, reserve_best_available_with_grade_round_trips)
{
    for (enum ft_grade g = FT_GRADE_VIP; g < FT_GRADE_ANY; g++) {
        struct ft_command in = reserve_base();
        in.quantity = 3;
        in.grade = g;
        struct ft_command out = round_trip(&in);
        assert_common(&in, &out);
        cr_assert_eq(out.seat_count, 0);
        cr_assert_eq(out.quantity, 3);
        cr_assert_eq(out.grade, g, "grade %s", ft_grade_name(g));
        cr_assert_str_eq(out.token, TOKEN);
    }
}

Test(command, reserve_best_available_without_grade_is_any)
{
    struct ft_command in = reserve_base();
    in.quantity = 4;
    char buf[512];
    size_t n = ft_command_encode(&in, buf, sizeof buf);
    cr_assert_gt(n, 0);
    cr_assert_null(memmem(buf, n, "grade", 5), "no grade member when any grade will do: %.*s", (int)n, buf);
    struct ft_command out = round_trip(&in);
    cr_assert_eq(out.quantity, 4);
    cr_assert_eq(out.grade, FT_GRADE_ANY);
}

Test(command, cancel_and_expire_round_trip)
{
    struct ft_command cancel = { .type = FT_CMD_CANCEL, .ts_ms = 5, .schedule_id = 3, .user_id = 8,
                                 .reservation_id = 1024 * 77 + 5 };
    struct ft_command out = round_trip(&cancel);
    assert_common(&cancel, &out);
    cr_assert_eq(out.user_id, 8);
    cr_assert_eq(out.reservation_id, 1024 * 77 + 5);

    struct ft_command expire = { .type = FT_CMD_EXPIRE, .ts_ms = 1790000000000, .schedule_id = 9,
                                 .reservation_id = 123456 };
    out = round_trip(&expire);
    assert_common(&expire, &out);
    cr_assert_eq(out.reservation_id, 123456);
    cr_assert_eq(out.user_id, 0);
}

Test(command, confirm_payment_round_trips_with_leading_zeros_kept)
{
    struct ft_command in = { .type = FT_CMD_CONFIRM_PAYMENT, .ts_ms = 1790000000000, .schedule_id = 3, .user_id = 8,
                             .reservation_id = 1024 * 77 + 5,
                             .payment = { .imp_uid = "imp_0012345", .merchant_uid = "ft-78853-0a1b", .amount = 99000 } };
    struct ft_command out = round_trip(&in);
    assert_common(&in, &out);
    cr_assert_eq(out.user_id, 8);
    cr_assert_eq(out.reservation_id, 1024 * 77 + 5);
    cr_assert_str_eq(out.payment.imp_uid, "imp_0012345");
    cr_assert_str_eq(out.payment.merchant_uid, "ft-78853-0a1b");
    cr_assert_eq(out.payment.amount, 99000);
}

Test(command, confirm_payment_decode_refuses_what_a_refund_could_not_use)
{
    const char *bad[] = {
        /* no impUid, empty, with a space, with a control character, too long */
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":5,"
        "\"merchantUid\":\"m\",\"amount\":10}",
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":5,"
        "\"impUid\":\"\",\"merchantUid\":\"m\",\"amount\":10}",
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":5,"
        "\"impUid\":\"imp 1\",\"merchantUid\":\"m\",\"amount\":10}",
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":5,"
        "\"impUid\":\"imp\\u0001\",\"merchantUid\":\"m\",\"amount\":10}",
        /* amount zero, missing merchantUid, missing userId, missing reservationId */
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":5,"
        "\"impUid\":\"i\",\"merchantUid\":\"m\",\"amount\":0}",
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":5,"
        "\"impUid\":\"i\",\"amount\":10}",
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5,"
        "\"impUid\":\"i\",\"merchantUid\":\"m\",\"amount\":10}",
        "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,"
        "\"impUid\":\"i\",\"merchantUid\":\"m\",\"amount\":10}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ft_command cmd;
        char err[128] = "";
        cr_assert_not(ft_command_decode(bad[i], strlen(bad[i]), &cmd, err, sizeof err), "accepted %s", bad[i]);
        cr_assert_str_neq(err, "", "no reason for %s", bad[i]);
    }
    char long_uid[300] = "{\"v\":1,\"type\":\"CONFIRM_PAYMENT\",\"ts\":10,\"scheduleId\":3,\"userId\":4,"
                         "\"reservationId\":5,\"merchantUid\":\"m\",\"amount\":10,\"impUid\":\"";
    size_t at = strlen(long_uid);
    memset(long_uid + at, 'x', FT_IMP_UID_SIZE);
    snprintf(long_uid + at + FT_IMP_UID_SIZE, sizeof long_uid - at - FT_IMP_UID_SIZE, "\"}");
    struct ft_command cmd;
    char err[128];
    cr_assert_not(ft_command_decode(long_uid, strlen(long_uid), &cmd, err, sizeof err), "accepted a 128-byte impUid");
}

Test(command, decode_reads_the_documented_json)
{
    const char *json = "{\"v\":1,\"type\":\"RESERVE\",\"ts\":1790000000000,\"scheduleId\":3,\"userId\":4,"
                       "\"token\":\"" TOKEN "\",\"holdSeconds\":86400,\"quantity\":2,\"grade\":\"S\"}";
    struct ft_command cmd;
    char err[128] = "";
    cr_assert(ft_command_decode(json, strlen(json), &cmd, err, sizeof err), "%s", err);
    cr_assert_eq(cmd.type, FT_CMD_RESERVE);
    cr_assert_eq(cmd.ts_ms, 1790000000000);
    cr_assert_eq(cmd.schedule_id, 3);
    cr_assert_eq(cmd.user_id, 4);
    cr_assert_eq(cmd.hold_seconds, 86400);
    cr_assert_eq(cmd.quantity, 2);
    cr_assert_eq(cmd.grade, FT_GRADE_S);
    cr_assert_eq(cmd.seat_count, 0);

    /* decode is given a length: what follows it is not read */
    char padded[512];
    int n = snprintf(padded, sizeof padded, "%sGARBAGE", json);
    cr_assert_gt(n, 0);
    cr_assert(ft_command_decode(padded, strlen(json), &cmd, err, sizeof err), "%s", err);
}

#define RES_HEAD "{\"v\":1,\"type\":\"RESERVE\",\"ts\":10,\"scheduleId\":3,\"userId\":4,"
#define RES_TOKEN "\"token\":\"" TOKEN "\","

Test(command, decode_refuses_malformed_commands)
{
    const char *bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5",  /* unterminated */
        "{\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}",         /* no v */
        "{\"v\":2,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}", /* v != 1 */
        "{\"v\":\"1\",\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1.0,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"PAY\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}", /* unknown type */
        "{\"v\":1,\"type\":\"expire\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"ts\":10,\"scheduleId\":3,\"reservationId\":5}",                     /* no type */
        "{\"v\":1,\"type\":7,\"ts\":10,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"scheduleId\":3,\"reservationId\":5}",           /* no ts */
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":0,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":-10,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":\"10\",\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10.5,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":253402300800000,\"scheduleId\":3,\"reservationId\":5}", /* 10000-01-01 */
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":9223372036854775807,\"scheduleId\":3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"reservationId\":5}",                  /* no scheduleId */
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":0,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":-3,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3}",                      /* no reservationId */
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":-5}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5,\"reservationId\":6}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5,\"note\":1,\"note\":1}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5,\"ts\":10}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5} trailing",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5,\"n\":\"\xff\"}", /* not UTF-8 */
        "{\"v\":1,\"type\":\"CANCEL\",\"ts\":10,\"scheduleId\":3,\"reservationId\":5}", /* no userId */
        "{\"v\":1,\"type\":\"CANCEL\",\"ts\":10,\"scheduleId\":3,\"userId\":0,\"reservationId\":5}",
        "{\"v\":1,\"type\":\"CANCEL\",\"ts\":10,\"scheduleId\":3,\"userId\":4}",
        "{\"v\":1,\"type\":\"CANCEL\",\"ts\":10,\"scheduleId\":3,\"userId\":4,\"reservationId\":0}",
        /* RESERVE: token */
        RES_HEAD "\"holdSeconds\":300,\"quantity\":1}",
        RES_HEAD "\"token\":\"019ab3c4d5e6AbCdEfGhIjKlMnOpQr-_0\",\"holdSeconds\":300,\"quantity\":1}",   /* 33 */
        RES_HEAD "\"token\":\"019ab3c4d5e6AbCdEfGhIjKlMnOpQr-_012\",\"holdSeconds\":300,\"quantity\":1}", /* 35 */
        RES_HEAD "\"token\":\"019ab3c4d5e6AbCdEfGhIjKlMnOpQr+/09\",\"holdSeconds\":300,\"quantity\":1}",  /* base64, not url */
        RES_HEAD "\"token\":\"019ab3c4d5e6AbCdEfGhIjKlMnOpQr-_0=\",\"holdSeconds\":300,\"quantity\":1}",
        RES_HEAD "\"token\":\"019ab3c4d5e6AbCdEfGhIjKlMnOpQr-_0 \",\"holdSeconds\":300,\"quantity\":1}",
        RES_HEAD "\"token\":\"019ab3c4d5e6AbCdEfGhIjKlMnOpQr-_0\\u00e9\",\"holdSeconds\":300,\"quantity\":1}",
        RES_HEAD "\"token\":12,\"holdSeconds\":300,\"quantity\":1}",
        /* RESERVE: user and hold time */
        "{\"v\":1,\"type\":\"RESERVE\",\"ts\":10,\"scheduleId\":3," RES_TOKEN "\"holdSeconds\":300,\"quantity\":1}",
        "{\"v\":1,\"type\":\"RESERVE\",\"ts\":10,\"scheduleId\":3,\"userId\":-4," RES_TOKEN
        "\"holdSeconds\":300,\"quantity\":1}",
        RES_HEAD RES_TOKEN "\"quantity\":1}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":0,\"quantity\":1}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":86401,\"quantity\":1}",
        /* RESERVE: seats */
        RES_HEAD RES_TOKEN "\"holdSeconds\":300}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[1,2,3,4,5]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[1,0]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[1,-2]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[\"1\"]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[1.5]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":1}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":null}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":0}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":5}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":-1}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":\"2\"}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":2,\"grade\":\"B\"}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":2,\"grade\":\"vip\"}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":2,\"grade\":\"ANY\"}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":2,\"grade\":null}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":2,\"grade\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ft_command cmd;
        char err[128] = "";
        cr_expect_not(ft_command_decode(bad[i], strlen(bad[i]), &cmd, err, sizeof err), "accepted #%zu: %s", i,
                      bad[i]);
        cr_expect_neq(err[0], '\0', "no reason given for #%zu: %s", i, bad[i]);
    }
}

Test(command, decode_accepts_the_limits)
{
    const char *good[] = {
        RES_HEAD RES_TOKEN "\"holdSeconds\":1,\"quantity\":1}",
        "{\"v\":1,\"type\":\"EXPIRE\",\"ts\":253402300799999,\"scheduleId\":3,\"reservationId\":5}", /* the last ms of 9999 */
        RES_HEAD RES_TOKEN "\"holdSeconds\":86400,\"quantity\":4,\"grade\":\"A\"}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"seatIds\":[1,2,3,4]}",
        RES_HEAD "\"token\":\"____------____------____------____\",\"holdSeconds\":300,\"seatIds\":[9223372036854775807]}",
        RES_HEAD RES_TOKEN "\"holdSeconds\":300,\"quantity\":1,\"note\":{\"from\":[\"a later version\"]}}", /* ignored */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct ft_command cmd;
        char err[128] = "";
        cr_expect(ft_command_decode(good[i], strlen(good[i]), &cmd, err, sizeof err), "refused #%zu (%s): %s", i,
                  err, good[i]);
    }
}

/* --- encoders and buffers ---------------------------------------------------------- */

/* Checks that an encoder needs room for its output and never writes past cap. */
static void assert_refuses_small_buffers(size_t (*encode)(const void *, char *, size_t), const void *msg)
{
    char big[1024];
    size_t n = encode(msg, big, sizeof big);
    cr_assert_gt(n, 0);
    char buf[1024];
    for (size_t cap = 0; cap < n; cap++) {
        memset(buf, 0x5A, sizeof buf);
        cr_assert_eq(encode(msg, buf, cap), 0, "returned a length with cap %zu < %zu", cap, n);
        for (size_t i = cap; i < sizeof buf; i++)
            cr_assert_eq(buf[i], 0x5A, "wrote byte %zu past cap %zu", i, cap);
    }
    cr_assert_eq(encode(msg, buf, n + 1), n);
    cr_assert_eq(memcmp(buf, big, n), 0);
}

static size_t encode_command(const void *msg, char *buf, size_t cap)
{
    return ft_command_encode(msg, buf, cap);
}

static size_t encode_outcome(const void *msg, char *buf, size_t cap)
{
    return ft_outcome_encode(msg, buf, cap);
}

static size_t encode_progress(const void *msg, char *buf, size_t cap)
{
    return ft_progress_encode(msg, buf, cap);
}

static struct ft_outcome held_outcome(void)
{
    struct ft_outcome o = { .user_id = 7, .schedule_id = 42, .partition = 5, .offset = 123456789,
                            .status = FT_OUTCOME_HELD, .reservation_id = 1024 * 123456790LL + 5,
                            .amount = 450000, .expires_at_ms = 1790000300123, .seat_count = 3,
                            .seat_ids = { 101, 102, 103 }, .decided_at_ms = 1790000000123 };
    memcpy(o.token, TOKEN, sizeof TOKEN);
    return o;
}

Test(command, encoders_return_zero_when_the_buffer_is_too_small)
{
    struct ft_command cmd = reserve_base();
    cmd.seat_count = 2;
    cmd.seat_ids[0] = 1;
    cmd.seat_ids[1] = 2;
    assert_refuses_small_buffers(encode_command, &cmd);
    struct ft_outcome o = held_outcome();
    assert_refuses_small_buffers(encode_outcome, &o);
    struct ft_progress p = { .partition = 3, .next_offset = 99, .rate_per_sec = 12.5 };
    assert_refuses_small_buffers(encode_progress, &p);
}

/* --- outcomes ----------------------------------------------------------------------- */

static struct ft_outcome outcome_round_trip(const struct ft_outcome *in)
{
    char buf[1024];
    size_t n = ft_outcome_encode(in, buf, sizeof buf);
    cr_assert_gt(n, 0);
    struct ft_outcome out;
    cr_assert(ft_outcome_decode(buf, n, &out), "decode of %.*s failed", (int)n, buf);
    cr_assert_str_eq(ft_outcomes_message_type(buf, n), "outcome");
    return out;
}

Test(command, held_outcome_round_trips)
{
    struct ft_outcome in = held_outcome();
    struct ft_outcome out = outcome_round_trip(&in);
    cr_assert_str_eq(out.token, TOKEN);
    cr_assert_eq(out.user_id, in.user_id);
    cr_assert_eq(out.schedule_id, in.schedule_id);
    cr_assert_eq(out.partition, in.partition);
    cr_assert_eq(out.offset, in.offset);
    cr_assert_eq(out.status, FT_OUTCOME_HELD);
    cr_assert_null(out.reject_code);
    cr_assert_eq(out.reservation_id, in.reservation_id);
    cr_assert_eq(out.amount, in.amount);
    cr_assert_eq(out.expires_at_ms, in.expires_at_ms);
    cr_assert_eq(out.decided_at_ms, in.decided_at_ms);
    cr_assert_eq(out.seat_count, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(out.seat_ids[i], in.seat_ids[i]);
}

Test(command, rejected_outcomes_round_trip_every_code)
{
    const char *codes[] = { "SEAT_TAKEN",       "SOLD_OUT",        "NO_ADJACENT_SEATS", "LIMIT_EXCEEDED",
                            "UNKNOWN_SCHEDULE", "SCHEDULE_CLOSED", "UNKNOWN_SEAT" };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *interned = ft_reject_code_intern(codes[i]);
        cr_assert_not_null(interned, "%s is not a known code", codes[i]);
        cr_assert_str_eq(interned, codes[i]);
        struct ft_outcome in = { .user_id = 1, .schedule_id = 2, .partition = 0, .offset = 0,
                                 .status = FT_OUTCOME_REJECTED, .reject_code = interned, .decided_at_ms = 3 };
        memcpy(in.token, TOKEN, sizeof TOKEN);
        struct ft_outcome out = outcome_round_trip(&in);
        cr_assert_eq(out.status, FT_OUTCOME_REJECTED);
        cr_assert_eq(out.reject_code, interned, "decode gives the static string of %s", codes[i]);
        cr_assert_eq(out.offset, 0);
        cr_assert_eq(out.seat_count, 0);
        cr_assert_eq(out.reservation_id, 0);
    }
    char copy[] = "SEAT_TAKEN";
    cr_assert_eq(ft_reject_code_intern(copy), ft_reject_code_intern("SEAT_TAKEN"));
    cr_assert_null(ft_reject_code_intern("SEAT_GONE"));
    cr_assert_null(ft_reject_code_intern(NULL));
}

#define OUT_HEAD "{\"type\":\"outcome\",\"token\":\"" TOKEN "\",\"userId\":1,\"scheduleId\":2,\"partition\":0,\"offset\":5,"
/* The head with the given userId, scheduleId, partition and offset (JSON text). */
#define OUT_FIELDS(user, schedule, partition, offset)                                                          \
    "{\"type\":\"outcome\",\"token\":\"" TOKEN "\",\"userId\":" user ",\"scheduleId\":" schedule           \
    ",\"partition\":" partition ",\"offset\":" offset ","

Test(command, outcome_decode_refuses_malformed_outcomes)
{
    const char *bad[] = {
        "",
        "{}",
        "{\"type\":\"progress\",\"token\":\"" TOKEN "\",\"userId\":1,\"scheduleId\":2,\"partition\":0,\"offset\":5,"
        "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        "{\"type\":\"outcome\",\"token\":\"short\",\"userId\":1,\"scheduleId\":2,\"partition\":0,\"offset\":5,"
        "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_HEAD "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\"}",           /* no decidedAt */
        OUT_HEAD "\"status\":\"REJECTED\",\"code\":\"NOPE\",\"decidedAt\":9}", /* unknown code */
        OUT_HEAD "\"status\":\"REJECTED\",\"decidedAt\":9}",
        OUT_HEAD "\"status\":\"MAYBE\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":1,\"amount\":1,\"expiresAt\":1,"
                 "\"seatIds\":[]}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":1,\"amount\":1,\"expiresAt\":1,"
                 "\"seatIds\":[1,2,3,4,5]}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"amount\":1,\"expiresAt\":1,\"seatIds\":[1]}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":1,\"amount\":1,\"expiresAt\":1,"
                 "\"seatIds\":1}",
        /* numbers: only integers, in range */
        OUT_FIELDS("0", "2", "0", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("1.5", "2", "0", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("\"1\"", "2", "0", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("1", "-2", "0", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("1", "2", "2147483648", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("1", "2", "-1", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("1", "2", "0", "-5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_FIELDS("1", "2", "0", "1e3") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9}",
        OUT_HEAD "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\",\"decidedAt\":9.5}",
        OUT_HEAD "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\\u0000x\",\"decidedAt\":9}", /* a NUL inside */
        OUT_HEAD "\"status\":\"REJECTED\",\"code\":7,\"decidedAt\":9}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":0,\"amount\":1,\"expiresAt\":1,"
                 "\"seatIds\":[1]}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":1,\"amount\":-1,\"expiresAt\":1,"
                 "\"seatIds\":[1]}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":1,\"amount\":1,\"expiresAt\":1,"
                 "\"seatIds\":[0]}",
        OUT_HEAD "\"status\":\"HELD\",\"decidedAt\":9,\"reservationId\":1,\"amount\":1,\"expiresAt\":1,"
                 "\"seatIds\":[1.5]}",
        "[1,2]",
        "{\"type\":\"outcome\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ft_outcome o;
        cr_expect_not(ft_outcome_decode(bad[i], strlen(bad[i]), &o), "accepted #%zu: %s", i, bad[i]);
    }
    /* The same heads with values in range are taken: the cases above fail for their value. */
    const char *good = OUT_FIELDS("1", "2", "2147483647", "5") "\"status\":\"REJECTED\",\"code\":\"SOLD_OUT\","
                                                              "\"decidedAt\":-9}";
    struct ft_outcome o;
    cr_assert(ft_outcome_decode(good, strlen(good), &o), "%s", good);
    cr_assert_eq(o.partition, 2147483647);
    cr_assert_str_eq(o.reject_code, "SOLD_OUT");
}

/* --- progress ----------------------------------------------------------------------- */

Test(command, progress_round_trips)
{
    const struct ft_progress cases[] = {
        { .partition = 0, .next_offset = 0, .rate_per_sec = 0 },
        { .partition = 11, .next_offset = 123456789012, .rate_per_sec = 1234.5 },
        { .partition = 1023, .next_offset = INT64_MAX, .rate_per_sec = 0.1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        size_t n = ft_progress_encode(&cases[i], buf, sizeof buf);
        cr_assert_gt(n, 0);
        cr_assert_str_eq(ft_outcomes_message_type(buf, n), "progress");
        struct ft_progress out = { .partition = -1 };
        cr_assert(ft_progress_decode(buf, n, &out), "decode of %.*s failed", (int)n, buf);
        cr_assert_eq(out.partition, cases[i].partition);
        cr_assert_eq(out.next_offset, cases[i].next_offset);
        cr_assert(out.rate_per_sec == cases[i].rate_per_sec, "rate %g != %g", out.rate_per_sec,
                  cases[i].rate_per_sec);
    }
}

Test(command, progress_decode_refuses_malformed_progress)
{
    const char *bad[] = {
        "",
        "{\"type\":\"outcome\",\"partition\":1,\"nextOffset\":5,\"ratePerSec\":1.5}",
        "{\"type\":\"progress\",\"partition\":-1,\"nextOffset\":5,\"ratePerSec\":1.5}",
        "{\"type\":\"progress\",\"partition\":1,\"nextOffset\":-5,\"ratePerSec\":1.5}",
        "{\"type\":\"progress\",\"partition\":1,\"nextOffset\":5}",
        "{\"type\":\"progress\",\"nextOffset\":5,\"ratePerSec\":1.5}",
        "{\"type\":\"progress\",\"partition\":\"1\",\"nextOffset\":5,\"ratePerSec\":1.5}",
        "{\"type\":\"progress\",\"partition\":1,\"nextOffset\":5,\"ratePerSec\":\"fast\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ft_progress p = { .partition = 77, .next_offset = 77, .rate_per_sec = 7 };
        cr_expect_not(ft_progress_decode(bad[i], strlen(bad[i]), &p), "accepted #%zu: %s", i, bad[i]);
        cr_expect_eq(p.partition, 77, "#%zu: a refused message changed the output", i);
    }
    const char *whole_rate = "{\"type\":\"progress\",\"partition\":1,\"nextOffset\":5,\"ratePerSec\":3}";
    struct ft_progress p;
    cr_assert(ft_progress_decode(whole_rate, strlen(whole_rate), &p), "a whole number is a rate too");
    cr_assert(p.rate_per_sec == 3.0);
}

/* --- the type of a message on the outcomes topic -------------------------------------- */

Test(command, outcomes_message_type_looks_at_the_first_member)
{
    const char *outcome = "{\"type\":\"outcome\",\"token\":\"x\"}";
    const char *progress = "{\"type\":\"progress\",\"partition\":1}";
    cr_assert_str_eq(ft_outcomes_message_type(outcome, strlen(outcome)), "outcome");
    cr_assert_str_eq(ft_outcomes_message_type(progress, strlen(progress)), "progress");
    const char *others[] = { "{\"type\":\"outcomes\"}", "{\"type\":\"progres\"}",
                             "{\"token\":\"x\",\"type\":\"outcome\"}", "{ \"type\":\"outcome\"}" };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        cr_assert_null(ft_outcomes_message_type(others[i], strlen(others[i])), "%s", others[i]);
    cr_assert_null(ft_outcomes_message_type("", 0));
    /* the length counts, not a terminator */
    cr_assert_null(ft_outcomes_message_type(outcome, 10));
    cr_assert_null(ft_outcomes_message_type(progress, strlen("{\"type\":\"progress")));

    struct ft_command cmd = reserve_base();
    cmd.quantity = 1;
    char buf[512];
    size_t n = ft_command_encode(&cmd, buf, sizeof buf);
    cr_assert_gt(n, 0);
    cr_assert_null(ft_outcomes_message_type(buf, n), "a command is not an outcomes message");
}

Test(command, grade_names_and_parse)
{
    const char *names[] = { "VIP", "R", "S", "A" };
    for (int g = FT_GRADE_VIP; g < FT_GRADE_ANY; g++) {
        enum ft_grade parsed = FT_GRADE_ANY;
        cr_assert_str_eq(ft_grade_name((enum ft_grade)g), names[g]);
        cr_assert(ft_grade_parse(names[g], &parsed));
        cr_assert_eq(parsed, (enum ft_grade)g);
    }
    enum ft_grade untouched = FT_GRADE_R;
    cr_assert_not(ft_grade_parse("ANY", &untouched));
    cr_assert_not(ft_grade_parse("", &untouched));
    cr_assert_not(ft_grade_parse(NULL, &untouched));
    cr_assert_eq(untouched, FT_GRADE_R);
}
