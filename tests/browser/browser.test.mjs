// The buyer's page (web/) in a real browser against a real stack (stack.mjs): a purchase
// from the concert list to a PAID reservation, the best seats of a grade and a cancel,
// two browsers racing for one seat, a reload in the waiting room, a place in line that
// counts down while the worker works through the line, a hold that expires on screen, and
// the production checkout with PortOne's browser SDK (a test double of it, served in place
// of https://cdn.iamport.kr/v1/iamport.js): paid, closed by the buyer, and not loading.
// Screenshots of every step: $FT_BROWSER_ARTIFACTS/<test>/ (run.sh: <build>/browser-artifacts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARTIFACTS, Buyer, DESKTOP, PHONE, launch } from './browser.mjs';
import { REPO, Stack } from './stack.mjs';

/** One of the page's string tables (web/ has no package.json saying its files are modules). */
async function table(name) {
  const text = fs.readFileSync(path.join(REPO, 'web', name), 'utf8');
  return (await import(`data:text/javascript,${encodeURIComponent(text)}`)).default;
}

const TIMEOUT = { timeout: 180000 };
const HELD_OR_REJECTED = '[data-testid=countdown], [data-testid=flash]';

/** Waits until check() is true, polling; fails with what() after ms. */
async function until(check, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await sleep(100);
  }
}

/**
 * Puts `ahead` requests for fillerSeat in line (the worker is paused), then the buyer's own
 * request for mySeat through the page; resolves the place the waiting room shows.
 */
async function joinLine(stack, buyer, ahead, fillerSeat, mySeat) {
  await stack.queue(ahead, fillerSeat.id);
  await buyer.seatButton(mySeat.id).click();
  await buyer.page.getByTestId('reserve').click();
  await buyer.page.getByRole('heading', { name: 'Waiting room', level: 1 }).waitFor();
  await until(async () => (await buyer.shownPosition()) !== null, 'a place in line');
  const place = await buyer.shownPosition();
  assert.ok(place >= ahead, `${ahead} requests are ahead, the page says ${place}`);
  return place;
}

