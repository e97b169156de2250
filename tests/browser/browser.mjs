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
    buyer.shots = Shots.for(test);
    await buyer.page.goto(`${stack.base}/`);
    return buyer;
  }

  /** A new account's browser, logged in and on the stack's seat map. */
  static async atSeatMap(browser, stack, test, who, options = DESKTOP) {
    const buyer = await Buyer.open(browser, stack, test, who, options);
    await buyer.logIn(await stack.user(who));
    await buyer.openSeatMap();
    return buyer;
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
