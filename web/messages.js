// Messages shared by the views: an API error in words, and the one-time flash a view
// leaves for the next (for example "someone else got that seat" on the refreshed map).
import { h } from './dom.js';
import { t } from './i18n.js';
import { takeFlash } from './store.js';

/** The error in the reader's language, by the server's stable code (and field) when the table knows it. */
export function errorText(error) {
  for (const key of [`error.${error.code}.${error.field}`, `error.${error.code}`]) {
    const text = t(key);
    if (text !== key) return text;
  }
  return error.status === 0 ? t('error.NETWORK') : `${t('error.unexpected')} (${error.code})`;
}

/** The flash left for this view (store.flash), as an alert; null when there is none. */
export function flashView() {
  const message = takeFlash();
  if (!message) return null;
  return h('p', {
    class: message.kind === 'ok' ? 'success' : 'alert', role: 'alert',
    'data-testid': 'flash', 'data-code': message.code || null,
  }, t(message.key, message.params || {}));
}
