// End-to-end test of the operations console in headless Chromium against the real binary, a real
// redis-server and a real PostgreSQL: a pg_sleep(60) started outside the console appears on the
// project's Activity page and is cancelled there (checked on the server), a viewer sees no stop
// button, and the Redis keyspace analysis shows its progress bar (and is cancelled from it), then
// its results on seeded keys, with a biggest key opening in the key browser.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  apiAs,
  expectVisible,
  itWithFailureShot,
  launchBrowser,
  outputDir,
  psql,
  signedInContext,
  startStack,
} from './harness.mjs'

let stack
let browser
let page
let admin
const sleepers = []

const test = itWithFailureShot(it, () => page, 'ops-')
const ACTIVITY = '/project/default/activity'
const ANALYSIS = '/project/default/databases/redis/analysis'

/** One value, as PostgreSQL prints it. */
function scalar(query) {
  return psql(stack.pgPort, `COPY (${query}) TO STDOUT`).trim()
}

/** Runs a script in the throwaway redis-server with redis-cli. */
function redisEval(script) {
  const out = spawnSync(process.env.REDIS_CLI ?? 'redis-cli', ['-p', String(stack.redisPort), 'EVAL', script, '0'], { encoding: 'utf8' })
  if (out.status !== 0) throw new Error(`redis-cli failed: ${out.error?.message ?? ''}${out.stderr}`)
  return out.stdout.trim()
}

/** A psql running `SELECT pg_sleep(60)` in the background, as some other client would. */
function startSleeper() {
  // The harness's choice of binaries: SWITCHBOARD_PG_BIN, or the newest installed version.
  const bin =
    process.env.SWITCHBOARD_PG_BIN ??
    spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' }).stdout.trim()
  const child = spawn(
    path.join(bin, 'psql'),
    ['-X', '-q', '-h', '127.0.0.1', '-p', String(stack.pgPort), '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT pg_sleep(60)'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d.toString()))
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })))
  sleepers.push(child)
  return exited
}

const sleeping = () => scalar("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'")

