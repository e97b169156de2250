/*
 * Orders whose payment notice never came. A buyer who pays and closes the page before it
 * confirms the payment is settled by PortOne's notice (the webhook); when that notice
 * never reached us, the order stays PREPARED, its hold ends, and PortOne keeps the money.
 *
 * Once a hold has ended (expired or cancelled) FT_PAYMENT_CHECK_AFTER_SECONDS ago with
 * its order still PREPARED, the expirer asks PortOne for a paid payment of that order
 * (GET /payments/find/{merchant_uid}/paid), once. One it finds is settled as the buyer's
 * confirmation would have been, checked the same way (ft/payment_verify.h): bound to the
 * order as CONFIRMING, and its confirmation put on the log by the resender
 * (confirmations.c), where the worker, finding the hold ended, refunds it (HOLD_ENDED);
 * or, not of the order's amount, bound as REFUND_DUE with its refund. A notice or a
 * confirmation that comes meanwhile wins: every write requires the order PREPARED.
 */
#ifndef FT_EXPIRER_STRANDED_ORDERS_H
#define FT_EXPIRER_STRANDED_ORDERS_H

#include <libpq-fe.h>

#include "ft/config.h"
#include "ft/portone.h"

/* Asks PortOne about up to `limit` such orders, one at a time; returns how many were
 * looked at, or -1 when PostgreSQL failed. Safe to run from several threads and processes. */
int ft_stranded_orders_once(const struct ft_config *config, PGconn *db, struct ft_portone *portone, int limit);

#endif
