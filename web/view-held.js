// A hold: the seats, the amount, a countdown to the moment the hold expires (by the
// server's clock), and paying it: order (prepare) → checkout (checkout.js) → the server
// verifies the payment with PortOne (POST /api/v1/payments) → poll until PAID.
import { api, ApiError, getSession, serverNow } from './api.js';
import { CheckoutCancelled, CheckoutUnavailable, checkout } from './checkout.js';
import { confirmDialog } from './dialog.js';
import { h, show } from './dom.js';
import { clock, dateTime, money, t } from './i18n.js';
import { errorText, flashView } from './messages.js';
import { cancelReservation, myReservation, seatsTable, statusBadge } from './reservations.js';
import { flash } from './store.js';

const TICK_MS = 250;
const LOW_MS = 60000; // the last minute: red, and said once

export async function renderHeld(main, { id }, ctx) {
  const reservationId = Number(id);
  show(main, h('p', { class: 'muted' }, t('loading')));
  const r = await myReservation(reservationId, ctx.signal);
  const heading = h('h1', {}, r && r.status === 'PAID' ? t('held.paidTitle') : t('held.title'));
  if (!r) {
    show(main, heading, h('p', { class: 'alert', role: 'alert' }, t('held.unknown')), h('p', {}, h('a', { href: '#/my' }, t('nav.mine'))));
    ctx.titled(heading);
    return;
  }
  const expiresAt = Date.parse(r.expiresAt);
  const live = () => r.status === 'HELD' && expiresAt > serverNow();
  const backToMap = h('a', { href: `#/schedules/${r.scheduleId}` }, t('held.backToMap'));

  const countdown = h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off', 'aria-labelledby': 'left-label', 'data-testid': 'countdown' });
  const outcome = h('div', { 'data-testid': 'outcome' });
  const progress = h('p', { role: 'status', 'data-testid': 'pay-progress' });
  const errorEl = h('p', { class: 'alert', role: 'alert', 'data-testid': 'pay-error' });
  const payButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'pay', onclick: pay }, t('pay.button', { amount: money(r.amount) }));
  const cancelButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel-hold', onclick: cancel }, t('held.cancel'));
  const holdBox = h('section', { class: 'card', 'aria-labelledby': 'left-label' },
    h('p', { id: 'left-label' }, t('held.timeLeft')), countdown,
    h('p', { class: 'muted' }, t('held.until', { when: dateTime(r.expiresAt) })),
    progress, errorEl,
    h('div', { class: 'actions' }, payButton, cancelButton));

  const flashEl = flashView();
  let badge = statusBadge(r.status);
  const setStatus = (status) => {
    const fresh = statusBadge(status);
    badge.replaceWith(fresh);
    badge = fresh;
  };
  show(main,
    heading,
    flashEl,
    h('section', { class: 'card', 'aria-label': t('held.details') },
      h('h2', {}, r.concertTitle, ' ', badge),
      h('p', {}, dateTime(r.startsAt)),
      seatsTable(r)),
    outcome,
    r.status === 'HELD' ? holdBox : null);
  ctx.titled(heading);

  let ticking = true;
  let saidLow = false;
  function tick() {
    if (!ticking) return;
    const left = expiresAt - serverNow();
    countdown.textContent = clock(left);
    countdown.classList.toggle('low', left <= LOW_MS);
    if (left <= LOW_MS && !saidLow && left > 0) {
      saidLow = true;
      ctx.announce(t('held.lowTime'));
    }
    if (left <= 0) return expired();
    ctx.later(tick, TICK_MS);
  }

  /** The hold is over without a payment: expired (or cancelled), the seats back on sale. */
  function expired(key = 'held.expired') {
    ticking = false;
    holdBox.remove();
    flashEl?.remove();
    heading.textContent = t('held.overTitle');
    setStatus(key === 'held.expired' ? 'EXPIRED' : 'CANCELLED');
    show(outcome, h('div', { class: 'alert', role: 'alert', 'data-testid': 'expired' },
      h('p', {}, t(key)), h('p', {}, backToMap)));
  }

  function paid() {
    ticking = false;
    holdBox.remove();
    flashEl?.remove();
    heading.textContent = t('held.paidTitle');
    setStatus('PAID');
    show(outcome, h('div', { class: 'success', role: 'alert', 'data-testid': 'paid' },
      h('p', {}, t('pay.done')), h('p', {}, h('a', { href: '#/my' }, t('nav.mine')))));
  }

  function setBusy(busy) {
    payButton.disabled = busy || !live();
    cancelButton.disabled = busy;
  }

  async function pay() {
    setBusy(true);
    errorEl.textContent = '';
    try {
      progress.textContent = t('pay.preparing');
      const { data: order } = await api('POST', '/api/v1/payments/prepare', { auth: true, body: { reservationId }, signal: ctx.signal });
      progress.textContent = t('pay.inCheckout');
      const impUid = await checkout(order, { email: getSession()?.email || '' });
      progress.textContent = t('pay.confirming');
      let { data: payment } = await api('POST', '/api/v1/payments', { auth: true, body: { reservationId, impUid }, signal: ctx.signal });
      let pause = payment.pollAfterMs || 500;
      while (payment.status === 'CONFIRMING') {
        await ctx.sleep(pause);
        ({ data: payment } = await api('GET', `/api/v1/payments/${reservationId}`, { auth: true, signal: ctx.signal }));
        pause = 500;
      }
      progress.textContent = '';
      if (payment.status === 'PAID') return paid();
      errorEl.textContent = t('pay.refunded'); // the worker ruled against it: refunded
    } catch (error) {
      progress.textContent = '';
      if (error.name === 'AbortError') throw error;
      if (error instanceof CheckoutCancelled) errorEl.textContent = error.message ? t('pay.notMadeBecause', { reason: error.message }) : t('pay.notMade');
      else if (error instanceof CheckoutUnavailable) errorEl.textContent = error.message;
      else if (error instanceof ApiError && error.code === 'RESERVATION_NOT_HELD') return expired();
      else errorEl.textContent = errorText(error);
    }
    setBusy(false);
  }

  async function cancel() {
    const sure = await confirmDialog({ title: t('held.cancel'), text: t('held.cancelQuestion'), yes: t('held.cancelYes'), danger: true });
    if (!sure) return;
    setBusy(true);
    try {
      const status = await cancelReservation(reservationId, ctx);
      ticking = false;
      flash({ kind: 'ok', key: 'mine.cancelled', code: status });
      ctx.navigate('#/my');
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      errorEl.textContent = errorText(error);
      setBusy(false);
    }
  }

  if (r.status === 'PAID') paid();
  else if (r.status === 'CANCELLED') expired('held.cancelledAlready');
  else if (!live()) expired();
  else tick();
}
