#include <criterion/criterion.h>
#include <string.h>

#include "reservation_body.h"

static struct ft_catalog *catalog;

static void setup(void)
{
    catalog = ft_catalog_new();
    struct ft_catalog_seat seats[6];
    for (int i = 0; i < 6; i++)
        seats[i] = (struct ft_catalog_seat){ .id = 101 + i, .row = (uint8_t)(1 + i / 3),
                                             .number = (uint8_t)(1 + i % 3), .grade = FT_GRADE_R, .price = 100 };
    cr_assert(ft_catalog_put(catalog, 10, true, seats, 6));
    struct ft_catalog_seat other = { .id = 201, .row = 1, .number = 1, .grade = FT_GRADE_A, .price = 1 };
    cr_assert(ft_catalog_put(catalog, 20, false, &other, 1));
    ft_catalog_set_loaded(catalog);
}

static void teardown(void)
{
    ft_catalog_free(catalog);
}

TestSuite(reservation_body, .init = setup, .fini = teardown);

static bool read(const char *body, struct ft_command *cmd, struct ft_error *err)
{
    return ft_reservation_read(body, strlen(body), catalog, cmd, err);
}

static void refused(const char *body, int status, const char *code, const char *field)
{
    struct ft_command cmd;
    struct ft_error err;
    cr_assert_not(read(body, &cmd, &err), "accepted %s", body);
    cr_assert_eq(err.status, status, "%s: %d %s", body, err.status, err.code);
    cr_assert_str_eq(err.code, code, "%s", body);
    cr_assert_str_eq(err.field, field ? field : "", "%s: field %s", body, err.field);
}

Test(reservation_body, specific_seats)
{
    struct ft_command cmd;
    struct ft_error err;
    cr_assert(read("{\"scheduleId\": 10, \"seatIds\": [104, 101]}", &cmd, &err), "%s", err.message);
    cr_assert_eq(cmd.type, FT_CMD_RESERVE);
    cr_assert_eq(cmd.schedule_id, 10);
    cr_assert_eq(cmd.seat_count, 2);
    cr_assert_eq(cmd.seat_ids[0], 104);
    cr_assert_eq(cmd.seat_ids[1], 101);
    cr_assert(read("{\"scheduleId\": 10, \"seatIds\": [101, 102, 103, 104], \"quantity\": null}", &cmd, &err));
    cr_assert_eq(cmd.seat_count, 4);
}

Test(reservation_body, best_available)
{
    struct ft_command cmd;
    struct ft_error err;
    cr_assert(read("{\"scheduleId\": 10, \"quantity\": 3}", &cmd, &err));
    cr_assert_eq(cmd.seat_count, 0);
    cr_assert_eq(cmd.quantity, 3);
    cr_assert_eq(cmd.grade, FT_GRADE_ANY);
    cr_assert(read("{\"scheduleId\": 10, \"quantity\": 1, \"grade\": \"VIP\"}", &cmd, &err));
    cr_assert_eq(cmd.grade, FT_GRADE_VIP);
    cr_assert(read("{\"scheduleId\": 10, \"quantity\": 4, \"grade\": null, \"seatIds\": null}", &cmd, &err));
    cr_assert_eq(cmd.grade, FT_GRADE_ANY);
}

