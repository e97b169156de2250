#include <criterion/criterion.h>

#include "ft/kafka_client.h"

/* No broker is needed: a producer is made without connecting, and librdkafka's test
 * hook raises the fatal error that 2.0.2 can end a disconnect in. */
#define NOWHERE "127.0.0.1:1"

Test(kafka_client, a_producer_in_a_fatal_state_is_replaced)
{
    char err[512];
    rd_kafka_t *producer = ft_kafka_producer_new(NOWHERE, err, sizeof err);
    cr_assert_not_null(producer, "%s", err);
    rd_kafka_t *before = producer;
    cr_assert_not(ft_kafka_producer_revive(&producer, ft_kafka_producer_make, NOWHERE), "a healthy producer is kept");
    cr_assert_eq(producer, before);

    cr_assert_eq(rd_kafka_test_fatal_error(producer, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "test"),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_neq(rd_kafka_fatal_error(producer, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert(ft_kafka_producer_revive(&producer, ft_kafka_producer_make, NOWHERE));
    cr_assert_neq(producer, before, "a new handle");
    cr_assert_eq(rd_kafka_fatal_error(producer, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(producer);
}

static int made;

static rd_kafka_t *counting_maker(const void *brokers, char *err, size_t errlen)
{
    made++;
    return ft_kafka_producer_new(brokers, err, errlen);
}

Test(kafka_client, the_callers_maker_makes_the_replacement)
{
    char err[512];
    rd_kafka_t *producer = ft_kafka_producer_new(NOWHERE, err, sizeof err);
    cr_assert_not_null(producer, "%s", err);
    cr_assert_not(ft_kafka_producer_revive(&producer, counting_maker, NOWHERE));
    cr_assert_eq(made, 0, "nothing made for a healthy producer");
    cr_assert_eq(rd_kafka_test_fatal_error(producer, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "test"),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert(ft_kafka_producer_revive(&producer, counting_maker, NOWHERE));
    cr_assert_eq(made, 1);
    rd_kafka_destroy(producer);
}

Test(kafka_client, the_schedule_decides_the_partition)
{
    cr_assert_eq(ft_kafka_schedule_partition(25, 12), 1);
    cr_assert_eq(ft_kafka_schedule_partition(12, 12), 0);
    cr_assert_eq(ft_kafka_schedule_partition(7, 1), 0);
}
