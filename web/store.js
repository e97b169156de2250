// What the page keeps across a reload, per browser tab (sessionStorage): the reservation
// request waiting in line, and a message for the next view.

const PENDING_KEY = 'ft.pending';
const FLASH_KEY = 'ft.flash';

function read(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}

/** The request in line: {token, scheduleId, concertTitle, startsAt, firstPosition, at}, or null. */
export function pending() {
  return read(PENDING_KEY);
}

export function setPending(request) {
  if (request) sessionStorage.setItem(PENDING_KEY, JSON.stringify(request));
  else sessionStorage.removeItem(PENDING_KEY);
}

/** Leaves a message {kind, key, params} for the next view that shows flashes. */
export function flash(message) {
  sessionStorage.setItem(FLASH_KEY, JSON.stringify(message));
}

/** The message left for this view, once. */
export function takeFlash() {
  const message = read(FLASH_KEY);
  sessionStorage.removeItem(FLASH_KEY);
  return message;
}
