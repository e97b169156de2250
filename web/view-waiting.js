// The waiting room: the exact place in line of the request this tab made, and its ETA,
// asked again after the pause the server suggests (pollAfterMs). The request's token is
// kept in sessionStorage, so a reload comes back to the same place. When the request is
// decided the buyer moves on: to the hold, or back to the seat map with the reason.
import { api } from './api.js';
import { h, show } from './dom.js';
import { dateTime, eta, number, t } from './i18n.js';
import { errorText } from './messages.js';
import { flash, pending, setPending } from './store.js';

const SPEAK_EVERY_MS = 10000; // the live region speaks at most this often, unless the turn has come

export async function renderWaiting(main, _params, ctx) {
  const request = pending();
  const heading = h('h1', {}, t('wait.title'));
  if (!request) {
    show(main, heading, h('p', {}, t('wait.none')), h('p', {}, h('a', { href: '#/' }, t('nav.concerts'))));
    ctx.titled(heading);
    return;
  }

  const big = h('span', { class: 'big', 'aria-hidden': 'true', 'data-testid': 'position' }); // the sentence below says it
  const ahead = h('span', { 'data-testid': 'ahead' });
  const etaEl = h('p', { class: 'eta', 'data-testid': 'eta' });
  let highest = Math.max(1, request.firstPosition);
  const progress = h('progress', { max: String(highest), value: '0', 'aria-label': t('wait.progress') });
  const live = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true', 'data-testid': 'queue-live' });
  const problem = h('p', { class: 'notice', 'data-testid': 'wait-problem' });
  show(main, heading,
    h('p', {}, t('wait.for', { title: request.concertTitle || '', when: dateTime(request.startsAt) })),
    h('section', { class: 'card queue', 'aria-label': t('wait.place'), 'data-testid': 'queue' },
      h('p', {}, big, ahead), etaEl, progress),
    live,
    problem,
    h('p', { class: 'muted' }, t('wait.keep')));
  ctx.titled(heading);

  let spoken = { at: 0, position: null };
  function draw(status) {
    const position = status.position;
    highest = Math.max(highest, position);
    big.dataset.position = String(position);
    big.textContent = position === 0 ? t('wait.nextShort') : number(position);
    ahead.textContent = position === 0 ? t('wait.next') : t('wait.ahead#', { n: position });
    etaEl.textContent = position === 0 ? '' : status.etaMs == null ? t('wait.etaUnknown') : t('wait.eta', { eta: eta(status.etaMs) });
    progress.max = highest;
    progress.value = highest - position;
    const now = Date.now();
    const due = position === 0 ? spoken.position !== 0 : now - spoken.at >= SPEAK_EVERY_MS && position !== spoken.position;
    if (due) {
      live.textContent = position === 0 ? t('wait.next') : `${t('wait.ahead#', { n: position })}. ${etaEl.textContent}`;
      spoken = { at: now, position };
    }
  }

  for (;;) {
    try {
      const { data } = await api('GET', `/api/v1/reservations/requests/${request.token}`, { auth: true, signal: ctx.signal });
      problem.textContent = '';
      if (data.status === 'WAITING') {
        draw(data);
        await ctx.sleep(data.pollAfterMs);
        continue;
      }
      setPending(null);
      if (data.status === 'HELD') {
        flash({ kind: 'ok', key: 'held.got', code: 'HELD' });
        ctx.navigate(`#/held/${data.reservationId}`);
      } else {
        flash({ kind: 'error', key: `reject.${data.code}`, code: data.code });
        ctx.navigate(`#/schedules/${request.scheduleId}`);
      }
      return;
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      if (error.status === 401) {
        ctx.navigate(`#/login?next=${encodeURIComponent('/wait')}`); // the place stays kept
        return;
      }
      if (error.status === 404) { // not this account's request
        setPending(null);
        problem.textContent = t('wait.unknown');
        return;
      }
      problem.textContent = `${errorText(error)} ${t('wait.retrying')}`;
      await ctx.sleep(Math.max(1000, error.retryAfter * 1000));
    }
  }
}
