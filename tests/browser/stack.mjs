// What the browser tests run against: the PortOne imitation, an ingress (serving the page
// from the repository's web/), a worker and an expirer, on a PostgreSQL database and Kafka
// topics of their own, made for the stack and removed afterwards. Like the payment tests'
// Stack (tests/integration/payment_helpers.py), in JavaScript so that the tests are one
// Node program. Needs the environment of deploy/local/test.sh and the CTest entry:
// FT_TEST_DATABASE_URL, FT_KAFKA_BROKERS, FT_INGRESS_BIN, FT_WORKER_BIN, FT_EXPIRER_BIN,
// FT_ADMIN_BIN, FT_REPO_ROOT.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO = process.env.FT_REPO_ROOT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SANITIZER_MARKS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
  'WARNING: ThreadSanitizer', 'ERROR: UndefinedBehaviorSanitizer'];
const JWT_SECRET = randomBytes(32).toString('hex');
const IMP_KEY = '0012345678901234'; // PortOne's keys are digit strings; leading zeros must survive
const IMP_SECRET = `0secret-${randomBytes(8).toString('hex')}`;

export function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through ctest or tests/browser/run.sh`);
  return value;
}

function run(file, args, env = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 120000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One of the stack's processes, logging to a file of its own. */
class Service {
  constructor(name, file, args, env, logDir) {
    this.name = name;
    this.logPath = path.join(logDir, `${name}.log`);
    const log = fs.openSync(this.logPath, 'w');
    this.proc = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  text() {
    return fs.readFileSync(this.logPath, 'utf8');
  }

  tail(lines = 40) {
    return this.text().split('\n').slice(-lines).join('\n');
  }

  /** SIGSTOP: the process keeps its place (its Kafka group, its connections) and does nothing. */
  pause() {
    this.proc.kill('SIGSTOP');
  }

  resume() {
    this.proc.kill('SIGCONT');
  }

  /** SIGTERM; must exit 0 with no sanitizer report in its log. */
  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.resume();
      this.proc.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    const found = SANITIZER_MARKS.filter((mark) => this.text().includes(mark));
    if (code !== 0 || found.length) {
      throw new Error(`${this.name} ended with ${code ?? signal}${found.length ? `, sanitizer: ${found}` : ''}:\n${this.tail()}`);
    }
  }
}

/** The PortOne imitation on a free port (it prints "listening <url>" first). */
async function startPortOne(logDir) {
  const imitation = path.join(REPO, 'tests', 'portone', 'portone_imitation.py');
  const proc = spawn('/usr/bin/python3', [imitation, '--port', '0', '--imp-key', IMP_KEY, '--imp-secret', IMP_SECRET],
    { stdio: ['ignore', 'pipe', fs.openSync(path.join(logDir, 'portone.log'), 'w')] });
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    proc.stdout.on('data', (chunk) => {
      seen += chunk;
      const line = seen.split('\n')[0];
      if (seen.includes('\n')) {
        if (line.startsWith('listening ')) resolve(line.slice('listening '.length).trim());
        else reject(new Error(`PortOne imitation said ${line}`));
      }
    });
    proc.on('exit', (code) => reject(new Error(`PortOne imitation exited with ${code}`)));
  });
  proc.stdout.resume();
  return { url, proc };
}

const LAYOUT = [
  { seats: 8, grade: 'VIP', price: 165000 }, { seats: 8, grade: 'VIP', price: 165000 },
  { seats: 10, grade: 'R', price: 132000 }, { seats: 10, grade: 'R', price: 132000 },
  { seats: 10, grade: 'S', price: 99000 }, { seats: 10, grade: 'A', price: 77000 },
];

export class Stack {
  /**
   * Starts a stack named `name` (logs under logDir/name). holdSeconds: FT_HOLD_SECONDS.
   * The worker decides in batches of at most 10 commands, so that a paused and resumed
   * worker moves the line in visible steps. The server verifies payments with the PortOne
   * imitation; the page pays at the imitation's checkout, or with PortOne's browser SDK
   * when merchantCode (FT_PORTONE_MERCHANT_CODE, and pg: FT_PORTONE_PG) is given — then
   * the tests must stand in for PortOne's SDK (Buyer.routePortOne in browser.mjs).
   */
  static async start(name, { holdSeconds = 300, logDir, merchantCode = '', pg = '' }) {
    const stack = new Stack();
    stack.name = name;
    stack.logDir = path.join(logDir, name);
    fs.rmSync(stack.logDir, { recursive: true, force: true });
    fs.mkdirSync(stack.logDir, { recursive: true });
    stack.services = [];
    const suffix = randomBytes(4).toString('hex');
    try {
      await stack.makeDatabase(`ft_browser_${suffix}`);
      stack.topics = { commands: `ft.browser.commands.${suffix}`, outcomes: `ft.browser.outcomes.${suffix}` };
      stack.portone = await startPortOne(stack.logDir);
      stack.port = await freePort();
      stack.base = `http://127.0.0.1:${stack.port}`;
      stack.env = {
        FT_DATABASE_URL: stack.database, FT_KAFKA_BROKERS: need('FT_KAFKA_BROKERS'),
        FT_TOPIC_COMMANDS: stack.topics.commands, FT_TOPIC_OUTCOMES: stack.topics.outcomes, FT_TOPIC_PARTITIONS: '2',
        FT_JWT_SECRET: JWT_SECRET, FT_HOLD_SECONDS: String(holdSeconds), FT_LOG_LEVEL: 'info',
        FT_PORTONE_BASE_URL: stack.portone.url, FT_PORTONE_IMP_KEY: IMP_KEY, FT_PORTONE_IMP_SECRET: IMP_SECRET,
        FT_PORTONE_TIMEOUT_MS: '2000', FT_REFUND_RETRY_MAX_SECONDS: '1',
        FT_PORTONE_MERCHANT_CODE: merchantCode, FT_PORTONE_PG: pg,
        FT_HTTP_ADDR: '127.0.0.1', FT_HTTP_PORT: String(stack.port), FT_WEB_ROOT: path.join(REPO, 'web'),
        FT_WORKER_GROUP: `ft.browser.workers.${suffix}`, FT_WORKER_HTTP_PORT: '0', FT_WORKER_BATCH_MAX: '10',
        FT_EXPIRER_HTTP_PORT: '0', FT_EXPIRER_INTERVAL_MS: '200',
      };
      await run(need('FT_ADMIN_BIN'), ['create-topics'], stack.env);
      stack.ingress = stack.service('ingress', need('FT_INGRESS_BIN'));
      stack.worker = stack.service('worker', need('FT_WORKER_BIN'));
      stack.expirer = stack.service('expirer', need('FT_EXPIRER_BIN'));
      await stack.waitHealthy();
      await stack.makeCatalog();
      return stack;
    } catch (error) {
      await stack.stop().catch(() => {});
      throw error;
    }
  }

  service(name, file) {
    const made = new Service(name, file, [], this.env, this.logDir);
    this.services.push(made);
    return made;
  }

  async makeDatabase(name) {
    const base = need('FT_TEST_DATABASE_URL');
    await run('psql', [base, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`]);
    this.databaseName = name;
    this.database = `${base.slice(0, base.lastIndexOf('/'))}/${name}`;
    await run(path.join(REPO, 'deploy', 'local', 'migrate.sh'), [this.database]);
  }

  async waitHealthy() {
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if (this.ingress.proc.exitCode !== null) throw new Error(`ingress exited:\n${this.ingress.tail()}`);
      try {
        if ((await fetch(`${this.base}/healthz`)).ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new Error(`ingress not healthy after 60 s:\n${this.ingress.tail()}`);
  }

  /** Calls the API; resolves {status, body}. */
  async api(method, urlPath, { body, token } = {}) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const resp = await fetch(this.base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await resp.text();
    return { status: resp.status, body: text ? JSON.parse(text) : null };
  }

  async expect(status, method, urlPath, options) {
    const resp = await this.api(method, urlPath, options);
    if (resp.status !== status) throw new Error(`${method} ${urlPath}: ${resp.status} ${JSON.stringify(resp.body)}`);
    return resp.body;
  }

  /** An account made through the API: {email, password, name, token}. */
  async user(name = 'Browser Buyer') {
    const account = { email: `buyer-${randomBytes(5).toString('hex')}@example.com`, password: `pw-${randomBytes(6).toString('hex')}`, name };
    await this.expect(201, 'POST', '/api/v1/users/signup', { body: account });
    const login = { email: account.email, password: account.password };
    account.token = (await this.expect(200, 'POST', '/api/v1/users/login', { body: login })).accessToken;
    return account;
  }

  /** The operator admin (ft-admin), one concert with one performance of LAYOUT. */
  async makeCatalog() {
    const admin = { email: `admin-${randomBytes(4).toString('hex')}@example.com`, password: `admin-pw-${randomBytes(8).toString('hex')}` };
    await run(need('FT_ADMIN_BIN'), ['create-admin', '--email', admin.email, '--name', 'Admin'], { ...this.env, FT_ADMIN_PASSWORD: admin.password });
    const token = (await this.expect(200, 'POST', '/api/v1/users/login', { body: admin })).accessToken;
    const venue = await this.expect(201, 'POST', '/api/v1/venues', { token, body: { name: 'Browser Hall', rows: LAYOUT } });
    this.concert = await this.expect(201, 'POST', '/api/v1/concerts', {
      token, body: { title: `Browser Live ${this.name}`, artist: 'The Queue Jumpers', description: 'A concert for the browser tests.' },
    });
    this.schedule = await this.expect(201, 'POST', `/api/v1/concerts/${this.concert.id}/schedules`, {
      token, body: { venueId: venue.id, startsAt: '2027-03-01T19:00:00+09:00' },
    });
  }

  async seats() {
    return (await this.expect(200, 'GET', `/api/v1/seats/${this.schedule.id}`)).seats;
  }

  /** The seat at row, number of the stack's performance. */
  async seat(row, number) {
    return (await this.seats()).find((s) => s.row === row && s.number === number);
  }

  /** Queues count reservation requests for seatId by a few accounts: a line ahead of whoever comes next. */
  async queue(count, seatId, { concurrency = 16 } = {}) {
    const buyers = await Promise.all([this.user('Queue A'), this.user('Queue B')]);
    let sent = 0;
    const body = { scheduleId: this.schedule.id, seatIds: [seatId] };
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (sent < count) {
        const buyer = buyers[sent++ % buyers.length];
        await this.expect(202, 'POST', '/api/v1/reservations', { token: buyer.token, body });
      }
    }));
  }

  async stop() {
    const failures = [];
    for (const service of [...(this.services || [])].reverse()) {
      await service.stop().catch((error) => failures.push(error));
    }
    if (this.portone) {
      this.portone.proc.kill('SIGTERM');
    }
    if (this.topics) {
      // the client must outlive the futures, or the request may never be sent
      const script = 'import sys\nfrom confluent_kafka.admin import AdminClient\n'
        + 'admin = AdminClient({"bootstrap.servers": sys.argv[1]})\n'
        + 'for f in admin.delete_topics(sys.argv[2:]).values():\n'
        + '    f.result(timeout=30)\n';
      await run('/usr/bin/python3', ['-c', script, need('FT_KAFKA_BROKERS'), this.topics.commands, this.topics.outcomes]).catch((e) => failures.push(e));
    }
    if (this.databaseName) {
      // tests/support/databases.py: the drop waits out an autovacuum worker, which FORCE cannot end
      const script = 'import sys\nsys.path.insert(0, sys.argv[1])\nimport psycopg2\nfrom databases import drop_database\n'
        + 'admin = psycopg2.connect(sys.argv[2])\nadmin.autocommit = True\ndrop_database(admin, sys.argv[3])\n';
      await run('/usr/bin/python3', ['-c', script, path.join(REPO, 'tests', 'support'), need('FT_TEST_DATABASE_URL'),
        this.databaseName]).catch((e) => failures.push(e));
    }
    if (failures.length) throw failures[0];
  }
}
