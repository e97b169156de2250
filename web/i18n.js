// Languages: one table of strings per language (lang-ko.js, lang-en.js), the same keys in
// each. t('key', {name: value}) fills {name} placeholders; a key ending in "#" picks the
// plural form (key#one, key#other) by the count n.
import en from './lang-en.js';
import ko from './lang-ko.js';

export const tables = { ko, en };
const LANG_KEY = 'ft.lang';
const locales = { ko: 'ko-KR', en: 'en-US' };

function initial() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && saved in tables) return saved;
  return (navigator.language || '').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

let current = initial();
document.documentElement.lang = current;

export function lang() {
  return current;
}

export function setLang(code) {
  if (!(code in tables)) return;
  current = code;
  localStorage.setItem(LANG_KEY, code);
  document.documentElement.lang = code;
}

export function t(key, params = {}) {
  let name = key;
  if (key.endsWith('#')) {
    const form = new Intl.PluralRules(locales[current]).select(params.n ?? 0);
    name = key + form in tables[current] ? key + form : `${key}other`;
  }
  const text = tables[current][name] ?? tables.en[name] ?? name;
  return text.replace(/\{(\w+)\}/g, (whole, param) => (param in params ? String(params[param]) : whole));
}

/** An amount of won: ₩150,000 / ₩150,000. */
export function money(won) {
  return new Intl.NumberFormat(locales[current], { style: 'currency', currency: 'KRW' }).format(won);
}

/** A date and time in the reader's time zone. */
export function dateTime(iso) {
  return new Intl.DateTimeFormat(locales[current], { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function number(n) {
  return new Intl.NumberFormat(locales[current]).format(n);
}

/** m:ss of a count of milliseconds (rounded up: 0:01 until it is really over). */
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** "about 12 seconds" / "약 12초" for an ETA. */
export function eta(ms) {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return t('eta.seconds#', { n: seconds });
  return t('eta.minutes#', { n: Math.round(seconds / 60) });
}

/** The seat as people say it: "Row 3, seat 12". */
export function seatName(seat) {
  return t('seat.name', { row: seat.row, number: seat.number });
}