Test(reservation_body, malformed_is_400)
{
    refused("", 400, "MALFORMED_JSON", NULL);
    refused("{\"scheduleId\": 10,", 400, "MALFORMED_JSON", NULL);
    refused("[]", 400, "INVALID_TYPE", NULL);
    refused("{}", 400, "MISSING_FIELD", "scheduleId");
    refused("{\"scheduleId\": \"10\", \"quantity\": 1}", 400, "INVALID_TYPE", "scheduleId");
    refused("{\"scheduleId\": 10.0, \"quantity\": 1}", 400, "INVALID_TYPE", "scheduleId");
    refused("{\"scheduleId\": 10}", 400, "MISSING_FIELD", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": null, \"quantity\": null}", 400, "MISSING_FIELD", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": 101}", 400, "INVALID_TYPE", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [\"101\"]}", 400, "INVALID_TYPE", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [101, 1.5]}", 400, "INVALID_TYPE", "seatIds");
    refused("{\"scheduleId\": 10, \"quantity\": \"2\"}", 400, "INVALID_TYPE", "quantity");
    refused("{\"scheduleId\": 10, \"quantity\": true}", 400, "INVALID_TYPE", "quantity");
    refused("{\"scheduleId\": 10, \"quantity\": 2, \"grade\": 1}", 400, "INVALID_TYPE", "grade");
    /* A misspelt grade is not a request for any grade. */
    refused("{\"scheduleId\": 10, \"quantity\": 2, \"grad\": \"R\"}", 400, "UNKNOWN_FIELD", "grad");
    refused("{\"scheduleId\": 10, \"seatIDs\": [101]}", 400, "UNKNOWN_FIELD", "seatIDs");
}

Test(reservation_body, unacceptable_values_are_422)
{
    refused("{\"scheduleId\": 0, \"quantity\": 1}", 422, "VALIDATION_FAILED", "scheduleId");
    refused("{\"scheduleId\": -10, \"quantity\": 1}", 422, "VALIDATION_FAILED", "scheduleId");
    refused("{\"scheduleId\": 10, \"seatIds\": []}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [101, 102, 103, 104, 105]}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [101, 101]}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [0]}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [-101]}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"quantity\": 0}", 422, "VALIDATION_FAILED", "quantity");
    refused("{\"scheduleId\": 10, \"quantity\": 5}", 422, "VALIDATION_FAILED", "quantity");
    refused("{\"scheduleId\": 10, \"quantity\": -1}", 422, "VALIDATION_FAILED", "quantity");
    refused("{\"scheduleId\": 10, \"quantity\": 2, \"grade\": \"vip\"}", 422, "VALIDATION_FAILED", "grade");
    refused("{\"scheduleId\": 10, \"quantity\": 2, \"grade\": \"B\"}", 422, "VALIDATION_FAILED", "grade");
    refused("{\"scheduleId\": 10, \"quantity\": 2, \"seatIds\": [101]}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [101], \"grade\": \"R\"}", 422, "VALIDATION_FAILED", "grade");
    refused("{\"scheduleId\": 10, \"seatIds\": [101], \"grade\": 7}", 422, "VALIDATION_FAILED", "grade");
}

Test(reservation_body, the_catalog_decides_what_exists)
{
    refused("{\"scheduleId\": 11, \"quantity\": 1}", 404, "NOT_FOUND", NULL);
    refused("{\"scheduleId\": 9223372036854775807, \"seatIds\": [101]}", 404, "NOT_FOUND", NULL);
    refused("{\"scheduleId\": 20, \"quantity\": 1}", 409, "SCHEDULE_CLOSED", NULL);
    refused("{\"scheduleId\": 20, \"seatIds\": [201]}", 409, "SCHEDULE_CLOSED", NULL);
    refused("{\"scheduleId\": 10, \"seatIds\": [101, 201]}", 422, "VALIDATION_FAILED", "seatIds");
    refused("{\"scheduleId\": 10, \"seatIds\": [999]}", 422, "VALIDATION_FAILED", "seatIds");
}

static void fingerprint_of(const char *body, char out[FT_RESERVATION_FINGERPRINT_SIZE])
{
    struct ft_command cmd;
    struct ft_error err;
    cr_assert(read(body, &cmd, &err), "%s: %s", body, err.message);
    ft_reservation_fingerprint(&cmd, out);
}

/* An Idempotency-Key keeps its request's fingerprint: equal exactly when two requests ask
 * for the same thing. */
Test(reservation_body, fingerprint_names_what_is_asked_for)
{
    char a[FT_RESERVATION_FINGERPRINT_SIZE], b[FT_RESERVATION_FINGERPRINT_SIZE];
    fingerprint_of("{\"scheduleId\": 10, \"seatIds\": [104, 101, 102]}", a);
    cr_assert_str_eq(a, "schedule=10 seats=101,102,104");
    fingerprint_of("{\"seatIds\": [102, 104, 101], \"scheduleId\": 10, \"quantity\": null}", b);
    cr_assert_str_eq(a, b, "the same seats in another order are the same request");
    fingerprint_of("{\"scheduleId\": 10, \"seatIds\": [101, 102]}", b);
    cr_assert_str_neq(a, b);
    fingerprint_of("{\"scheduleId\": 10, \"quantity\": 2}", a);
    cr_assert_str_eq(a, "schedule=10 quantity=2 grade=any");
    fingerprint_of("{\"scheduleId\": 10, \"quantity\": 2, \"grade\": \"VIP\"}", b);
    cr_assert_str_eq(b, "schedule=10 quantity=2 grade=VIP");
    fingerprint_of("{\"scheduleId\": 10, \"quantity\": 3}", b);
    cr_assert_str_neq(a, b);
}

Test(reservation_body, longest_fingerprint_fits)
{
    struct ft_command cmd = { .type = FT_CMD_RESERVE, .schedule_id = INT64_MAX,
                              .seat_count = FT_SEATS_PER_REQUEST_MAX };
    for (int i = 0; i < FT_SEATS_PER_REQUEST_MAX; i++)
        cmd.seat_ids[i] = INT64_MAX - i;
    char out[FT_RESERVATION_FINGERPRINT_SIZE];
    ft_reservation_fingerprint(&cmd, out);
    cr_assert_str_eq(out, "schedule=9223372036854775807 seats=9223372036854775804,9223372036854775805,"
                          "9223372036854775806,9223372036854775807");
}
