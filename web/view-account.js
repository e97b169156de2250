// Logging in and signing up. After either, the buyer goes back where they were (?next=).
import { api, logIn } from './api.js';
import { h, show } from './dom.js';
import { t } from './i18n.js';
import { errorText } from './messages.js';

/** Where to go after logging in: a path of this page only. */
function nextOf(query) {
  const next = query.get('next') || '/';
  return /^\/[\w/-]*$/.test(next) ? next : '/';
}

/** A labelled input with the place for its error, linked for screen readers. */
function field(id, labelText, attrs, hint) {
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const hintEl = hint ? h('p', { class: 'muted', id: `${id}-hint` }, hint) : null;
  const input = h('input', { id, name: id, required: true, 'aria-describedby': [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' '), ...attrs });
  return {
    input, error,
    el: h('div', {}, h('label', { for: id }, labelText), hintEl, input, error),
    set(message) {
      error.textContent = message || '';
      input.setAttribute('aria-invalid', message ? 'true' : 'false');
    },
  };
}

function accountForm(main, ctx, { title, fields, submitLabel, other, submit }) {
  const heading = h('h1', {}, title);
  const summary = h('p', { class: 'alert', role: 'alert', 'data-testid': 'form-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', {
    class: 'stack card', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      summary.textContent = '';
      Object.values(fields).forEach((f) => f.set(''));
      const empty = Object.values(fields).find((f) => !f.input.value.trim());
      if (empty) {
        empty.set(t('form.required'));
        empty.input.focus();
        return;
      }
      button.disabled = true;
      try {
        await submit();
      } catch (error) {
        const at = error.field && fields[error.field];
        if (at) {
          at.set(errorText(error));
          at.input.focus();
        } else {
          summary.textContent = errorText(error);
        }
      } finally {
        button.disabled = false;
      }
    },
  }, Object.values(fields).map((f) => f.el), button);
  show(main, heading, summary, form, h('p', {}, other));
  ctx.titled(heading);
}

export function renderLogin(main, { query }, ctx) {
  const next = nextOf(query);
  const fields = {
    email: field('email', t('account.email'), { type: 'email', autocomplete: 'username' }),
    password: field('password', t('account.password'), { type: 'password', autocomplete: 'current-password' }),
  };
  accountForm(main, ctx, {
    title: t('login.title'), fields, submitLabel: t('login.submit'),
    other: [t('login.noAccount'), ' ', h('a', { href: `#/signup?next=${encodeURIComponent(next)}` }, t('nav.signup'))],
    submit: async () => {
      await logIn(fields.email.input.value.trim(), fields.password.input.value);
      ctx.navigate(`#${next}`);
    },
  });
}

export function renderSignup(main, { query }, ctx) {
  const next = nextOf(query);
  const fields = {
    name: field('name', t('account.name'), { type: 'text', autocomplete: 'name', maxlength: '100' }),
    email: field('email', t('account.email'), { type: 'email', autocomplete: 'email' }),
    password: field('password', t('account.password'), { type: 'password', autocomplete: 'new-password', minlength: '8' }, t('account.passwordHint')),
  };
  accountForm(main, ctx, {
    title: t('signup.title'), fields, submitLabel: t('signup.submit'),
    other: [t('signup.haveAccount'), ' ', h('a', { href: `#/login?next=${encodeURIComponent(next)}` }, t('nav.login'))],
    submit: async () => {
      const email = fields.email.input.value.trim();
      const password = fields.password.input.value;
      await api('POST', '/api/v1/users/signup', { body: { name: fields.name.input.value.trim(), email, password } });
      await logIn(email, password);
      ctx.navigate(`#${next}`);
    },
  });
}
