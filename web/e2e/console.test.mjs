// End-to-end tests of the console in headless Chromium against the real binary and a real Redis.
// Each test saves a screenshot under web/e2e/output/; with SWITCHBOARD_UPDATE_SCREENSHOTS=1 the
// Redis browser's also goes to docs/screenshots/redis-browser.png, which the README shows (opt-in,
// so a test run does not rewrite a committed file).
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  apiAs,
  expectHidden,
  expectVisible,
  launchBrowser,
  repoRoot,
  startStack,
} from './harness.mjs'

const output = path.join(repoRoot, 'web', 'e2e', 'output')
const docsShots = path.join(repoRoot, 'docs', 'screenshots')

let stack
let browser
let context
let page

async function shot(target, name) {
  await target.screenshot({ path: path.join(output, `${name}.png`) })
}

async function signIn(p, email, password) {
  await p.fill('input[name="email"]', email)
  await p.fill('input[name="password"]', password)
  await p.click('button:has-text("Sign in")')
}

/** `it`, saving a screenshot of the main page when the test fails. */
function test(name, body) {
  it(name, async () => {
    try {
      await body()
    } catch (e) {
      await page?.screenshot({ path: path.join(output, `FAILED-${name.replaceAll(/\W+/g, '-')}.png`) }).catch(() => {})
      throw e
    }
  })
}

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
})
