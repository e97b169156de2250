#include <criterion/criterion.h>
#include <string.h>

#include "ft/payment_verify.h"

static struct ft_portone_payment paid(const char *merchant_uid, int64_t amount)
{
    struct ft_portone_payment p = { .amount = amount, .status = FT_PORTONE_STATUS_PAID };
    strcpy(p.imp_uid, "imp_100");
    strcpy(p.merchant_uid, merchant_uid);
    strcpy(p.currency, "KRW");
    return p;
}

static struct ft_payment_verdict verify(const struct ft_portone_payment *p)
{
    struct ft_payment_verdict v;
    ft_payment_verify(p, "ft-7-abc", 150000, &v);
    return v;
}

Test(payment_verify, a_paid_payment_of_the_order_and_its_amount_is_confirmed)
{
    struct ft_portone_payment p = paid("ft-7-abc", 150000);
    cr_assert_eq(verify(&p).kind, FT_VERDICT_CONFIRM);
}

Test(payment_verify, a_payment_for_another_order_is_refused_not_refunded)
{
    struct ft_portone_payment p = paid("ft-8-xyz", 150000);
    struct ft_payment_verdict v = verify(&p);
    cr_assert_eq(v.kind, FT_VERDICT_REFUSE);
    cr_assert_str_eq(v.code, "PAYMENT_ORDER_MISMATCH");
    /* even with a wrong amount: someone else's payment is never ours to refund */
    p.amount = 1;
    cr_assert_eq(verify(&p).kind, FT_VERDICT_REFUSE);
}

Test(payment_verify, a_payment_not_paid_is_refused)
{
    enum ft_portone_status other[] = { FT_PORTONE_STATUS_READY, FT_PORTONE_STATUS_FAILED, FT_PORTONE_STATUS_CANCELLED,
                                       FT_PORTONE_STATUS_OTHER };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        struct ft_portone_payment p = paid("ft-7-abc", 150000);
        p.status = other[i];
        struct ft_payment_verdict v = verify(&p);
        cr_assert_eq(v.kind, FT_VERDICT_REFUSE, "status %d", other[i]);
        cr_assert_str_eq(v.code, "PAYMENT_NOT_PAID");
    }
}

Test(payment_verify, a_wrong_amount_is_refunded_in_full)
{
    struct ft_portone_payment p = paid("ft-7-abc", 1000);
    struct ft_payment_verdict v = verify(&p);
    cr_assert_eq(v.kind, FT_VERDICT_REFUND);
    cr_assert_str_eq(v.code, "AMOUNT_MISMATCH");
    cr_assert_eq(v.refund_amount, 1000);
    cr_assert_eq(v.status, 409);
}

Test(payment_verify, another_currency_is_refunded)
{
    struct ft_portone_payment p = paid("ft-7-abc", 150000);
    strcpy(p.currency, "USD");
    struct ft_payment_verdict v = verify(&p);
    cr_assert_eq(v.kind, FT_VERDICT_REFUND);
    cr_assert_str_eq(v.code, "CURRENCY_MISMATCH");
}

Test(payment_verify, a_partly_cancelled_payment_refunds_what_remains)
{
    struct ft_portone_payment p = paid("ft-7-abc", 150000);
    p.cancel_amount = 50000;
    struct ft_payment_verdict v = verify(&p);
    cr_assert_eq(v.kind, FT_VERDICT_REFUND);
    cr_assert_eq(v.refund_amount, 100000);
}
