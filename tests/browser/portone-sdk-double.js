// TEST DOUBLE of PortOne's browser SDK v1 (https://cdn.iamport.kr/v1/iamport.js) — never
// served to a buyer. The browser tests answer the page's request for that URL with this
// file (Playwright's route), so that the page's production checkout (web/checkout.js) runs
// against PortOne's documented contract without the internet:
//
//   IMP.init(merchantCode)
//   IMP.request_pay({pg?, pay_method, merchant_uid, amount, name, buyer_email?, …}, callback)
//     → callback(rsp) once, rsp = {success, imp_uid, merchant_uid, pay_method, paid_amount,
//       status: 'paid' | 'failed', pg_provider, name, buyer_email, error_code, error_msg, …}
//
// Where PortOne opens the PG's payment window (an iframe over the page), this double opens
// a <dialog> named "PortOne test double" with two buttons: "Pay" and "Close the window".
// Both record the outcome at PortOne the way PortOne would, by creating the payment at
// PortOne's service origin: POST https://service.iamport.kr/__control/payments, which the
// tests route to the PortOne imitation's control of the same name (tests/portone), status
// 'paid' or 'failed'. The imitation then answers GET /payments/{imp_uid} to the server's
// verification as PortOne would.
//
// Closing: PortOne documents no error code of its own for a window the buyer closed
// (error_code and error_msg are the PG's, passed on as they came); the double answers
// success: false, status 'failed' and a message of its own, the shape every PG failure has.
//
// What the page asked for is kept in window.__portoneDouble ({inits, requests}) for the
// tests to check. Classic script, no module: PortOne's SDK is one.
(function () {
  'use strict';
  const SERVICE = 'https://service.iamport.kr';
  const CLOSED_MESSAGE = 'test double: the buyer closed the payment window';
  const seen = { inits: [], requests: [] };
  let merchantCode = null;

  // A payment created at "PortOne" (the imitation, through the tests' route).
  async function record(params, status) {
    const response = await fetch(`${SERVICE}/__control/payments`, {
      method: 'POST',
      // text/plain keeps it a simple cross-origin request (no preflight); the imitation
      // reads JSON whatever the type.
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({
        merchant_uid: params.merchant_uid, amount: params.amount, name: params.name,
        buyer_email: params.buyer_email || '', pay_method: params.pay_method, status,
        pg_provider: (params.pg || 'html5_inicis').split('.')[0],
        fail_reason: status === 'failed' ? CLOSED_MESSAGE : undefined,
      }),
    });
    if (!response.ok) throw new Error(`PortOne answered HTTP ${response.status}`);
    return response.json();
  }

  function answer(params, payment, success) {
    return {
      success,
      imp_uid: payment ? payment.imp_uid : null,
      merchant_uid: params.merchant_uid,
      pay_method: params.pay_method,
      paid_amount: success ? params.amount : 0,
      status: success ? 'paid' : 'failed',
      name: params.name,
      pg_provider: payment ? payment.pg_provider : null,
      buyer_email: params.buyer_email || '',
      error_code: success ? null : 'TEST_DOUBLE_CLOSED',
      error_msg: success ? null : CLOSED_MESSAGE,
    };
  }

  // The payment window: what is paid, and the buyer's two ways out.
  function paymentWindow(params, choose) {
    const dialog = document.createElement('dialog');
    dialog.setAttribute('aria-label', 'PortOne test double');
    const title = document.createElement('h2');
    title.textContent = 'PortOne (test double)';
    const what = document.createElement('p');
    what.textContent = `${params.name} · ${params.amount} KRW`;
    const pay = document.createElement('button');
    pay.type = 'button';
    pay.textContent = 'Pay';
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Close the window';
    dialog.append(title, what, pay, close);
    const done = (paid) => {
      pay.disabled = true;
      close.disabled = true;
      choose(paid).finally(() => {
        dialog.close();
        dialog.remove();
      });
    };
    pay.addEventListener('click', () => done(true));
    close.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      if (!close.disabled) done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  window.IMP = {
    init(code) {
      seen.inits.push(code);
      merchantCode = code;
    },
    request_pay(params, callback) {
      seen.requests.push(JSON.parse(JSON.stringify(params)));
      if (!merchantCode) throw new Error('IMP.init was not called');
      if (typeof callback !== 'function') throw new Error('request_pay without a callback');
      paymentWindow(params, async (paid) => {
        let rsp;
        try {
          rsp = answer(params, await record(params, paid ? 'paid' : 'failed'), paid);
        } catch (error) {
          rsp = { success: false, imp_uid: null, merchant_uid: params.merchant_uid, error_code: 'TEST_DOUBLE_FAILED', error_msg: String(error) };
        }
        callback(rsp);
      });
    },
  };
  window.__portoneDouble = seen;
}());