test('the Korean and English tables have the same keys', async () => {
  const [en, ko] = await Promise.all([table('lang-en.js'), table('lang-ko.js')]);
  const bare = (key) => key.replace(/#\w+$/, '#');
  assert.deepEqual([...new Set(Object.keys(ko).map(bare))].sort(), [...new Set(Object.keys(en).map(bare))].sort());
});

/** A browser and a stack for the tests of a describe block: started before them, stopped after. */
function withStack(name, options = {}) {
  const made = {};
  before(async () => {
    made.browser = await launch();
    made.stack = await Stack.start(name, { logDir: ARTIFACTS, ...options });
  });
  after(async () => {
    await made.browser?.close();
    await made.stack?.stop();
  });
  return made;
}

describe('on a stack with 5-minute holds', () => {
  const on = withStack('main');

  test('a full purchase from the concert list to a PAID reservation', TIMEOUT, async () => {
    const { browser, stack } = on;
    const buyer = await Buyer.open(browser, stack, 'purchase', 'buyer');
    const { page } = buyer;
    const email = `new-${Date.now()}@example.com`;

    // sign up, log out, log in again
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill('Kim Minji');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not-a-real-password');
    await buyer.shot('signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#nav .who').filter({ hasText: email }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    await page.getByLabel('Password').fill('not-a-real-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#nav .who').filter({ hasText: email }).waitFor();

    // concert list → concert → its performance
    await page.getByRole('heading', { name: 'Concerts', level: 1 }).waitFor();
    await buyer.shot('concert-list');
    await page.getByRole('link', { name: stack.concert.title }).click();
    await page.getByRole('heading', { name: stack.concert.title, level: 1 }).waitFor();
    await buyer.shot('concert');
    await page.getByRole('link', { name: /^Choose seats for / }).click();
    await page.locator('.seat').first().waitFor();

    // the seat map with the keyboard: row 1 seat 1 has focus first; → → ↓ is row 2, seat 3
    const wanted = await stack.seat(2, 3);
    await page.locator('.seat[tabindex="0"]').focus();
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
    await page.keyboard.press('Space');
    const chosen = page.getByRole('button', { name: /^Row 2, seat 3, VIP, ₩165,000/ });
    assert.equal(await chosen.getAttribute('aria-pressed'), 'true');
    assert.equal(await chosen.getAttribute('data-seat-id'), String(wanted.id));
    await page.getByTestId('picked').filter({ hasText: 'Total ₩165,000' }).waitFor();
    await buyer.shot('seat-chosen');

    // in line, then held
    await page.getByRole('button', { name: 'Reserve 1 seat' }).click();
    await page.getByTestId('countdown').waitFor();
    assert.match(await page.getByTestId('countdown').textContent(), /^[45]:\d\d$/);
    await page.getByRole('alert').filter({ hasText: 'The seats are yours for now' }).waitFor();
    await buyer.shot('held');

    // pay at the PortOne imitation's checkout
    await page.getByRole('button', { name: 'Pay ₩165,000' }).click();
    const checkout = page.getByRole('dialog', { name: 'Test checkout' });
    await checkout.waitFor();
    await buyer.shot('checkout');
    await checkout.getByRole('button', { name: 'Pay ₩165,000' }).click();
    await page.getByTestId('paid').waitFor();
    await buyer.shot('paid');
    assert.equal((await stack.seat(2, 3)).status, 'SOLD');

    // my reservations, in both languages
    await page.locator('#nav').getByRole('link', { name: 'My reservations' }).click();
    const mine = page.locator('[data-testid^=reservation-]');
    await mine.first().waitFor();
    assert.equal(await mine.count(), 1);
    assert.equal(await mine.getByTestId('status').getAttribute('data-status'), 'PAID');
    await buyer.shot('my-reservations');
    await page.getByLabel('Language').selectOption('ko');
    await page.getByRole('heading', { name: '내 예매', level: 1 }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
    assert.equal(await mine.getByTestId('status').textContent(), '결제 완료');
    await buyer.shot('my-reservations-ko');
    const token = await buyer.apiToken();
    const [reservation] = (await stack.expect(200, 'GET', '/api/v1/reservations/my', { token })).items;
    assert.equal(reservation.status, 'PAID');
    assert.deepEqual(reservation.seats.map((s) => s.id), [wanted.id]);
    await buyer.close();
  });

  test('the best two seats of a grade, held and then cancelled, on a phone in Korean', TIMEOUT, async () => {
    const { browser, stack } = on;
    const buyer = await Buyer.atSeatMap(browser, stack, 'best-seats-and-cancel', 'phone', PHONE);
    const { page } = buyer;
    await buyer.shot('seat-map');
    await page.getByLabel('매수', { exact: true }).selectOption('2');
    await page.getByLabel('등급', { exact: true }).selectOption('R');
    await page.getByRole('button', { name: '가장 좋은 좌석 찾기' }).click();
    await page.getByTestId('countdown').waitFor();
    await buyer.shot('held');
    const rows = page.locator('.seats-table tbody tr');
    assert.equal(await rows.count(), 2);
    const seats = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.deepEqual(seats.map((s) => s[2]), ['R', 'R']);
    assert.equal(seats[0][0], seats[1][0], 'side by side in one row');
    assert.equal(Math.abs(Number(seats[0][1]) - Number(seats[1][1])), 1);

    await page.getByRole('button', { name: '선점 취소' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '네, 반납합니다' }).click();
    await page.getByRole('heading', { name: '내 예매', level: 1 }).waitFor();
    await page.getByRole('alert').filter({ hasText: '예매가 취소되었습니다' }).waitFor();
    assert.equal(await page.getByTestId('status').first().getAttribute('data-status'), 'CANCELLED');
    await buyer.shot('cancelled');
    const row = Number(seats[0][0]);
    for (const s of seats) assert.equal((await stack.seat(row, Number(s[1]))).status, 'AVAILABLE');
    await buyer.close();
  });

  test('two browsers race for one seat: one holds it, the other is told and sees the map refreshed', TIMEOUT, async () => {
    const { browser, stack } = on;
    const [a, b] = await Promise.all([Buyer.atSeatMap(browser, stack, 'race', 'a-desktop', DESKTOP),
      Buyer.atSeatMap(browser, stack, 'race', 'b-phone', PHONE)]);
    const seat = await stack.seat(1, 5);
    await a.seatButton(seat.id).click();
    await b.seatButton(seat.id).click();
    await a.shot('chosen');
    await b.shot('chosen');
    await Promise.all([a.page.getByTestId('reserve').click(), b.page.getByTestId('reserve').click()]);
    await Promise.all([a, b].map((buyer) => buyer.page.locator(HELD_OR_REJECTED).first().waitFor()));
    const held = [];
    for (const buyer of [a, b]) {
      if (await buyer.page.getByTestId('countdown').count()) held.push(buyer);
    }
    assert.equal(held.length, 1, 'exactly one browser holds the seat');
    const [winner, loser] = held[0] === a ? [a, b] : [b, a];
    await winner.shot('won');
    const told = loser.page.getByTestId('flash');
    assert.equal(await told.getAttribute('data-code'), 'SEAT_TAKEN');
    assert.equal(await told.getAttribute('role'), 'alert');
    assert.equal(await loser.seatButton(seat.id).getAttribute('aria-disabled'), 'true', 'the refreshed map shows it taken');
    assert.equal(await loser.seatButton(seat.id).getAttribute('aria-pressed'), 'false');
    await loser.shot('told-seat-taken');
    assert.equal((await stack.seat(1, 5)).status, 'HELD');
    await a.close();
    await b.close();
  });

  test('a reload in the waiting room keeps the place', TIMEOUT, async () => {
    const { browser, stack } = on;
    const buyer = await Buyer.atSeatMap(browser, stack, 'waiting-room-reload', 'reloader');
    const { page } = buyer;
    stack.worker.pause();
    try {
      const place = await joinLine(stack, buyer, 20, await stack.seat(6, 10), await stack.seat(6, 1));
      assert.match(await page.getByTestId('ahead').textContent(), new RegExp(`^${place} requests ahead of you$`));
      const token = await buyer.pendingToken();
      assert.ok(token);
      await buyer.shot('in-line');

      await page.reload();
      await page.getByRole('heading', { name: 'Waiting room', level: 1 }).waitFor();
      await until(async () => (await buyer.shownPosition()) !== null, 'a place in line after the reload');
      assert.equal(await buyer.shownPosition(), place, 'the same place: nobody was decided meanwhile');
      assert.equal(await buyer.pendingToken(), token, 'the same request');
      assert.equal(await page.getByTestId('queue-live').getAttribute('aria-live'), 'polite');
      await buyer.shot('after-reload');
    } finally {
      stack.worker.resume();
    }
    await page.getByTestId('countdown').waitFor({ timeout: 30000 });
    assert.equal(await buyer.pendingToken(), null, 'a decided request leaves the waiting room');
    await buyer.shot('held');
    await buyer.close();
  });

  test('the place in line counts down while the worker works through the line', TIMEOUT, async () => {
    const { browser, stack } = on;
    const buyer = await Buyer.atSeatMap(browser, stack, 'waiting-room-countdown', 'patient');
    const { page } = buyer;
    const seen = [];
    stack.worker.pause();
    try {
      seen.push(await joinLine(stack, buyer, 400, await stack.seat(6, 9), await stack.seat(6, 2)));
      await buyer.shot(`position-${seen[0]}`);
      // Let the worker run for a moment at a time; once the server says the line moved,
      // wait until the page has polled and shows a place nearer the front. (The ingress
      // may learn of progress the worker published just before its pause a moment later,
      // so the page can show a place a little nearer still than the server said.)
      const token = await buyer.pendingToken();
      const auth = await buyer.apiToken();
      while (seen.length < 5) {
        stack.worker.resume();
        await sleep(10);
        stack.worker.pause();
        const status = await stack.expect(200, 'GET', `/api/v1/reservations/requests/${token}`, { token: auth });
        const last = seen[seen.length - 1];
        if (status.status !== 'WAITING') break;
        if (status.position >= last) continue;
        let shown = null;
        let decided = false;
        await until(async () => {
          shown = await buyer.shownPosition();
          // The worker's last moment may have decided this request too: its outcome can
          // reach the ingress after the answer above, and the page then shows the hold.
          decided = shown === null && (await page.getByTestId('countdown').count()) > 0;
          return decided || (shown !== null && shown < last);
        }, `the page showing a place nearer than ${last} (the server says ${status.position})`, 15000);
        if (decided) break;
        assert.ok(shown <= status.position, `the page shows ${shown}, the server said ${status.position}`);
        seen.push(shown);
        await buyer.shot(`position-${shown}`);
      }
    } finally {
      stack.worker.resume();
    }
    await page.getByTestId('countdown').waitFor({ timeout: 30000 });
    await buyer.shot('held');
    assert.ok(seen.length >= 3, `the page showed several places on the way: ${seen}`);
    assert.deepEqual([...seen].sort((x, y) => y - x), seen, `places only go down: ${seen}`);
    assert.equal(new Set(seen).size, seen.length, `each step moved: ${seen}`);
    await buyer.close();
  });
});

describe('on a stack with 8-second holds', () => {
  const on = withStack('short-holds', { holdSeconds: 8 });

  test('a hold expires on screen and its seat returns to sale', TIMEOUT, async () => {
    const { browser, stack } = on;
    const buyer = await Buyer.atSeatMap(browser, stack, 'hold-expires', 'slow-payer');
    const { page } = buyer;
    const seat = await stack.seat(3, 4);
    await buyer.seatButton(seat.id).click();
    await page.getByTestId('reserve').click();
    const countdown = page.getByTestId('countdown');
    await countdown.waitFor();
    assert.match(await countdown.textContent(), /^0:0[1-8]$/);
    assert.equal(await countdown.getAttribute('role'), 'timer');
    await buyer.shot('held');
    await page.getByTestId('expired').waitFor({ timeout: 15000 });
    assert.equal(await page.getByRole('button', { name: /^Pay / }).count(), 0, 'nothing left to pay');
    await buyer.shot('expired');

    await page.getByRole('link', { name: 'Back to the seat map' }).click();
    await until(async () => (await buyer.seatButton(seat.id).getAttribute('aria-disabled')) === 'false',
      'the seat on sale again on the map (refreshed every 3 s)', 20000);
    await buyer.shot('seat-on-sale-again');
    assert.equal((await stack.seat(3, 4)).status, 'AVAILABLE');
    await page.locator('#nav').getByRole('link', { name: 'My reservations' }).click();
    await page.getByTestId('status').first().waitFor();
    assert.equal(await page.getByTestId('status').first().getAttribute('data-status'), 'EXPIRED');
    await buyer.shot('my-reservations');
    await buyer.close();
  });
});

describe("on a stack that pays with PortOne's browser SDK", () => {
  const MERCHANT_CODE = 'imp12345678';
  const on = withStack('portone-sdk', { merchantCode: MERCHANT_CODE, pg: 'html5_inicis' });

  /**
   * A new buyer (PortOne stood in for as routePortOne(options) says) holds seat `number` of
   * row 1 and presses Pay; resolves {buyer, page, id} with the reservation's id.
   */
  async function holdAndPay(test, who, number, options) {
    const buyer = await Buyer.atSeatMap(on.browser, on.stack, test, who);
    await buyer.routePortOne(options);
    const { page } = buyer;
    const seat = await on.stack.seat(1, number);
    await buyer.seatButton(seat.id).click();
    await page.getByTestId('reserve').click();
    await page.getByTestId('countdown').waitFor();
    await buyer.shot('held');
    await page.getByTestId('pay').click();
    return { buyer, page, id: Number(new URL(page.url()).hash.split('/').pop()) };
  }

  async function reservationStatus(buyer, id) {
    const { items } = await buyer.stack.expect(200, 'GET', '/api/v1/reservations/my', { token: buyer.account.token });
    return items.find((r) => r.id === id)?.status;
  }

  /** The imitation's payments for the reservation's order. */
  async function paymentsAtPortOne(stack, merchantUid) {
    const all = await (await fetch(`${stack.portone.url}/__control/payments`)).json();
    return all.payments.filter((p) => p.merchant_uid === merchantUid);
  }

  test('the page says portone and its policy lets PortOne in, and only PortOne', TIMEOUT, async () => {
    const { stack } = on;
    const config = await (await fetch(`${stack.base}/web/config.json`)).json();
    assert.deepEqual(config.payments, { provider: 'portone', checkoutUrl: null, merchantCode: MERCHANT_CODE, pg: 'html5_inicis' });
    const policy = (await fetch(`${stack.base}/`)).headers.get('content-security-policy');
    assert.match(policy, /script-src 'self' https:\/\/cdn\.iamport\.kr;/);
    assert.doesNotMatch(policy, new RegExp(stack.portone.url.replace(/[.:/]/g, '\\$&')), 'the page never talks to the server\'s PortOne');
  });

  test("a purchase paid with PortOne's SDK and verified by the server: PAID", TIMEOUT, async () => {
    const { stack } = on;
    const { buyer, page, id } = await holdAndPay('portone-sdk-purchase', 'sdk-buyer', 1);
    const sdkWindow = page.getByRole('dialog', { name: 'PortOne test double' });
    await sdkWindow.waitFor();
    await buyer.shot('portone-window');
    await sdkWindow.getByRole('button', { name: 'Pay' }).click();
    await page.getByTestId('paid').waitFor();
    await buyer.shot('paid');

    const { inits, requests } = await buyer.portoneCalls();
    assert.deepEqual(inits, [MERCHANT_CODE]);
    assert.equal(requests.length, 1);
    const [asked] = requests;
    assert.equal(asked.pg, 'html5_inicis');
    assert.equal(asked.pay_method, 'card');
    assert.equal(asked.amount, 165000);
    assert.equal(asked.buyer_email, buyer.account.email);
    assert.match(asked.name, /\S/);
    assert.equal(await reservationStatus(buyer, id), 'PAID');
    assert.equal((await stack.seat(1, 1)).status, 'SOLD');
    const [payment] = await paymentsAtPortOne(stack, asked.merchant_uid);
    assert.equal(payment.status, 'paid');
    assert.equal(payment.amount, 165000);
    await buyer.close();
  });

  test("closing PortOne's window leaves the hold unpaid and says so", TIMEOUT, async () => {
    const { stack } = on;
    const { buyer, page, id } = await holdAndPay('portone-sdk-closed', 'sdk-quitter', 2);
    const sdkWindow = page.getByRole('dialog', { name: 'PortOne test double' });
    await sdkWindow.getByRole('button', { name: 'Close the window' }).click();
    const said = page.getByTestId('pay-error');
    await said.filter({ hasText: 'The payment was not made' }).waitFor();
    assert.match(await said.textContent(), /the buyer closed the payment window/, "the PG's message is shown");
    assert.equal(await said.getAttribute('role'), 'alert');
    await buyer.shot('closed');
    assert.ok(await page.getByTestId('pay').isEnabled(), 'the hold can still be paid');
    await page.getByTestId('countdown').waitFor();
    assert.equal(await reservationStatus(buyer, id), 'HELD');
    assert.equal((await stack.seat(1, 2)).status, 'HELD');
    const [asked] = (await buyer.portoneCalls()).requests;
    assert.deepEqual((await paymentsAtPortOne(stack, asked.merchant_uid)).map((p) => p.status), ['failed']);
    await buyer.close();
  });

  test("PortOne's SDK that does not load: a clear error, and paying works once it loads", TIMEOUT, async () => {
    const { buyer, page, id } = await holdAndPay('portone-sdk-unreachable', 'sdk-offline', 3, { sdkReachable: false });
    await page.getByTestId('pay-error').filter({ hasText: "PortOne's payment window could not be loaded" }).waitFor();
    await buyer.shot('sdk-not-loaded');
    assert.equal(await reservationStatus(buyer, id), 'HELD');
    assert.ok(await page.getByTestId('pay').isEnabled(), 'the buyer may try again');

    await buyer.routePortOne();
    await page.getByTestId('pay').click();
    await page.getByRole('dialog', { name: 'PortOne test double' }).getByRole('button', { name: 'Pay' }).click();
    await page.getByTestId('paid').waitFor();
    assert.equal(await page.getByTestId('pay-error').count(), 0, 'the error went with the hold box');
    await buyer.shot('paid');
    assert.equal(await reservationStatus(buyer, id), 'PAID');
    await buyer.close();
  });
});
