// What the end-to-end tests run against: a throwaway redis-server, a throwaway PostgreSQL (initdb +
// postgres, as the `postgres` user when run as root), a MariaDB when a test asks (startMariaDb) and
// the real switchboard binary, each on a free port below 32768 in a temporary directory, and
// Debian's Chromium driven by playwright-core.
// Nothing on the machine's standard ports is touched.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '../..')

/** Where every E2E file saves its screenshots. */
export const outputDir = path.join(repoRoot, 'web', 'e2e', 'output')

export const ADMIN_EMAIL = 'admin@example.com'
export const ADMIN_PASSWORD = 'e2e-admin-password'

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

let nextPort = 30000 + (process.pid % 50) * 50

/** A port no one listens on, in 30000-32699 (below the kernel's ephemeral range). */
export async function freePort() {
  for (let tries = 0; tries < 2700; tries++) {
    const port = nextPort
    nextPort = nextPort >= 32699 ? 30000 : nextPort + 1
    if (await portIsFree(port)) return port
  }
  throw new Error('no free port in 30000-32699')
}

async function waitFor(what, timeoutMs, ready) {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await ready().catch((e) => (e.fatal ? Promise.reject(e) : false))) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`)
}

/** Runs `ready` unless the process died, which ends the wait at once. */
async function checked(proc, what, ready) {
  try {
    alive(proc, what)
  } catch (e) {
    e.fatal = true
    throw e
  }
  return ready()
}

function redisPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setTimeout(1000)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (d) => {
      resolve(d.toString().startsWith('+PONG'))
      socket.destroy()
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      resolve(false)
      socket.destroy()
    })
  })
}

function start(command, args, options) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  const log = []
  const keep = (chunk) => {
    log.push(chunk.toString())
    if (log.length > 200) log.shift()
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const proc = { child, log, error: null }
  child.on('error', (e) => {
    proc.error = e
  })
  return proc
}

/** Throws when the process could not start or has already exited. */
function alive(proc, what) {
  if (proc.error) throw new Error(`${what} could not start: ${proc.error.message}`)
  if (proc.child.exitCode !== null) throw new Error(`${what} exited with code ${proc.child.exitCode}`)
}

async function stop(proc, signal = 'SIGTERM') {
  if (!proc || proc.error || proc.child.exitCode !== null) return
  const exited = new Promise((r) => proc.child.once('exit', r))
  proc.child.kill(signal)
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** The newest PostgreSQL server binaries (or `SWITCHBOARD_PG_BIN`), as the Rust tests find them. */
function pgBin() {
  if (process.env.SWITCHBOARD_PG_BIN) return process.env.SWITCHBOARD_PG_BIN
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .map((v) => path.join(root, v, 'bin'))
        .filter((b) => existsSync(path.join(b, 'initdb')))
        .sort()
    : []
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found: run scripts/install-deps.sh')
  return versions[versions.length - 1]
}

/** uid and gid to run PostgreSQL as: the `postgres` user when we are root (it refuses root). */
function pgIds() {
  if (process.getuid?.() !== 0) return {}
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  const gid = id('-g')
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('user postgres must exist to run PostgreSQL as root')
  return { uid, gid }
}

/** initdb (trust authentication, user and database `postgres`) in `dir`, then the server on `port`. */
function startPostgres(dir, port) {
  const bin = pgBin()
  const ids = pgIds()
  chmodSync(dir, 0o711)
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid)
  const env = { ...process.env }
  for (const name of ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE']) delete env[name]
  const data = path.join(dir, 'data')
  const init = spawnSync(
    path.join(bin, 'initdb'),
    ['-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '-D', data],
    { cwd: dir, env, encoding: 'utf8', ...ids },
  )
  if (init.status !== 0) throw new Error(`initdb failed: ${init.error?.message ?? ''}${init.stderr ?? ''}`)
  const proc = start(
    path.join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-F', '-k', dir, '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    { cwd: dir, env, ...ids },
  )
  const ready = () =>
    spawnSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres'], {
      env,
    }).status === 0
  return { proc, ready }
}

/** Runs SQL in the throwaway PostgreSQL with psql (as the `postgres` user over TCP, trust auth). */
export function psql(port, sql) {
  const out = spawnSync(
    path.join(pgBin(), 'psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql],
    { encoding: 'utf8' },
  )
  if (out.status !== 0) throw new Error(`psql failed: ${out.error?.message ?? ''}${out.stderr}`)
  return out.stdout
}

/** The MongoDB-wire test server `nx-27017` (or `SWITCHBOARD_NX27017`), where the Rust tests find it. */
function nxBinary() {
  if (process.env.SWITCHBOARD_NX27017) return process.env.SWITCHBOARD_NX27017
  const venv = process.env.SWITCHBOARD_TEST_VENV ?? path.join(os.homedir(), '.cache', 'switchboard', 'venv')
  return path.join(venv, 'bin', 'nx-27017')
}

/** nx-27017 on `port` with its data, pid file and log in `dir` (without its own pid file a second one refuses to start). */
function startMongo(dir, port) {
  const args = ['--data-dir', path.join(dir, 'data'), '--pid-file', path.join(dir, 'nx.pid'), '--log-file', path.join(dir, 'nx.log')]
  return start(nxBinary(), [...args, '-p', String(port)], { cwd: dir })
}

function tcpOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** The TCP login every {@link startMariaDb} creates, with all privileges, and its password. */
export const MARIADB_USER = 'switchboard'
export const MARIADB_PASSWORD = 'sb-e2e-mariadb-password'
/** The database every {@link startMariaDb} creates. */
export const MARIADB_DATABASE = 'app'

/** The `mariadb` client's arguments as {@link MARIADB_USER} over TCP (the password in MYSQL_PWD). */
function mariadbClient(port, args) {
  const env = { ...process.env, MYSQL_PWD: MARIADB_PASSWORD }
  for (const name of ['MYSQL_HOST', 'MYSQL_TCP_PORT', 'MYSQL_UNIX_PORT']) delete env[name]
  return spawnSync(
    'mariadb',
    ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '-P', String(port), '-u', MARIADB_USER, '-N', '-B', ...args],
    { encoding: 'utf8', env },
  )
}

/**
 * A throwaway MariaDB (Debian's mariadb-server), as the Rust tests start one: `mariadb-install-db`
 * into a temporary directory (its own --tmpdir: two installs at once in /tmp collide), then
 * `mariadbd` on a free port with the login {@link MARIADB_USER} and the database
 * {@link MARIADB_DATABASE}. `stop()` ends it and removes the directory; so does the test process's exit.
 */
export async function startMariaDb() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-maria-'))
  chmodSync(dir, 0o711)
  const tmp = path.join(dir, 'tmp')
  mkdirSync(tmp)
  const asRoot = process.getuid?.() === 0
  const user = asRoot ? ['--user=root'] : []
  // --no-defaults comes first: it keeps the system's my.cnf (port 3306, its datadir) out.
  const install = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${path.join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', `--tmpdir=${tmp}`, ...user],
    { cwd: dir, encoding: 'utf8' },
  )
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`mariadb-install-db failed (run scripts/install-deps.sh): ${install.error?.message ?? ''}${install.stdout ?? ''}${install.stderr ?? ''}`)
  }
  writeFileSync(
    path.join(dir, 'init.sql'),
    `CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}\`;
CREATE USER IF NOT EXISTS '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '${MARIADB_USER}'@'%' WITH GRANT OPTION;
`,
  )
  const port = await freePort()
  const at = (name) => path.join(dir, name)
  const proc = start(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${at('data')}`,
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      `--socket=${at('mysqld.sock')}`,
      `--pid-file=${at('mysqld.pid')}`,
      `--log-error=${at('mysqld.log')}`,
      `--init-file=${at('init.sql')}`,
      `--tmpdir=${tmp}`,
      '--skip-name-resolve',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-buffer-pool-size=32M',
      ...user,
    ],
    { cwd: dir },
  )
  // A crashed test file still ends its server: kill() is synchronous, so it runs at exit.
  const atExit = () => {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', atExit)
  const maria = {
    port,
    /** Runs SQL in database `db` with the `mariadb` client; its tab-separated output without names. */
    sql(db, query) {
      const out = mariadbClient(port, ['-e', query, db])
      if (out.status !== 0) throw new Error(`mariadb failed: ${out.error?.message ?? ''}${out.stderr}`)
      return out.stdout.trim()
    },
    async stop() {
      process.removeListener('exit', atExit)
      await stop(proc)
      rmSync(dir, { recursive: true, force: true })
    },
    log: () => proc.log.join('') + (existsSync(at('mysqld.log')) ? readFileSync(at('mysqld.log'), 'utf8') : ''),
  }
  try {
    // Ready when our login works: the init file has run by then.
    await waitFor('mariadbd', 60000, () => checked(proc, 'mariadbd', async () => (await tcpOpen(port)) && mariadbClient(port, ['-e', 'SELECT 1']).status === 0))
  } catch (e) {
    console.error(maria.log())
    await maria.stop()
    throw e
  }
  return maria
}

/**
 * Starts redis-server, PostgreSQL and switchboard; `stop()` ends them and removes their directories.
 * `{ mongo: true }` also starts the MongoDB-wire test server (port in `stack.mongoPort`); it is
 * opt-in because only the MongoDB tests need it. `{ env: {...} }` sets more of the server's variables.
 */
export async function startStack(options = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-'))
  const pgDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-pg-'))
  const redisPort = await freePort()
  const redis = start(
    process.env.REDIS_SERVER ?? '/usr/bin/redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {},
  )
  const pgPort = await freePort()
  let postgres = null
  let pgReady = () => false
  try {
    ;({ proc: postgres, ready: pgReady } = startPostgres(pgDir, pgPort))
  } catch (e) {
    await stop(redis)
    rmSync(dir, { recursive: true, force: true })
    rmSync(pgDir, { recursive: true, force: true })
    throw e
  }
  const mongoDir = options.mongo ? mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-mongo-')) : null
  const mongoPort = options.mongo ? await freePort() : null
  const mongo = options.mongo ? startMongo(mongoDir, mongoPort) : null
  const binary =
    process.env.SWITCHBOARD_BIN ??
    path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache', 'switchboard', 'target'), 'debug', 'switchboard')
  const appPort = await freePort()
  const env = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('SWITCHBOARD_')) delete env[name]
  Object.assign(env, {
    SWITCHBOARD_LISTEN: `127.0.0.1:${appPort}`,
    SWITCHBOARD_DATA_DIR: path.join(dir, 'data'),
    SWITCHBOARD_ADMIN_EMAIL: ADMIN_EMAIL,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SWITCHBOARD_RATE_LIMIT_PER_SECOND: '10000',
    SWITCHBOARD_RATE_LIMIT_BURST: '10000',
    RUST_LOG: 'warn',
    ...options.env,
  })
  const app = start(binary, ['serve'], { env })
  const baseURL = `http://127.0.0.1:${appPort}`
  const stack = {
    baseURL,
    redisPort,
    pgPort,
    mongoPort,
    async stop() {
      await stop(app)
      await stop(redis)
      // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
      await stop(postgres, 'SIGINT')
      rmSync(dir, { recursive: true, force: true })
      rmSync(pgDir, { recursive: true, force: true })
      await stop(mongo)
      if (mongoDir) rmSync(mongoDir, { recursive: true, force: true })
    },
    logs: () =>
      `--- switchboard ---\n${app.log.join('')}\n--- redis-server ---\n${redis.log.join('')}\n--- postgres ---\n${postgres.log.join('')}` +
      (mongo ? `\n--- nx-27017 ---\n${mongo.log.join('')}` : ''),
  }
  try {
    await waitFor('redis-server', 10000, () => checked(redis, 'redis-server', () => redisPing(redisPort)))
    await waitFor('postgres', 30000, () => checked(postgres, 'postgres', async () => pgReady()))
    if (mongo) await waitFor('nx-27017', 20000, () => checked(mongo, `nx-27017 (${nxBinary()})`, () => tcpOpen(mongoPort)))
    await waitFor('switchboard', 30000, () =>
      checked(app, `switchboard (${binary})`, async () => (await fetch(`${baseURL}/readyz`)).ok),
    )
  } catch (e) {
    console.error(stack.logs())
    await stack.stop()
    throw e
  }
  return stack
}

