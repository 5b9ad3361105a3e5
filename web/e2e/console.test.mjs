// End-to-end tests of the console in headless Chromium against the real binary, a real Redis and a
// real PostgreSQL. Each test saves a screenshot under web/e2e/output/; with
// SWITCHBOARD_UPDATE_SCREENSHOTS=1 the Redis browser's and the SQL editor's also go to
// docs/screenshots/ (redis-browser.png, sql-editor.png), which the README shows (opt-in, so a test
// run does not rewrite a committed file).
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  apiAs,
  expectHidden,
  expectVisible,
  itWithFailureShot,
  launchBrowser,
  outputDir,
  psql,
  repoRoot,
  signIn,
  startStack,
} from './harness.mjs'

const output = outputDir
const docsShots = path.join(repoRoot, 'docs', 'screenshots')

let stack
let browser
let context
let page

async function shot(target, name) {
  await target.screenshot({ path: path.join(output, `${name}.png`) })
}

/** `it`, saving a screenshot of the page when the test fails. */
const test = itWithFailureShot(it, () => page)

describe('web console', () => {
  before(async () => {
    mkdirSync(output, { recursive: true })
    mkdirSync(docsShots, { recursive: true })
    stack = await startStack()
    const admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/redis/default/connections', {
      identifier: 'cache',
      host: '127.0.0.1',
      port: stack.redisPort,
    })
    // Some keys of every type, so the browser has something to show.
    const keys = [
      ['user:1001', { type: 'hash', value: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' } }],
      ['session:7f3a9c', { type: 'string', value: '{"user":1001,"csrf":"d41d8cd9"}', ttl: 3600 }],
      ['queue:emails', { type: 'list', value: ['welcome:1001', 'digest:1002', 'reset:1003'] }],
      ['tags:popular', { type: 'set', value: ['redis', 'mongodb', 'postgres'] }],
      ['leaderboard:weekly', { type: 'zset', value: [{ member: 'ada', score: 42 }, { member: 'grace', score: 37 }] }],
      ['events:signup', { type: 'stream', value: { user: '1001', source: 'web' } }],
      ['cache:home', { type: 'string', value: '<html>…</html>', ttl: 600 }],
    ]
    for (const [key, body] of keys) {
      await admin('POST', `/api/platform/redis/default/keys/${encodeURIComponent(key)}`, body)
    }
    // A PostgreSQL with a table and a view for the SQL editor. The connection's login is the
    // superuser, so viewers' SQL runs as `reader`, a login that can only read.
    psql(stack.pgPort, `CREATE ROLE reader LOGIN; GRANT pg_read_all_data TO reader;`)
    await admin('POST', '/api/platform/postgres/default/connections', {
      identifier: 'main-db',
      host: '127.0.0.1',
      port: stack.pgPort,
      username: 'postgres',
      database_name: 'postgres',
      viewer_username: 'reader',
    })
    psql(
      stack.pgPort,
      `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, plan text, meta jsonb);
       INSERT INTO customers VALUES
         (1, 'Ada Lovelace', 'ada@example.com', 'pro', '{"since": 2021, "tags": ["early"]}'),
         (2, 'Grace Hopper', 'grace@example.com', 'team', NULL),
         (3, 'Alan Turing', NULL, 'free', '{"since": 2024}');
       CREATE VIEW paying AS SELECT id, name FROM customers WHERE plan <> 'free';`,
    )
    await admin('POST', '/api/platform/users', { email: 'viewer@example.com', password: 'e2e-viewer-password' })
    await admin('POST', '/api/platform/projects/default/members', { email: 'viewer@example.com', role: 'viewer' })
    browser = await launchBrowser()
    context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 720 } })
    page = await context.newPage()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('serves the console and renders the first page fast', async () => {
    const started = Date.now()
    await page.goto('/')
    await expectVisible(page.locator('input[name="email"]'))
    const elapsed = Date.now() - started
    await page
      .waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 3000 })
      .catch(() => {})
    const paint = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    )
    console.log(`first render: sign-in form visible ${elapsed} ms after navigation; first contentful paint ${paint} ms`)
    assert.ok(elapsed < 5000, `the sign-in page took ${elapsed} ms`)
    // A reload of a client-side route gets the app, an unknown API path keeps the JSON 404.
    const deep = await page.request.get('/project/default/databases/redis', { headers: { accept: 'text/html' } })
    assert.equal(deep.status(), 200)
    assert.match(deep.headers()['content-type'], /text\/html/)
    const api = await page.request.get('/api/nope', { headers: { accept: 'text/html' } })
    assert.equal(api.status(), 404)
    assert.equal((await api.json()).error.code, 'NOT_FOUND')
    await shot(page, 'sign-in')
  })

  test('signs in, refuses a wrong password with a readable message, and signs out', async () => {
    await page.goto('/')
    await signIn(page, ADMIN_EMAIL, 'not-the-password')
    await expectVisible(page.locator('[role="alert"]'))
    assert.doesNotMatch(await page.locator('[role="alert"]').innerText(), /[{}]/)
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    await expectVisible(page.locator('h1:has-text("Projects")'))
    await page.click('a:has-text("Default project")')
    await expectVisible(page.locator('[data-connection="cache"]'))
    await shot(page, 'project')
    await page.click('button:has-text("Sign out")')
    await expectVisible(page.locator('input[name="email"]'))
    // Signed out: a protected page sends back to sign-in, then on to the page asked for.
    await page.goto('/project/default/databases/redis')
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.waitForURL('**/project/default/databases/redis')
    await expectVisible(page.locator('[data-key="user:1001"]'))
  })

  test('manages a Redis key as in spec 10.3', async () => {
    const started = Date.now()
    await page.goto('/project/default/databases/redis')
    await expectVisible(page.locator('[role="row"][data-key]').first())
    console.log(`first render: Redis key list shown ${Date.now() - started} ms after navigation`)

    // Create key
    await page.click('button:has-text("New Key")')
    await page.fill('input[name="key"]', 'test:key')
    await page.fill('input[name="value"]', 'test value')
    await page.click('button:has-text("Create")')

    // Verify key appears
    await expectVisible(page.locator('text=test:key'))

    // The screenshot of the README: the browser with a hash open in the viewer.
    await page.click('[data-key="user:1001"]  .key')
    await expectVisible(page.locator('aside.viewer td:has-text("Ada Lovelace")'))
    if (process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: path.join(docsShots, 'redis-browser.png') })
    }
    await shot(page, 'redis-browser')
    await page.click('aside.viewer button[aria-label="Close"]')

    // Delete key
    await page.click('[data-key="test:key"] button:has-text("Delete")')
    await page.click('button:has-text("Confirm")')

    // Verify key is gone
    await expectHidden(page.locator('text=test:key'))
    const left = await (await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD))(
      'GET',
      '/api/platform/redis/default/keys?pattern=test:*',
    )
    assert.deepEqual(left.data.keys, [])
  })

  test('edits a string value and its TTL', async () => {
    await page.goto('/project/default/databases/redis')
    await page.click('[data-key="cache:home"]  .key')
    await page.click('aside.viewer button:has-text("Edit value")')
    await page.fill('textarea[name="string-value"]', '<html>fresh</html>')
    await page.click('aside.viewer button:has-text("Save")')
    await expectVisible(page.locator('aside.viewer pre:has-text("<html>fresh</html>")'))
    await page.fill('input[name="new-ttl"]', '7200')
    await page.click('aside.viewer button:has-text("Set TTL")')
    await expectVisible(page.locator('[data-key="cache:home"] [role="cell"]:has-text("2h")'))
    await page.click('aside.viewer button:has-text("Persist")')
    await expectVisible(page.locator('[data-key="cache:home"] [role="cell"]:has-text("no limit")'))
    const admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    const { data } = await admin('GET', '/api/platform/redis/default/keys/cache%3Ahome')
    assert.equal(data.value, '<html>fresh</html>')
    assert.equal(data.ttl, -1)
    await shot(page, 'redis-string-edit')
  })

  test('pages through the keyspace as it scrolls, and searches by pattern', async () => {
    const admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    for (let i = 0; i < 450; i++) {
      await admin('POST', `/api/platform/redis/default/keys/bulk:${String(i).padStart(4, '0')}`, { value: String(i) })
    }
    await page.goto('/project/default/databases/redis')
    await expectVisible(page.locator('[role="row"][data-key]').first())
    // SCAN pages of 200: scrolling to the end of the list loads the next ones until the walk ends.
    const deadline = Date.now() + 30000
    while (Date.now() < deadline && (await page.locator('text=scan complete').count()) === 0) {
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight))
      await page.waitForTimeout(150)
    }
    await expectVisible(page.locator('text=scan complete'))
    await expectVisible(page.locator('text=457 keys shown'))
    // Only the rows near the viewport are in the DOM.
    const rendered = await page.locator('[role="row"][data-key]').count()
    assert.ok(rendered > 10 && rendered < 100, `${rendered} rows rendered`)
    await page.evaluate(() => window.scrollTo(0, 0))
    await expectVisible(page.locator('[role="row"][data-key]').first())

    await page.fill('input[name="pattern"]', 'leader*')
    await page.click('button:has-text("Search")')
    await expectHidden(page.locator('[data-key="user:1001"]'))
    await expectVisible(page.locator('[data-key="leaderboard:weekly"]'))
    assert.equal(await page.locator('[role="row"][data-key]').count(), 1)
    await shot(page, 'redis-pattern')
  })

  test('shows a viewer write controls disabled with the reason', async () => {
    const viewer = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 720 } })
    const p = await viewer.newPage()
    await p.goto('/project/default/databases/redis')
    await signIn(p, 'viewer@example.com', 'e2e-viewer-password')
    // Reading is allowed: search, so the key is on the first page whatever SCAN's order.
    await p.fill('input[name="pattern"]', 'user:*')
    await p.click('button:has-text("Search")')
    await expectVisible(p.locator('[data-key="user:1001"]'))
    const newKey = p.locator('button:has-text("New Key")')
    assert.equal(await newKey.isDisabled(), true)
    assert.match((await newKey.getAttribute('title')) ?? '', /viewer/)
    assert.equal(await p.locator('[data-key="user:1001"] button:has-text("Delete")').isDisabled(), true)
    await p.click('[data-key="user:1001"]  .key')
    await expectVisible(p.locator('aside.viewer td:has-text("Ada Lovelace")'))
    assert.equal(await p.locator('aside.viewer button:has-text("Set TTL")').isDisabled(), true)
    await shot(p, 'redis-viewer')
    await viewer.close()
  })

  test('runs SQL in the editor and shows the rows, the plan and a CSV download', async () => {
    await page.goto('/project/default/databases/postgres')
    // The side panel lists the table; a click fills the editor with a SELECT.
    await expectVisible(page.locator('[data-relation="public.customers"]'))
    await expectVisible(page.locator('[data-relation="public.paying"]'))
    await page.click('[data-relation="public.customers"] .twisty')
    await expectVisible(page.locator('[data-relation="public.customers"] .columns li:has-text("email")'))
    await page.click('[data-relation="public.customers"] .relation-name')
    // It opens in a new tab, named after the table.
    await expectVisible(page.locator('.sql-tab.current[data-tab="customers"]'))
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT * FROM public.customers LIMIT 100;')

    await page.fill('[data-sql-editor]', 'SELECT id, name, email, meta FROM customers ORDER BY id')
    await page.press('[data-sql-editor]', 'Control+Enter')
    await expectVisible(page.locator('.result-grid [role="cell"]:has-text("Ada Lovelace")'))
    await expectVisible(page.locator('text=3 rows'))
    const cells = await page.locator('.result-grid [role="row"][aria-rowindex="1"] [role="cell"]').allInnerTexts()
    // jsonb keeps its keys shorter-first; the grid shows the value compact, as it came.
    assert.deepEqual(cells, ['1', 'Ada Lovelace', 'ada@example.com', '{"tags":["early"],"since":2021}'])
    // NULL is shown apart from the text 'NULL'.
    const nullCell = page.locator('.result-grid [role="row"][aria-rowindex="3"] [role="cell"].null')
    assert.equal(await nullCell.innerText(), 'NULL')
    assert.deepEqual(
      await page.locator('.result-grid [role="columnheader"]').allInnerTexts(),
      ['#', 'id', 'name', 'email', 'meta'],
    )
    // Highlighting draws the keywords.
    assert.equal(await page.locator('.sql-editor .cm-line span').first().innerText(), 'SELECT')
    if (process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: path.join(docsShots, 'sql-editor.png') })
    }
    await shot(page, 'sql-results')

    // Thousands of rows: only a window of them is in the DOM.
    await page.fill('[data-sql-editor]', 'SELECT g AS n, md5(g::text) AS hash FROM generate_series(1, 5000) g')
    await page.click('button:has-text("Run")')
    await expectVisible(page.locator('text=5,000 rows'))
    const rendered = await page.locator('.result-grid [role="row"][aria-rowindex]').count()
    assert.ok(rendered > 5 && rendered < 100, `${rendered} rows rendered`)
    await page.locator('.result-grid').evaluate((el) => (el.scrollTop = 2500 * 29))
    await expectVisible(page.locator('.result-grid [role="row"][aria-rowindex="2500"]'))

    // EXPLAIN shows the plan as a tree.
    await page.fill('[data-sql-editor]', 'SELECT * FROM customers WHERE id = 1')
    await page.click('button:has-text("Explain")')
    await expectVisible(page.locator('.plan-tree .plan-node').first())
    assert.match(await page.locator('.plan-tree').innerText(), /customers/)

    // The CSV comes from the streaming export.
    await page.fill('[data-sql-editor]', 'SELECT id, name FROM customers ORDER BY id')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Download CSV")')])
    assert.equal(download.suggestedFilename(), 'query.csv')
    const csv = readFileSync(await download.path(), 'utf8')
    assert.match(csv, /^id,name\r?\n1,Ada Lovelace\r?\n2,Grace Hopper\r?\n3,Alan Turing/)
  })

  test('shows a SQL error with its position marked in the editor', async () => {
    await page.goto('/project/default/databases/postgres')
    await page.click('button[aria-label="New tab"]')
    await page.fill('[data-sql-editor]', 'SELECT id, name\nFORM customers')
    await page.click('button:has-text("Run")')
    const alert = page.locator('.sql-error-box')
    await expectVisible(alert)
    const text = await alert.innerText()
    // PostgreSQL reads `FORM` as an alias of `name` and stumbles on the next word.
    assert.match(text, /syntax error at or near "customers"/)
    assert.match(text, /SQLSTATE 42601/)
    assert.match(text, /line 2/)
    assert.doesNotMatch(text, /[{}]/)
    const marked = await page.locator('.sql-editor .sql-error').innerText()
    assert.equal(marked, 'customers')
    await shot(page, 'sql-error')
    // Editing the text clears the mark.
    await page.press('[data-sql-editor]', 'End')
    await page.type('[data-sql-editor]', ' ')
    await expectHidden(page.locator('.sql-editor .sql-error'))
  })

  test('lets a viewer run SQL read-only, with a note saying so', async () => {
    const viewer = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 720 } })
    const p = await viewer.newPage()
    await p.goto('/project/default/databases/postgres')
    await signIn(p, 'viewer@example.com', 'e2e-viewer-password')
    await expectVisible(p.locator('text=Your SQL runs read-only'))
    // EXPLAIN ANALYZE executes the statement: not offered to a viewer.
    assert.equal(await p.locator('button:has-text("Explain analyze")').count(), 0)
    await p.fill('[data-sql-editor]', "DELETE FROM customers WHERE id = 1")
    await p.click('button:has-text("Run")')
    await expectVisible(p.locator('.sql-error-box'))
    assert.match(await p.locator('.sql-error-box').innerText(), /read-only transaction/)
    await p.fill('[data-sql-editor]', 'SELECT count(*) AS n FROM customers')
    await p.click('button:has-text("Run")')
    await expectVisible(p.locator('.result-grid [role="cell"]:has-text("3")'))
    await shot(p, 'sql-viewer')
    await viewer.close()
  })
})
