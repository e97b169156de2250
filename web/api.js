// The HTTP API (docs/api-contract.md): JSON in and out, errors as ApiError with the
// server's stable code, and the logged-in session kept in localStorage.

const SESSION_KEY = 'ft.session';

export class ApiError extends Error {
  constructor(status, code, message, { field = null, retryAfter = 0 } = {}) {
    super(message);
    this.status = status; // 0: no answer (network)
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter; // seconds, from Retry-After
  }
}

// How far the server's clock is ahead of this browser's, from the Date header: a hold's
// countdown must end when the server's hold ends, not when this machine's clock says.
let clockOffsetMs = 0;

function noteClock(resp) {
  const date = Date.parse(resp.headers.get('Date') || '');
  if (Number.isNaN(date)) return;
  const offset = date + 500 - Date.now(); // Date has whole seconds
  clockOffsetMs = Math.abs(offset) > 2000 ? offset : 0;
}

/** Now, by the server's clock, in milliseconds. */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

const sessionListeners = new Set();

/** The logged-in session {token, email, expiresAt}, or null. */
export function getSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    if (s && typeof s.token === 'string' && s.expiresAt > Date.now()) return s;
  } catch {
    /* a damaged entry is no session */
  }
  return null;
}

export function setSession(session) {
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
  for (const listener of sessionListeners) listener(session);
}

export function onSessionChange(listener) {
  sessionListeners.add(listener);
}

/**
 * Calls the API. auth: send the session's token (none: 401 AUTH_REQUIRED without a call).
 * Resolves {status, data}; rejects with ApiError. A 401 on an authenticated call ends the
 * session (the token expired or its user is gone).
 */
export async function api(method, path, { body, auth = false, headers = {}, signal } = {}) {
  const sent = { Accept: 'application/json', ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  if (auth) {
    const session = getSession();
    if (!session) throw new ApiError(401, 'AUTH_REQUIRED', 'log in first');
    sent.Authorization = `Bearer ${session.token}`;
  }
  let resp;
  try {
    resp = await fetch(path, {
      method, headers: sent, signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', e.message);
  }
  noteClock(resp);
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const error = (data && data.error) || {};
    if (resp.status === 401 && auth) setSession(null);
    throw new ApiError(resp.status, error.code || `HTTP_${resp.status}`, error.message || resp.statusText, {
      field: error.field || null,
      retryAfter: Number(resp.headers.get('Retry-After')) || 0,
    });
  }
  return { status: resp.status, data };
}

/** Logs in and keeps the session. */
export async function logIn(email, password) {
  const { data } = await api('POST', '/api/v1/users/login', { body: { email, password } });
  setSession({ token: data.accessToken, email, expiresAt: Date.now() + data.expiresIn * 1000 });
}

export function logOut() {
  setSession(null);
}
