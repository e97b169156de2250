/*
 * Confirmations that never reached the log. The ingress records a verified payment as
 * CONFIRMING before it puts the CONFIRM_PAYMENT on the partition; if it dies in between,
 * or Kafka refused the command and the buyer closed the browser, the payment would stay
 * paid at PortOne and undecided here. The expirer sends such confirmations again: the
 * worker decides the same payment twice the same way (PAID once, or refunded once).
 */
#ifndef FT_EXPIRER_CONFIRMATIONS_H
#define FT_EXPIRER_CONFIRMATIONS_H

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "ft/config.h"

/* How long a payment stays CONFIRMING before its confirmation is sent again. */
#define FT_CONFIRM_RESEND_AFTER_S 10

/* Sends again the confirmations CONFIRMING for longer than FT_CONFIRM_RESEND_AFTER_S
 * (a bounded number per turn). Returns how many, or -1 on a failure (logged). */
int ft_resend_confirmations_once(const struct ft_config *config, PGconn *db, rd_kafka_t *producer, int32_t partitions);

#endif
