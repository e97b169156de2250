// One modal dialog (the <dialog id="dialog"> of index.html): focus goes in and comes back,
// Escape cancels, the rest of the page is inert while it is open.
import { h, show } from './dom.js';
import { t } from './i18n.js';

const dialog = () => document.getElementById('dialog');

/**
 * Opens the dialog with a title and content; buttons are [{label, primary, danger, value}].
 * onChoose(value, controls) decides: false keeps it open, true closes it and resolves the
 * button's value, anything else closes it and resolves that. Resolves null when cancelled
 * (Escape, or a button whose value is null).
 */
export function openDialog({ title, content, buttons, onChoose = () => true }) {
  const el = dialog();
  return new Promise((resolve) => {
    const message = h('p', { class: 'alert', role: 'alert' });
    const controls = { message, buttons: [] };
    const finish = (value) => {
      el.removeEventListener('cancel', onCancel);
      el.close();
      resolve(value);
    };
    const onCancel = (event) => {
      event.preventDefault();
      if (!controls.busy) finish(null);
    };
    const row = h('div', { class: 'actions' }, buttons.map((b) => {
      const button = h('button', {
        type: 'button', class: b.primary ? 'primary' : b.danger ? 'danger' : null, autofocus: b.primary || null,
        onclick: async () => {
          if (b.value === null) return finish(null);
          const result = await onChoose(b.value, controls);
          if (result) finish(result === true ? b.value : result);
        },
      }, b.label);
      controls.buttons.push(button);
      return button;
    }));
    show(el, h('h2', { id: 'dialog-title' }, title), content, message, row);
    el.addEventListener('cancel', onCancel);
    el.showModal();
  });
}

/** Asks a yes/no question; resolves true for yes. */
export async function confirmDialog({ title, text, yes, no = t('action.back'), danger = false }) {
  const chosen = await openDialog({
    title,
    content: h('p', {}, text),
    buttons: [{ label: no, value: null }, { label: yes, value: 'yes', primary: !danger, danger }],
  });
  return chosen === 'yes';
}
