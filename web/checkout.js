// Paying an order with PortOne. In production the browser pays with PortOne's SDK (v1,
// IMP.request_pay), which opens the card company's window and hands back the payment's
// imp_uid; under `make run` and in the tests, the PortOne imitation (tests/portone) stands
// in for it. /web/config.json, made by the ingress from the FT_PORTONE_* settings, says which:
// {"payments": {"provider": "off" | "imitation" | "portone", "checkoutUrl": …,
// "merchantCode": …, "pg": …}}. Whatever the browser says, the server verifies the payment
// with PortOne itself.
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

/**
 * The payment was not made and the hold stands, so the buyer may pay again: the buyer
 * closed the checkout, or PortOne's SDK answered success: false. PortOne's v1 SDK has no
 * code of its own for "the buyer closed the window": error_code and error_msg are the
 * card company's (PG's) as it sent them, and status "failed" stands for a closed window
 * and a refused card alike, so both come here. message: the PG's error_msg, or "".
 */
export class CheckoutCancelled extends Error {}
/** This page cannot pay, or PortOne's SDK failed (did not load, answered nonsense); message says so. */
export class CheckoutUnavailable extends Error {}

/**
 * Pays order {merchantUid, amount, orderName} for buyer {email}; resolves the payment's
 * impUid. Rejects with CheckoutCancelled when no payment was made (the buyer closed the
 * checkout, or the card company said no), and with CheckoutUnavailable when this page
 * cannot pay.
 */
export async function checkout(order, buyer) {
  const { payments } = await pageConfig();
  if (payments.provider === 'imitation') return imitationCheckout(payments.checkoutUrl, order, buyer);
  if (payments.provider === 'portone' && payments.merchantCode) return portoneCheckout(payments, order, buyer);
  throw new CheckoutUnavailable(t('pay.off'));
}

// PortOne's browser SDK, v1. The page's Content-Security-Policy allows this origin only
// when config.json says "portone" (ingress/static_files.c).
const PORTONE_SDK_URL = 'https://cdn.iamport.kr/v1/iamport.js';
const SDK_LOAD_MS = 20000;
let portone = null;

/**
 * window.IMP, initialised with the merchant code: the SDK's script is added to the page
 * once. A load that fails (no network, blocked, too slow, no IMP in it) rejects with
 * CheckoutUnavailable and is forgotten, so that the next attempt loads it afresh.
 */
function portoneSdk(merchantCode) {
  portone ??= new Promise((resolve, reject) => {
    if (window.IMP) return resolve(window.IMP);
    const script = document.createElement('script');
    const fail = () => {
      clearTimeout(timer);
      script.remove();
      reject(new CheckoutUnavailable(t('pay.sdkFailed')));
    };
    const timer = setTimeout(fail, SDK_LOAD_MS);
    script.src = PORTONE_SDK_URL;
    script.async = true;
    script.addEventListener('error', fail);
    script.addEventListener('load', () => {
      if (!window.IMP) return fail();
      clearTimeout(timer);
      resolve(window.IMP);
    });
    document.head.append(script);
  }).then((IMP) => {
    IMP.init(merchantCode);
    return IMP;
  }).catch((error) => {
    portone = null;
    throw error instanceof CheckoutUnavailable ? error : new CheckoutUnavailable(t('pay.sdkFailed'));
  });
  return portone;
}

// PortOne's checkout: IMP.request_pay opens the PG's payment window and calls back once
// with {success, imp_uid, merchant_uid, error_code, error_msg, …} (some PGs say
// imp_success instead of success). Paying by card; without a pg, PortOne uses the default
// PG of the merchant's console.
async function portoneCheckout(payments, order, buyer) {
  const IMP = await portoneSdk(payments.merchantCode);
  const request = { pay_method: 'card', merchant_uid: order.merchantUid, amount: order.amount, name: order.orderName };
  if (payments.pg) request.pg = payments.pg;
  if (buyer.email) request.buyer_email = buyer.email;
  const rsp = await new Promise((resolve, reject) => {
    try {
      IMP.request_pay(request, resolve);
    } catch {
      reject(new CheckoutUnavailable(t('pay.sdkError')));
    }
  });
  const success = rsp?.success ?? rsp?.imp_success;
  if (success === true || success === 'true') {
    if (typeof rsp.imp_uid === 'string' && rsp.imp_uid !== '') return rsp.imp_uid;
    throw new CheckoutUnavailable(t('pay.sdkError'));
  }
  if (success === false || success === 'false') throw new CheckoutCancelled(typeof rsp.error_msg === 'string' ? rsp.error_msg : '');
  throw new CheckoutUnavailable(t('pay.sdkError'));
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
