// Debian's Chromium driven by playwright-core (never a downloaded browser), screenshots
// kept as artifacts, and the steps a buyer takes on the page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO } from './stack.mjs';

// playwright-core is installed by `npm ci` from this folder's lock file: by run.sh into the
// build directory (FT_BROWSER_DEPS), or by hand into tests/browser/node_modules.
const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(process.env.FT_BROWSER_DEPS || here, 'package.json'));
const { chromium } = require('playwright-core');

// PortOne's browser SDK as the page loads it (web/checkout.js), and the test double that
// stands in for it (portone-sdk-double.js); the double talks to PortOne's service origin.
const PORTONE_SDK_URL = 'https://cdn.iamport.kr/v1/iamport.js';
const PORTONE_SDK_DOUBLE = fs.readFileSync(path.join(here, 'portone-sdk-double.js'), 'utf8');
const PORTONE_SERVICE = 'https://service.iamport.kr';

export const ARTIFACTS = process.env.FT_BROWSER_ARTIFACTS || path.join(REPO, 'build', 'browser-artifacts');
export const DESKTOP = { viewport: { width: 1100, height: 900 }, locale: 'en-US' };
export const PHONE = { viewport: { width: 390, height: 844 }, locale: 'ko-KR', isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export async function launch() {
  const args = ['--disable-dev-shm-usage'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox'); // Chromium refuses root otherwise
  return chromium.launch({ executablePath: process.env.FT_CHROMIUM || '/usr/bin/chromium', args });
}

/**
 * A buyer: a browser context (its own storage, like its own browser) and one page, whose
 * screenshots go to ARTIFACTS/<test>/NN-<who>-<step>.png. Uncaught page errors fail the test.
 */
export class Buyer {
  static async open(browser, stack, test, who, options = DESKTOP) {
    const buyer = new Buyer();
    buyer.stack = stack;
    buyer.who = who;
    buyer.context = await browser.newContext(options);
    buyer.page = await buyer.context.newPage();
    buyer.page.setDefaultTimeout(20000);
    buyer.errors = [];
    buyer.page.on('pageerror', (error) => buyer.errors.push(error));
    buyer.page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) buyer.errors.push(message.text());
    });
    buyer.shots = Shots.for(test);
    await buyer.page.goto(`${stack.base}/`);
    return buyer;
  }

  /** A new account's browser, logged in and on the stack's seat map. */
  static async atSeatMap(browser, stack, test, who, options = DESKTOP) {
    const buyer = await Buyer.open(browser, stack, test, who, options);
    buyer.account = await stack.user(who);
    await buyer.logIn(buyer.account);
    await buyer.openSeatMap();
    return buyer;
  }

  /**
   * Stands in for PortOne on the internet, for a page that pays with PortOne's SDK: the
   * SDK's script is answered with the test double, or refused like an unreachable host
   * when sdkReachable is false; the double's POST /__control/payments at PortOne's service
   * origin goes to the stack's PortOne imitation, and nothing else there answers. Again
   * with other options: replaces the routes.
   */
  async routePortOne({ sdkReachable = true } = {}) {
    await this.context.unroute(PORTONE_SDK_URL);
    await this.context.route(PORTONE_SDK_URL, (route) => (sdkReachable
      ? route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: PORTONE_SDK_DOUBLE })
      : route.abort('namenotresolved')));
    const service = `${PORTONE_SERVICE}/**`;
    await this.context.unroute(service);
    await this.context.route(service, async (route) => {
      const request = route.request();
      const cors = { 'Access-Control-Allow-Origin': this.stack.base, Vary: 'Origin' };
      if (request.method() !== 'POST' || new URL(request.url()).pathname !== '/__control/payments') {
        return route.fulfill({ status: 404, headers: cors, body: '' });
      }
      const upstream = await fetch(`${this.stack.portone.url}/__control/payments`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: request.postData(),
      });
      return route.fulfill({ status: upstream.status, contentType: 'application/json', headers: cors, body: await upstream.text() });
    });
  }

  /** What the page asked of PortOne's SDK double: {inits, requests}. */
  async portoneCalls() {
    return this.page.evaluate(() => window.__portoneDouble ?? null);
  }

  async shot(step) {
    await this.shots.take(this.page, `${this.who}-${step}`);
  }

  /** Logs in through the page's form and comes back to `next`. */
  async logIn(account, next = '/') {
    await this.page.goto(`${this.stack.base}/#/login?next=${encodeURIComponent(next)}`);
    await this.page.locator('#email').fill(account.email);
    await this.page.locator('#password').fill(account.password);
    await this.page.locator('form button[type=submit]').click();
    await this.page.locator('#nav .who').filter({ hasText: account.email }).waitFor();
  }

  async openSeatMap() {
    await this.page.goto(`${this.stack.base}/#/schedules/${this.stack.schedule.id}`);
    await this.page.locator('.seat').first().waitFor();
  }

  seatButton(seatId) {
    return this.page.locator(`.seat[data-seat-id="${seatId}"]`);
  }

  /** The request token the page keeps for the waiting room (sessionStorage). */
  async pendingToken() {
    return this.page.evaluate(() => JSON.parse(sessionStorage.getItem('ft.pending') || 'null')?.token ?? null);
  }

  /** The API token of the logged-in page. */
  async apiToken() {
    return this.page.evaluate(() => JSON.parse(localStorage.getItem('ft.session') || 'null')?.token ?? null);
  }

  /** The position the waiting room shows, or null when the page is not in it. */
  async shownPosition() {
    const value = await this.page.locator('[data-testid=position]').getAttribute('data-position', { timeout: 1000 }).catch(() => null);
    return value === null ? null : Number(value);
  }

  async close() {
    await this.context.close();
    assert.deepEqual(this.errors.map(String), [], `${this.who}: uncaught errors on the page`);
  }
}

/** Screenshots of one test, numbered in the order taken. */
class Shots {
  static for(test) {
    Shots.made ||= new Map();
    if (!Shots.made.has(test)) Shots.made.set(test, new Shots(test));
    return Shots.made.get(test);
  }

  constructor(test) {
    this.dir = path.join(ARTIFACTS, test.replace(/[^\w-]+/g, '-'));
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.count = 0;
  }

  async take(page, step) {
    this.count += 1;
    const file = path.join(this.dir, `${String(this.count).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  }
}
