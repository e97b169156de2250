// The seat map of one performance, live: grades in colour with their prices, taken seats
// unavailable, refreshed every few seconds. Seats are buttons in rows; one of them is in
// the tab order and the arrow keys move between them (Home/End: ends of the row). A buyer
// picks up to MAX_SEATS seats, or asks for the best N seats of a grade; either way the
// request joins the line (the waiting room).
import { api, ApiError, getSession } from './api.js';
import { h, randomKey, show } from './dom.js';
import { dateTime, money, seatName, t } from './i18n.js';
import { flashView, errorText } from './messages.js';
import { pending, setPending } from './store.js';

const MAX_SEATS = 4; // POST /api/v1/reservations takes 1–4 seats
const REFRESH_MS = 3000;
const GRADES = ['VIP', 'R', 'S', 'A'];

export async function renderSeats(main, { id }, ctx) {
  const scheduleId = Number(id);
  show(main, h('p', { class: 'muted' }, t('loading')));
  const { data: map } = await api('GET', `/api/v1/seats/${scheduleId}`, { signal: ctx.signal });
  let concertTitle = '';
  try {
    concertTitle = (await api('GET', `/api/v1/concerts/${map.concertId}`, { signal: ctx.signal })).data.title;
  } catch (error) {
    if (error.name === 'AbortError') throw error;
  }

  const seats = new Map(map.seats.map((s) => [s.id, s]));
  const buttons = new Map();
  const selected = new Set();
  let attempt = null; // {body, key}: a retry of the same request reuses its Idempotency-Key
  let busy = false;

  const taken = (seat) => seat.status !== 'AVAILABLE';
  const label = (seat) => [seatName(seat), seat.grade, money(seat.price), taken(seat) ? t('seat.taken') : null]
    .filter(Boolean).join(', ');

  // --- the map -------------------------------------------------------------------------
  const byRow = new Map();
  for (const seat of map.seats) {
    if (!byRow.has(seat.row)) byRow.set(seat.row, []);
    byRow.get(seat.row).push(seat); // the map comes ordered by row, then number
  }
  const grid = [...byRow.values()].map((rowSeats) => rowSeats.map((seat) => {
    const button = h('button', {
      type: 'button', class: `seat grade-${seat.grade}`, tabindex: '-1', 'aria-pressed': 'false',
      dataset: { seatId: seat.id }, onclick: () => toggle(seat.id),
    }, String(seat.number));
    buttons.set(seat.id, button);
    paint(seat);
    return button;
  }));
  const rowsEl = [...byRow.keys()].map((row, i) => h('div', {
    class: 'seat-row', role: 'group', 'aria-label': t('seat.row', { row }),
  }, h('span', { class: 'row-label', 'aria-hidden': 'true' }, String(row)), grid[i]));
  const mapEl = h('div', { class: 'seatmap', role: 'group', 'aria-label': t('seat.mapLabel'), onkeydown: onArrow }, rowsEl);
  const firstFree = map.seats.find((s) => !taken(s)) || map.seats[0];
  if (firstFree) buttons.get(firstFree.id).tabIndex = 0;

  function paint(seat) {
    const button = buttons.get(seat.id);
    button.setAttribute('aria-label', label(seat));
    button.setAttribute('aria-disabled', taken(seat) ? 'true' : 'false');
    button.dataset.status = seat.status;
    button.setAttribute('aria-pressed', selected.has(seat.id) ? 'true' : 'false');
  }

  function onArrow(event) {
    const at = grid.findIndex((row) => row.includes(document.activeElement));
    if (at < 0) return;
    const row = grid[at];
    const col = row.indexOf(document.activeElement);
    const moves = {
      ArrowLeft: [at, col - 1], ArrowRight: [at, col + 1], ArrowUp: [at - 1, col], ArrowDown: [at + 1, col],
      Home: [at, 0], End: [at, row.length - 1],
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const [r, c] = moves[event.key];
    if (r < 0 || r >= grid.length) return;
    const target = grid[r][Math.max(0, Math.min(c, grid[r].length - 1))];
    document.activeElement.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  function toggle(seatId) {
    const seat = seats.get(seatId);
    if (busy || taken(seat)) return;
    if (selected.has(seatId)) selected.delete(seatId);
    else if (selected.size >= MAX_SEATS) return ctx.announce(t('seat.max', { n: MAX_SEATS }));
    else selected.add(seatId);
    for (const button of buttons.values()) button.tabIndex = -1;
    buttons.get(seatId).tabIndex = 0;
    paint(seat);
    drawPicked();
  }

  // --- the choice: picked seats, or the best N of a grade --------------------------------
  const picked = h('div', { 'data-testid': 'picked' });
  const reserveButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'reserve', onclick: () => reserve({ scheduleId, seatIds: [...selected] }) });
  function drawPicked() {
    const list = [...selected].map((sid) => seats.get(sid)).sort((a, b) => a.row - b.row || a.number - b.number);
    const total = list.reduce((sum, s) => sum + s.price, 0);
    show(picked, list.length
      ? [h('ul', { class: 'picked' }, list.map((s) => h('li', {}, `${seatName(s)} · ${s.grade} · ${money(s.price)}`))),
        h('p', {}, h('strong', {}, t('seat.total', { amount: money(total) })))]
      : h('p', { class: 'muted' }, t('seat.nonePicked', { n: MAX_SEATS })));
    reserveButton.textContent = list.length ? t('seat.reserve#', { n: list.length }) : t('seat.reserveNone');
    reserveButton.disabled = busy || list.length === 0;
  }

  const present = GRADES.filter((g) => map.seats.some((s) => s.grade === g));
  const priceOf = (grade) => map.seats.find((s) => s.grade === grade).price;
  const quantity = h('select', { id: 'best-quantity', name: 'quantity' },
    Array.from({ length: MAX_SEATS }, (_, i) => h('option', { value: String(i + 1) }, String(i + 1))));
  const grade = h('select', { id: 'best-grade', name: 'grade' },
    h('option', { value: '' }, t('best.anyGrade')),
    present.map((g) => h('option', { value: g }, `${g} · ${money(priceOf(g))}`)));
  const bestButton = h('button', { type: 'submit', class: 'primary' }, t('best.submit'));
  const bestForm = h('form', {
    class: 'inline', 'aria-labelledby': 'best-title',
    onsubmit: (event) => {
      event.preventDefault();
      const body = { scheduleId, quantity: Number(quantity.value) };
      if (grade.value) body.grade = grade.value;
      reserve(body);
    },
  },
  h('div', {}, h('label', { for: 'best-quantity' }, t('best.quantity')), quantity),
  h('div', {}, h('label', { for: 'best-grade' }, t('best.grade')), grade),
  bestButton);

  // --- asking for the seats ------------------------------------------------------------
  const errorEl = h('p', { class: 'alert', role: 'alert', 'data-testid': 'seat-error' });
  async function reserve(body) {
    if (!getSession()) {
      ctx.navigate(`#/login?next=${encodeURIComponent(`/schedules/${scheduleId}`)}`);
      return;
    }
    const text = JSON.stringify(body);
    if (!attempt || attempt.text !== text) attempt = { text, key: randomKey() };
    busy = true;
    bestButton.disabled = true;
    drawPicked();
    errorEl.textContent = '';
    try {
      const { data } = await api('POST', '/api/v1/reservations', {
        auth: true, body, headers: { 'Idempotency-Key': attempt.key }, signal: ctx.signal,
      });
      setPending({
        token: data.token, scheduleId, concertTitle, startsAt: map.startsAt,
        firstPosition: data.position, pollAfterMs: data.pollAfterMs, at: Date.now(),
      });
      ctx.navigate('#/wait');
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error instanceof ApiError && error.status === 401) {
        ctx.navigate(`#/login?next=${encodeURIComponent(`/schedules/${scheduleId}`)}`);
        return;
      }
      const retryable = error.status === 0 || error.status === 503 || error.code === 'REQUEST_IN_PROGRESS';
      if (!retryable) attempt = null; // a refused request is over: the next one is new
      errorEl.dataset.code = error.code;
      errorEl.textContent = errorText(error);
    } finally {
      busy = false;
      bestButton.disabled = false;
      drawPicked();
    }
  }

  // --- live status -------------------------------------------------------------------------
  async function refresh() {
    try {
      const { data } = await api('GET', `/api/v1/seats/${scheduleId}`, { signal: ctx.signal });
      const lost = [];
      for (const fresh of data.seats) {
        const seat = seats.get(fresh.id);
        if (!seat || seat.status === fresh.status) continue;
        seat.status = fresh.status;
        if (taken(seat) && selected.delete(seat.id)) lost.push(seat);
        paint(seat);
      }
      if (lost.length) {
        drawPicked();
        ctx.announce(t('seat.justTaken', { seats: lost.map(seatName).join(', ') }));
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
    }
    ctx.later(refresh, REFRESH_MS);
  }

  // --- the page ------------------------------------------------------------------------------
  const heading = h('h1', {}, concertTitle || t('seat.title'));
  const waiting = pending();
  show(main,
    h('p', {}, h('a', { href: `#/concerts/${map.concertId}` }, `← ${concertTitle || t('nav.concerts')}`)),
    heading,
    h('p', {}, dateTime(map.startsAt)),
    flashView(),
    waiting ? h('p', { class: 'notice' }, t('seat.alreadyInLine'), ' ', h('a', { href: '#/wait' }, t('nav.inLine'))) : null,
    errorEl,
    h('h2', { id: 'legend-title' }, t('seat.legend')),
    h('ul', { class: 'legend', 'aria-labelledby': 'legend-title' },
      present.map((g) => h('li', {}, h('span', { class: `swatch grade-${g}`, 'aria-hidden': 'true' }), `${g} ${money(priceOf(g))}`)),
      h('li', {}, h('span', { class: 'swatch taken', 'aria-hidden': 'true' }), t('seat.takenLegend')),
      h('li', {}, h('span', { class: 'swatch selected', 'aria-hidden': 'true' }), t('seat.selectedLegend'))),
    h('section', { class: 'card', 'aria-labelledby': 'map-title' },
      h('h2', { id: 'map-title' }, t('seat.choose')),
      h('p', { class: 'muted', id: 'map-help' }, t('seat.help')),
      h('div', { class: 'stage', 'aria-hidden': 'true' }, t('seat.stage')),
      mapEl),
    h('div', { class: 'choice' },
      h('section', { class: 'card', 'aria-labelledby': 'picked-title' },
        h('h2', { id: 'picked-title' }, t('seat.picked')), picked, reserveButton),
      h('section', { class: 'card', 'aria-labelledby': 'best-title' },
        h('h2', { id: 'best-title' }, t('best.title')), h('p', { class: 'muted' }, t('best.help')), bestForm)));
  mapEl.setAttribute('aria-describedby', 'map-help');
  drawPicked();
  ctx.titled(heading);
  ctx.later(refresh, REFRESH_MS);
}
