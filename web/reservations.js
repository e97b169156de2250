// The buyer's reservations as the server has them (GET /api/v1/reservations/my), shared by
// the hold view and "my reservations": finding one, showing its seats, cancelling it.
import { api } from './api.js';
import { h } from './dom.js';
import { money, t } from './i18n.js';

const SETTLE_MS = 15000; // how long a cancel may take to show before the page stops waiting

/** The caller's reservations, newest first. */
export async function myReservations(signal) {
  return (await api('GET', '/api/v1/reservations/my', { auth: true, signal })).data.items;
}

/** The caller's reservation with this id, or null. */
export async function myReservation(id, signal) {
  return (await myReservations(signal)).find((r) => r.id === id) || null;
}

/** A table of a reservation's seats with its total. */
export function seatsTable(r) {
  return h('table', { class: 'seats-table' },
    h('caption', { class: 'visually-hidden' }, t('held.seatsCaption')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('held.row')), h('th', { scope: 'col' }, t('held.seat')),
      h('th', { scope: 'col' }, t('held.grade')), h('th', { scope: 'col' }, t('held.price')))),
    h('tbody', {}, r.seats.map((s) => h('tr', {},
      h('td', {}, String(s.row)), h('td', {}, String(s.number)), h('td', {}, s.grade), h('td', {}, money(s.price))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: '3' }, t('held.total')), h('td', {}, h('strong', {}, money(r.amount))))));
}

/** The state of a reservation as a badge. */
export function statusBadge(status) {
  return h('span', { class: `status status-${status}`, 'data-testid': 'status', 'data-status': status }, t(`status.${status}`));
}

/**
 * Cancels reservation id (a hold, or a paid one with its refund) and waits until the
 * worker has ended it; resolves its state then (CANCELLED, EXPIRED, or what it still is
 * when SETTLE_MS ran out).
 */
export async function cancelReservation(id, ctx) {
  const { status, data } = await api('DELETE', `/api/v1/reservations/${id}`, { auth: true, signal: ctx.signal });
  if (status === 200) return data.status; // already over
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const r = await myReservation(id, ctx.signal);
    if (!r || !['HELD', 'PAID'].includes(r.status) || Date.now() > deadline) return r ? r.status : 'CANCELLED';
    await ctx.sleep(300);
  }
}
