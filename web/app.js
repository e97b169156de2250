// Fair Ticket's buyer page: a hash router over views, the header, the language switch.
// Views are functions (main, params, ctx) that draw into <main>; ctx lets them wait,
// repeat and fetch only while they are on screen (ctx.signal aborts when the view goes).
import { getSession, logOut, onSessionChange } from './api.js';
import { h, show } from './dom.js';
import { lang, setLang, t } from './i18n.js';
import { pending } from './store.js';
import { renderConcert, renderConcerts } from './view-concerts.js';
import { renderSeats } from './view-seats.js';
import { renderWaiting } from './view-waiting.js';
import { renderHeld } from './view-held.js';
import { renderMine } from './view-mine.js';
import { renderLogin, renderSignup } from './view-account.js';

// [pattern of the path after '#', view, needs a session]
const routes = [
  [/^\/$/, renderConcerts, false],
  [/^\/concerts\/(\d+)$/, renderConcert, false],
  [/^\/schedules\/(\d+)$/, renderSeats, false],
  [/^\/wait$/, renderWaiting, true],
  [/^\/held\/(\d+)$/, renderHeld, true],
  [/^\/my$/, renderMine, true],
  [/^\/login$/, renderLogin, false],
  [/^\/signup$/, renderSignup, false],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const announcer = document.getElementById('announcer');
let current = null; // the view on screen: {controller}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Says text to screen readers (the polite live region), once. */
export function announce(text) {
  announcer.textContent = '';
  // a new text node after a tick, so that the same sentence twice is read twice
  setTimeout(() => { announcer.textContent = text; }, 50);
}

function where() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?');
  return { path, query: new URLSearchParams(query || '') };
}

function context(controller) {
  const signal = controller.signal;
  const timers = new Set();
  signal.addEventListener('abort', () => timers.forEach((id) => clearTimeout(id)));
  return {
    signal,
    navigate,
    announce,
    /** Runs fn after ms, unless the view has gone. */
    later(fn, ms) {
      const id = setTimeout(() => {
        timers.delete(id);
        if (!signal.aborted) fn();
      }, ms);
      timers.add(id);
      return id;
    },
    /** Sleeps ms; rejects with an AbortError when the view goes meanwhile. */
    sleep(ms) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(new DOMException('gone', 'AbortError'));
        const id = setTimeout(() => { timers.delete(id); resolve(); }, ms);
        timers.add(id);
        signal.addEventListener('abort', () => reject(new DOMException('gone', 'AbortError')), { once: true });
      });
    },
    /** Sets the title and moves focus to the view's heading, for keyboard and screen-reader users. */
    titled(heading) {
      document.title = `${heading.textContent} · Fair Ticket`;
      heading.setAttribute('tabindex', '-1');
      if (!signal.aborted) heading.focus({ preventScroll: false });
    },
  };
}

function route() {
  if (current) current.abort();
  const { path, query } = where();
  const controller = new AbortController();
  current = controller;
  drawNav();
  for (const [pattern, view, needsSession] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (needsSession && !getSession()) {
      navigate(`#/login?next=${encodeURIComponent(path)}`);
      return;
    }
    show(main);
    const ctx = context(controller);
    Promise.resolve(view(main, { id: match[1], query }, ctx)).catch((error) => {
      if (error && error.name === 'AbortError') return;
      console.error(error);
      if (!controller.signal.aborted) show(main, h('p', { class: 'alert', role: 'alert' }, t('error.unexpected')));
    });
    return;
  }
  show(main, h('h1', {}, t('notFound.title')), h('p', {}, h('a', { href: '#/' }, t('nav.concerts'))));
}

function drawNav() {
  const session = getSession();
  const waiting = pending();
  show(nav,
    h('a', { href: '#/' }, t('nav.concerts')),
    waiting && session ? h('a', { href: '#/wait', class: 'queue-link' }, t('nav.inLine')) : null,
    session ? h('a', { href: '#/my' }, t('nav.mine')) : null,
    session ? h('span', { class: 'who' }, session.email) : null,
    session
      ? h('button', { type: 'button', class: 'link-button', onclick: () => { logOut(); navigate('#/'); } }, t('nav.logout'))
      : [h('a', { href: '#/login' }, t('nav.login')), h('a', { href: '#/signup' }, t('nav.signup'))]);
}

function drawChrome() {
  document.getElementById('lang-label').textContent = t('lang.label');
  document.getElementById('skip').textContent = t('skip');
  document.getElementById('lang').value = lang();
}

document.getElementById('lang').addEventListener('change', (event) => {
  setLang(event.target.value);
  drawChrome();
  route(); // redraw the view in the new language
});
document.getElementById('skip').addEventListener('click', (event) => {
  event.preventDefault(); // '#main' is not a route
  main.focus();
});
onSessionChange(drawNav);
window.addEventListener('hashchange', route);
drawChrome();
route();
