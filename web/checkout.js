// Paying an order with PortOne. In production the browser pays with PortOne's SDK
// (IMP.request_pay), which opens the card company's window and hands back the payment's
// imp_uid; under `make run` and in the tests, the PortOne imitation (tests/portone) stands
// in for it. /web/config.json, made by the ingress from FT_PORTONE_BASE_URL, says which:
// {"payments": {"provider": "off" | "imitation" | "portone", "checkoutUrl": …}}.
// Whatever the browser says, the server verifies the payment with PortOne itself.
import { h } from './dom.js';
import { openDialog } from './dialog.js';
import { money, t } from './i18n.js';

let config = null;

/** The page's settings from the server (once per page load). */
export function pageConfig() {
  config ??= fetch('/web/config.json', { cache: 'no-cache' })
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null)
    .then((c) => c || { payments: { provider: 'off', checkoutUrl: null } });
  return config;
}

export class CheckoutCancelled extends Error {}
export class CheckoutUnavailable extends Error {}

/**
 * Pays order {merchantUid, amount, orderName} for buyer {email}; resolves the payment's
 * impUid. Rejects with CheckoutCancelled when the buyer closes the checkout, and with
 * CheckoutUnavailable when this page cannot pay.
 */
export async function checkout(order, buyer) {
  const { payments } = await pageConfig();
  if (payments.provider === 'imitation') return imitationCheckout(payments.checkoutUrl, order, buyer);
  if (payments.provider === 'portone') return portoneCheckout(order, buyer);
  throw new CheckoutUnavailable(t('pay.off'));
}

// The seam for production: load PortOne's SDK (https://cdn.iamport.kr/v1/iamport.js),
// IMP.init(<merchant code>), then IMP.request_pay({pg, pay_method: 'card', merchant_uid,
// amount, name, buyer_email}, callback) resolving the callback's imp_uid. This build loads
// nothing from the internet (and the page's Content-Security-Policy allows no other
// origin), so it says so instead.
async function portoneCheckout() {
  throw new CheckoutUnavailable(t('pay.sdkMissing'));
}

// The imitation's checkout: a dialog in place of the card company's window, then the
// payment made the way PortOne's SDK makes one, by POST /__control/payments on the
// imitation (which answers CORS for pages on loopback).
function imitationCheckout(base, order, buyer) {
  return openDialog({
    title: t('pay.checkoutTitle'),
    content: h('div', {},
      h('p', { class: 'checkout-badge' }, t('pay.checkoutBadge')),
      h('p', {}, order.orderName),
      h('p', {}, h('strong', {}, money(order.amount)))),
    buttons: [{ label: t('action.cancel'), value: null }, { label: t('pay.payNow', { amount: money(order.amount) }), value: 'pay', primary: true }],
    onChoose: async (_value, controls) => {
      controls.busy = true;
      controls.buttons.forEach((b) => { b.disabled = true; });
      controls.message.textContent = '';
      try {
        const resp = await fetch(`${base}/__control/payments`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            merchant_uid: order.merchantUid, amount: order.amount, name: order.orderName,
            buyer_email: buyer.email, pay_method: 'card',
          }),
        });
        if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
        return (await resp.json()).imp_uid;
      } catch {
        controls.message.textContent = t('pay.checkoutFailed');
        return false;
      } finally {
        controls.busy = false;
        controls.buttons.forEach((b) => { b.disabled = false; });
      }
    },
  }).then((chosen) => {
    if (chosen === null) throw new CheckoutCancelled();
    return chosen;
  });
}