async function until(what, check, timeoutMs = 15000) {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function openAs(email, password, to) {
  const context = await signedInContext(browser, stack.baseURL, email, password, { viewport: { width: 1400, height: 900 } })
  page = await context.newPage()
  page.on('pageerror', (e) => console.error(`page error: ${e.message} ${e.stack}`))
  await page.goto(to)
  return page
}

describe('Operations console: activity, Redis analysis', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    stack = await startStack()
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/postgres/default/connections', {
      identifier: 'main-db',
      host: '127.0.0.1',
      port: stack.pgPort,
      username: 'postgres',
      database_name: 'postgres',
    })
    await admin('POST', '/api/platform/redis/default/connections', { identifier: 'cache', host: '127.0.0.1', port: stack.redisPort })
    // 3,000 keys in three namespaces and four types, some with a TTL, and one big hash.
    redisEval(
      "for i = 1, 1500 do redis.call('SET', 'user:' .. i, 'name ' .. i) end " +
        "for i = 1, 1000 do redis.call('SET', 'session:' .. i, string.rep('s', 200), 'EX', 3600) end " +
        "for i = 1, 499 do redis.call('RPUSH', 'queue:' .. i, 'a', 'b') end " +
        "for i = 1, 2000 do redis.call('HSET', 'big:hash', 'field' .. i, string.rep('v', 50)) end " +
        'return 1',
    )
    await admin('POST', '/api/platform/users', { email: 'viewer@example.com', password: 'e2e-viewer-password' })
    await admin('POST', '/api/platform/projects/default/members', { email: 'viewer@example.com', role: 'viewer' })
    browser = await launchBrowser()
  })

  after(async () => {
    for (const child of sleepers) if (child.exitCode === null) child.kill('SIGKILL')
    await browser?.close()
    await stack?.stop()
  })

  test('a pg_sleep(60) started elsewhere appears on the Activity page and is cancelled there', async () => {
    const ended = startSleeper()
    await until('the pg_sleep(60) did not start', () => Number(sleeping()) >= 1)
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, ACTIVITY)
    const row = page.locator('tr[data-engine="postgres"]', { hasText: 'SELECT pg_sleep(60)' })
    await expectVisible(row)
    // Auto-refresh: the duration grows without a reload.
    const before = await row.locator('td.num').innerText()
    await page.waitForFunction(
      (text) => document.querySelector('tr[data-engine="postgres"] td.num')?.textContent !== text,
      before,
      { timeout: 10000 },
    )
    await page.screenshot({ path: path.join(outputDir, 'ops-activity.png') })
    // The stop control asks first; a double-click lands on Cancel or an unarmed Confirm, never stops.
    await row.locator('button.danger-outline').dblclick()
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(sleeping(), '1')
    if ((await row.locator('button.danger-outline').count()) === 1) await row.locator('button.danger-outline').click()
    const confirm = row.locator('button.danger')
    await expectVisible(confirm)
    await page.waitForSelector('tr[data-engine="postgres"] button.danger[data-armed="true"]', { timeout: 5000 })
    await confirm.click()
    await until('the pg_sleep(60) still runs on the server', () => sleeping() === '0')
    const { code, stderr } = await ended
    assert.notEqual(code, 0)
    assert.match(stderr, /cancel/i)
    await page.locator('tr[data-engine="postgres"]', { hasText: 'SELECT pg_sleep(60)' }).waitFor({ state: 'detached', timeout: 10000 })
  })

  test('a viewer sees the activity but no stop button', async () => {
    const ended = startSleeper()
    await until('the pg_sleep(60) did not start', () => Number(sleeping()) >= 1)
    await openAs('viewer@example.com', 'e2e-viewer-password', ACTIVITY)
    const row = page.locator('tr[data-engine="postgres"]', { hasText: 'SELECT pg_sleep(60)' })
    await expectVisible(row)
    assert.equal(await page.locator('tr[data-engine] button').count(), 0)
    // Pause stops the refresh: the duration shown stays still.
    await page.click('button[aria-pressed]:has-text("Pause")')
    const shown = await row.locator('td.num').innerText()
    await new Promise((r) => setTimeout(r, 4500))
    assert.equal(await row.locator('td.num').innerText(), shown)
    psql(stack.pgPort, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")
    await ended
  })

  test('Redis slowlog and clients: an admin kills a blocked client after confirming', async () => {
    spawnSync('redis-cli', ['-p', String(stack.redisPort), 'CONFIG', 'SET', 'slowlog-log-slower-than', '0'])
    redisEval("return redis.call('SET', 'slow:probe', 'x')")
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, '/project/default/databases/redis/slowlog')
    await expectVisible(page.locator('table[aria-label="Slowlog"] tr', { hasText: 'slow:probe' }).first())
    spawnSync('redis-cli', ['-p', String(stack.redisPort), 'CONFIG', 'SET', 'slowlog-log-slower-than', '10000'])

    const blocked = spawn('redis-cli', ['-p', String(stack.redisPort), 'BLPOP', 'nothing:here', '60'], { stdio: 'ignore' })
    sleepers.push(blocked)
    const gone = new Promise((resolve) => blocked.once('exit', resolve))
    await page.click('a.tab:has-text("Clients")')
    const row = page.locator('table[aria-label="Clients"] tr', { hasText: 'blpop' })
    await expectVisible(row, 15000).catch(async () => {
      await page.click('button:has-text("Refresh")')
      await expectVisible(row)
    })
    await row.locator('button.danger-outline').click()
    await page.waitForSelector('table[aria-label="Clients"] button.danger[data-armed="true"]', { timeout: 5000 })
    await row.locator('button.danger').click()
    await Promise.race([gone, new Promise((_, reject) => setTimeout(() => reject(new Error('the client was not killed')), 10000))])
    await row.waitFor({ state: 'detached', timeout: 10000 })
    await page.screenshot({ path: path.join(outputDir, 'ops-redis-clients.png') })

    await openAs('viewer@example.com', 'e2e-viewer-password', '/project/default/databases/redis/clients')
    await expectVisible(page.locator('table[aria-label="Clients"] tbody tr').first())
    assert.equal(await page.locator('table[aria-label="Clients"] button').count(), 0)
  })

  test('PostgreSQL performance says how to enable query statistics', async () => {
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, '/project/default/databases/postgres/performance')
    const help = page.locator('[data-query-stats="unavailable"]')
    await expectVisible(help)
    assert.match(await help.innerText(), /pg_stat_statements/)
    await page.screenshot({ path: path.join(outputDir, 'ops-pg-performance.png'), fullPage: true })
  })

  test('an advisor finding shows its fix SQL and opens it in a SQL editor tab', async () => {
    // A table without a primary key and an index nothing uses: findings any advisor reports.
    psql(stack.pgPort, 'CREATE TABLE loose (a int, b text); INSERT INTO loose SELECT g, g::text FROM generate_series(1, 100) g; CREATE INDEX loose_b_idx ON loose (b); ANALYZE loose;')
    const { data } = await admin('GET', '/api/platform/pg-meta/default/advisors')
    const fixable = data.findings.find((f) => f.fix_sql)
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, '/project/default/databases/postgres/performance')
    await expectVisible(page.locator('[aria-label="Findings"] li').first())
    assert.ok(fixable, 'no finding with a fix SQL')
    const finding = page.locator('[aria-label="Findings"] li', { hasText: fixable.object }).filter({ hasText: fixable.fix_sql }).first()
    await expectVisible(finding.locator('pre.fix-sql'))
    await page.screenshot({ path: path.join(outputDir, 'ops-pg-advisors.png'), fullPage: true })
    await finding.locator('button:has-text("Open in SQL editor")').click()
    await expectVisible(page.locator('[data-sql-editor]'))
    await page.waitForFunction((sql) => document.querySelector('[data-sql-editor]')?.textContent?.includes(sql.split('\n')[0]), fixable.fix_sql)
  })

  test('a slow Redis analysis is cancelled from its progress bar', async () => {
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, ANALYSIS)
    // Ten keys a second over 3,000 keys: it would run for five minutes.
    await page.fill('input[type="number"] >> nth=0', '10')
    await page.click('button:has-text("Analyse keyspace")')
    await expectVisible(page.locator('.job[data-state="running"] [role="progressbar"]'))
    await page.click('.job button:has-text("Cancel")')
    await expectVisible(page.locator('.job[data-state="cancelled"] [role="status"]:has-text("Cancelled")'))
    const [job] = (await admin('GET', '/api/platform/projects/default/jobs')).data
    assert.equal(job.state, 'cancelled')
  })

  test('the Redis analysis shows a progress bar, then its results', async () => {
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, ANALYSIS)
    // 1,000 keys a second over 3,001 keys: about three seconds of progress to watch.
    await page.fill('input[type="number"] >> nth=0', '1000')
    await page.click('button:has-text("Analyse keyspace")')
    const bar = page.locator('[role="progressbar"][aria-valuenow]')
    await expectVisible(bar)
    await page.waitForFunction(() => {
      const v = Number(document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow'))
      return v > 0 && v < 100
    }, undefined, { timeout: 15000 })
    await page.screenshot({ path: path.join(outputDir, 'ops-analysis-progress.png') })
    const result = page.locator('[data-analysis-result]')
    await expectVisible(result, 30000)
    assert.match(await result.innerText(), /3,000 keys|3,001 keys/)
    const namespaces = result.locator('[aria-label="Namespaces"]')
    for (const ns of ['user:*', 'session:*', 'queue:*']) assert.match(await namespaces.innerText(), new RegExp(ns.replace('*', '\\*')))
    const types = await result.locator('[aria-label="Types"]').innerText()
    assert.match(types, /string/)
    assert.match(types, /list/)
    assert.match(types, /hash/)
    assert.match(await result.locator('[aria-label="TTL histogram"]').innerText(), /under 1 hour\s+1,000 keys/)
    await page.screenshot({ path: path.join(outputDir, 'ops-analysis.png'), fullPage: true })
    // The biggest key by memory is the hash; its link opens it in the key browser.
    const top = result.locator('[aria-label="Biggest keys by memory"] a').first()
    assert.equal(await top.getAttribute('data-top-key'), 'big:hash')
    await top.click()
    await expectVisible(page.locator('aside.viewer'))
    await expectVisible(page.locator('aside.viewer tr[data-field]').first())
    // Back on the Analysis tab, the last analysis is shown again without running it.
    await page.goto(ANALYSIS)
    await expectVisible(page.locator('[data-analysis-result]'))
  })
})
