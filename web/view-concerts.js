// The concert list, and one concert with its performances (schedules).
import { api } from './api.js';
import { h, show } from './dom.js';
import { dateTime, number, t } from './i18n.js';

const PAGE_SIZE = 20;

export async function renderConcerts(main, { query }, ctx) {
  const page = Math.max(0, Number(query.get('page')) || 0);
  const heading = h('h1', {}, t('concerts.title'));
  show(main, heading, h('p', { class: 'muted' }, t('loading')));
  ctx.titled(heading);
  const { data } = await api('GET', `/api/v1/concerts?page=${page}&size=${PAGE_SIZE}`, { signal: ctx.signal });
  const items = data.items.map((c) => h('li', { class: 'card' },
    h('h2', {}, h('a', { href: `#/concerts/${c.id}` }, c.title)),
    h('p', {}, c.artist),
    h('p', { class: 'muted' }, c.firstStartsAt
      ? t('concerts.firstShow', { when: dateTime(c.firstStartsAt), n: number(c.scheduleCount) })
      : t('concerts.noShows'))));
  const pages = Math.ceil(data.total / PAGE_SIZE);
  show(main, heading,
    items.length ? h('ul', { class: 'list', 'aria-label': t('concerts.title') }, items) : h('p', {}, t('concerts.none')),
    pages > 1 ? h('nav', { class: 'actions', 'aria-label': t('concerts.pages') },
      page > 0 ? h('a', { class: 'button', href: `#/?page=${page - 1}` }, t('action.previous')) : null,
      h('span', { class: 'muted' }, t('concerts.pageOf', { page: page + 1, pages })),
      page + 1 < pages ? h('a', { class: 'button', href: `#/?page=${page + 1}` }, t('action.next')) : null) : null);
}

export async function renderConcert(main, { id }, ctx) {
  show(main, h('p', { class: 'muted' }, t('loading')));
  const { data: c } = await api('GET', `/api/v1/concerts/${id}`, { signal: ctx.signal });
  const heading = h('h1', {}, c.title);
  const rows = c.schedules.map((s) => h('tr', {},
    h('td', {}, dateTime(s.startsAt)),
    h('td', {}, s.venueName),
    h('td', {}, s.status === 'OPEN'
      ? t('concert.seatsLeft', { left: number(s.seatsLeft), total: number(s.totalSeats) })
      : t('concert.closed')),
    h('td', {}, s.status === 'OPEN' && s.seatsLeft > 0
      ? h('a', { class: 'button primary', href: `#/schedules/${s.id}`,
        'aria-label': t('concert.chooseFor', { when: dateTime(s.startsAt) }) }, t('concert.choose'))
      : h('span', { class: 'muted' }, t('concert.soldOut')))));
  show(main, h('p', {}, h('a', { href: '#/' }, `← ${t('nav.concerts')}`)),
    heading,
    h('p', {}, h('strong', {}, c.artist)),
    c.description ? h('p', {}, c.description) : null,
    h('h2', { id: 'schedules-title' }, t('concert.schedules')),
    rows.length
      ? h('table', { class: 'schedules card', 'aria-labelledby': 'schedules-title' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('concert.when')), h('th', { scope: 'col' }, t('concert.venue')),
          h('th', { scope: 'col' }, t('concert.seats')), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('concert.choose'))))),
        h('tbody', {}, rows))
      : h('p', {}, t('concert.noSchedules')));
  ctx.titled(heading);
}