/** A client of the API for setting up what the browser then looks at. */
export async function apiAs(baseURL, email, password) {
  const res = await fetch(`${baseURL}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (!res.ok) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`)
  const { access_token: token } = await res.json()
  return async function call(method, path, body) {
    const r = await fetch(`${baseURL}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
}

/** Debian's Chromium, headless, with a fresh profile (playwright-core makes a new one per launch). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Waits until exactly one element matches and is visible (Playwright's locators are strict). */
export function expectVisible(locator, timeout = 15000) {
  return locator.waitFor({ state: 'visible', timeout })
}

/** Waits until nothing matching is visible. */
export function expectHidden(locator, timeout = 15000) {
  return locator.waitFor({ state: 'hidden', timeout })
}

/** Signs in to the console over HTTP and answers the session cookie's value and the session. */
export async function consoleSession(baseURL, email, password) {
  const res = await fetch(`${baseURL}/api/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (!res.ok) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`)
  const cookie = /sb_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')
  if (!cookie) throw new Error('the sign-in answer set no session cookie')
  return { cookie: cookie[1], session: (await res.json()).data }
}

/**
 * A fresh browser context (empty cache) that is already signed in as `email`: the session cookie
 * is put in the context before any page opens, so a page opened in it loads as a signed-in reload
 * would, without going through the sign-in form.
 */
export async function signedInContext(browser, baseURL, email, password, options = {}) {
  const { cookie } = await consoleSession(baseURL, email, password)
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 720 }, ...options })
  await context.addCookies([
    { name: 'sb_session', value: cookie, url: baseURL, httpOnly: true, sameSite: 'Strict' },
  ])
  return context
}

/** Fills in and submits the sign-in form on the page `p` shows. */
export async function signIn(p, email, password) {
  await p.fill('input[name="email"]', email)
  await p.fill('input[name="password"]', password)
  await p.click('button:has-text("Sign in")')
}

/**
 * `it` for one E2E file: when a test fails, the page `currentPage()` returns is saved as
 * `FAILED-<prefix><test name>.png` in {@link outputDir} before the failure is reported.
 */
export function itWithFailureShot(it, currentPage, prefix = '') {
  return (name, body) =>
    it(name, async () => {
      try {
        await body()
      } catch (e) {
        const file = path.join(outputDir, `FAILED-${prefix}${name.replaceAll(/\W+/g, '-')}.png`)
        await currentPage()?.screenshot({ path: file }).catch(() => {})
        throw e
      }
    })
}
