// My reservations: every hold and purchase, newest first, with what can still be done:
// pay a live hold, cancel it, or cancel a paid one (refunded).
import { serverNow } from './api.js';
import { confirmDialog } from './dialog.js';
import { h, show } from './dom.js';
import { dateTime, t } from './i18n.js';
import { errorText, flashView } from './messages.js';
import { cancelReservation, myReservations, seatsTable, statusBadge } from './reservations.js';
import { flash } from './store.js';

export async function renderMine(main, _params, ctx) {
  const heading = h('h1', {}, t('mine.title'));
  show(main, heading, h('p', { class: 'muted' }, t('loading')));
  ctx.titled(heading);
  const items = await myReservations(ctx.signal);
  const errorEl = h('p', { class: 'alert', role: 'alert' });

  async function cancel(r, button) {
    const paid = r.status === 'PAID';
    const sure = await confirmDialog({
      title: paid ? t('mine.cancelPaid') : t('held.cancel'),
      text: paid ? t('mine.cancelPaidQuestion') : t('held.cancelQuestion'),
      yes: paid ? t('mine.cancelPaidYes') : t('held.cancelYes'),
      danger: true,
    });
    if (!sure) return;
    button.disabled = true;
    try {
      const status = await cancelReservation(r.id, ctx);
      flash({ kind: 'ok', key: paid ? 'mine.cancelledPaid' : 'mine.cancelled', code: status });
      ctx.navigate('#/my'); // drawn again, with the message
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      errorEl.textContent = errorText(error);
      button.disabled = false;
    }
  }

  function item(r) {
    const liveHold = r.status === 'HELD' && Date.parse(r.expiresAt) > serverNow();
    const status = r.status === 'HELD' && !liveHold ? 'EXPIRED' : r.status; // a hold past its time is over
    const cancelButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel' });
    cancelButton.textContent = status === 'PAID' ? t('mine.cancelPaid') : t('held.cancel');
    cancelButton.addEventListener('click', () => cancel(r, cancelButton));
    return h('li', { class: 'card', 'data-testid': `reservation-${r.id}`, 'aria-labelledby': `res-${r.id}` },
      h('h2', { id: `res-${r.id}` }, h('a', { href: `#/held/${r.id}` }, r.concertTitle), ' ', statusBadge(status)),
      h('p', {}, dateTime(r.startsAt)),
      seatsTable(r),
      h('p', { class: 'muted' },
        status === 'PAID' ? t('mine.paidAt', { when: dateTime(r.paidAt) })
          : liveHold ? t('held.until', { when: dateTime(r.expiresAt) })
            : r.endedAt ? t('mine.endedAt', { when: dateTime(r.endedAt) }) : t('mine.heldAt', { when: dateTime(r.heldAt) })),
      liveHold || status === 'PAID' ? h('div', { class: 'actions' },
        liveHold ? h('a', { class: 'button primary', href: `#/held/${r.id}` }, t('mine.payNow')) : null,
        cancelButton) : null);
  }

  show(main, heading, flashView(), errorEl,
    items.length ? h('ul', { class: 'list' }, items.map(item)) : h('p', {}, t('mine.none'), ' ', h('a', { href: '#/' }, t('nav.concerts'))));
}
