// End-to-end tests of the live Redis pages in headless Chromium against the real binary and a real
// redis-server: element editing in the value viewer, Pub/Sub over the WebSocket, and the Server
// page's INFO and live charts. Each test saves a screenshot under web/e2e/output/; with
// SWITCHBOARD_UPDATE_SCREENSHOTS=1 the Pub/Sub and Server pages also go to docs/screenshots/
// (redis-pubsub.png, redis-server.png).
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import net from 'node:net'
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
  repoRoot,
  signIn,
  startStack,
} from './harness.mjs'

const output = outputDir
const docsShots = path.join(repoRoot, 'docs', 'screenshots')
const updateDocs = process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1'
const KEYS = '/api/platform/redis/default/keys'

let stack
let browser
let page
let admin

async function shot(target, name, docsName) {
  await target.screenshot({ path: path.join(output, `${name}.png`) })
  if (docsName && updateDocs) await target.screenshot({ path: path.join(docsShots, docsName) })
}

/** Opens `to`, signing in on the way when the session is not there yet. */
async function open(p, to, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
  await p.goto(to)
  // Every Redis page shows its tabs; without a session the app shows the sign-in form instead.
  await p.locator('input[name="email"], nav.tabs').first().waitFor()
  if (await p.locator('input[name="email"]').isVisible()) {
    await signIn(p, email, password)
    await p.waitForURL((url) => url.pathname === to.split('?')[0])
    await p.locator('nav.tabs').waitFor()
  }
}

/** Sends commands straight to redis-server (RESP), resolving once every reply is in. */
function redisCommands(port, commands) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let replies = 0
    let pending = ''
    socket.once('error', reject)
    socket.on('data', (chunk) => {
      pending += chunk.toString()
      const lines = pending.split('\r\n')
      pending = lines.pop() ?? ''
      replies += lines.filter((l) => /^[:+-]/.test(l)).length
      if (replies >= commands.length) {
        socket.end()
        resolve()
      }
    })
    const resp = commands
      .map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
      .join('')
    socket.write(resp)
  })
}

/** `it`, saving a screenshot of the page when the test fails. */
const test = itWithFailureShot(it, () => page)

describe('live Redis pages', () => {
  before(async () => {
    mkdirSync(output, { recursive: true })
    if (updateDocs) mkdirSync(docsShots, { recursive: true })
    stack = await startStack()
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/redis/default/connections', {
      identifier: 'cache',
      host: '127.0.0.1',
      port: stack.redisPort,
    })
    await admin('POST', `${KEYS}/user%3A1001`, {
      type: 'hash',
      value: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', city: 'London' },
    })
    await admin('POST', `${KEYS}/queue%3Ajobs`, { type: 'list', value: ['a', 'b', 'a', 'c'] })
    await admin('POST', '/api/platform/users', { email: 'viewer@example.com', password: 'e2e-viewer-password' })
    await admin('POST', '/api/platform/projects/default/members', { email: 'viewer@example.com', role: 'viewer' })
    browser = await launchBrowser()
    const context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('edits, adds and deletes hash fields and list elements in the value viewer', async () => {
    await open(page, '/project/default/databases/redis')
    await page.fill('input[name="pattern"]', 'user:*')
    await page.click('button:has-text("Search")')
    await page.click('[data-key="user:1001"] .key')
    const plan = page.locator('aside.viewer tr[data-field="plan"]')
    await expectVisible(plan.locator('td:has-text("pro")'))

    // Edit one field's value in place.
    await plan.locator('button:has-text("Edit")').click()
    await page.fill('aside.viewer textarea[name="element-value"]', 'enterprise')
    await page.click('aside.viewer button:has-text("Save")')
    await expectVisible(plan.locator('td:has-text("enterprise")'))
    let { data } = await admin('GET', `${KEYS}/user%3A1001`)
    assert.equal(data.fields.plan, 'enterprise')
    assert.equal(data.fields.name, 'Ada Lovelace', 'the other fields stay')

    // Add a field, delete another (after confirming).
    await page.click('aside.viewer button:has-text("Add field")')
    await page.fill('aside.viewer input[name="new-field"]', 'team')
    await page.fill('aside.viewer textarea[name="new-value"]', 'engines')
    await page.click('aside.viewer button:has-text("Add")')
    await expectVisible(page.locator('aside.viewer tr[data-field="team"] td:has-text("engines")'))
    await page.click('aside.viewer tr[data-field="city"] button:has-text("Delete")')
    await page.click('aside.viewer tr[data-field="city"] button:has-text("Confirm")')
    await page.locator('aside.viewer tr[data-field="city"]').waitFor({ state: 'detached' })
    ;({ data } = await admin('GET', `${KEYS}/user%3A1001`))
    assert.deepEqual(data.fields, { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'enterprise', team: 'engines' })
    await shot(page, 'redis-hash-edit')

    // A list element is deleted by its index: the equal value at index 0 stays.
    await page.fill('input[name="pattern"]', 'queue:*')
    await page.click('button:has-text("Search")')
    await page.click('[data-key="queue:jobs"] .key')
    await page.click('aside.viewer tr[data-index="2"] button:has-text("Delete")')
    await page.click('aside.viewer tr[data-index="2"] button:has-text("Confirm")')
    await expectVisible(page.locator('aside.viewer tr[data-index="2"] td:has-text("c")'))
    ;({ data } = await admin('GET', `${KEYS}/queue%3Ajobs`))
    assert.deepEqual(data.values, ['a', 'b', 'c'])
  })

  test('shows Pub/Sub messages live, publishes, pauses and stays windowed under a flood', async () => {
    await open(page, '/project/default/databases/redis/pubsub')
    await expectVisible(page.locator('text=Subscribe to a channel or a pattern'))
    await page.fill('input[name="subscribe-name"]', 'news')
    await page.click('button[type="submit"]:has-text("Subscribe")')
    await expectVisible(page.locator('[data-status="live"]'))

    // The subscribe message goes out right after the socket opens: publish until it has landed.
    let reached = 0
    for (let i = 0; i < 50 && reached === 0; i++) {
      ;({
        data: { subscribers_reached: reached },
      } = await admin('POST', '/api/platform/redis/default/pubsub/publish', {
        channel: 'news',
        message: 'hello from the test',
      }))
      if (reached === 0) await page.waitForTimeout(100)
    }
    assert.equal(reached, 1, 'the page subscribed')
    await expectVisible(page.locator('.feed-row[data-channel="news"]:has-text("hello from the test")').first())

    // Publishing from the page reports the subscribers reached, and the message comes back.
    await page.fill('input[name="publish-channel"]', 'news')
    await page.fill('textarea[name="publish-message"]', '{"order": 42, "status": "shipped"}')
    await page.click('button:has-text("Publish")')
    await expectVisible(page.locator('text=Delivered to 1 subscriber of'))
    await expectVisible(page.locator('.feed-row:has-text("shipped")'))
    // A pattern subscription, shown with the pattern that matched.
    await page.selectOption('select[aria-label="Channel or pattern"]', 'pattern')
    await page.fill('input[name="subscribe-name"]', 'orders.*')
    await page.click('button[type="submit"]:has-text("Subscribe")')
    await expectVisible(page.locator('[data-subscription="orders.*"]'))
    for (let i = 0; i < 50; i++) {
      const { data } = await admin('POST', '/api/platform/redis/default/pubsub/publish', {
        channel: 'orders.eu',
        message: 'order 7 paid',
      })
      if (data.subscribers_reached > 0) break
      await page.waitForTimeout(100)
    }
    await expectVisible(page.locator('.feed-row[data-channel="orders.eu"]:has-text("orders.*")').first())
    // A few more, so the screenshot shows a feed.
    const traffic = [
      ['orders.us', '{"order": 43, "status": "paid", "total": 129.90}'],
      ['news', 'Release 2.4 is out: faster SCAN paging'],
      ['orders.eu', '{"order": 44, "status": "refunded"}'],
      ['news', 'Maintenance window tonight 22:00-23:00 UTC'],
      ['orders.us', '{"order": 45, "status": "shipped", "carrier": "UPS"}'],
    ]
    for (const [channel, message] of traffic) {
      await admin('POST', '/api/platform/redis/default/pubsub/publish', { channel, message })
    }
    await expectVisible(page.locator('.feed-row:has-text("carrier")'))
    await page.click('.feed-row:has-text("\\"order\\": 42")')
    await expectVisible(page.locator('.message-detail pre:has-text("\\"order\\": 42")'))
    await page.click('.card button:has-text("Refresh")')
    await expectVisible(page.locator('.pubsub-side tr[data-channel="news"]'))
    await shot(page, 'redis-pubsub', 'redis-pubsub.png')
    await page.click('.message-detail button[aria-label="Close"]')

    // Paused: messages are counted but not shown until resumed.
    await page.click('button:has-text("Pause")')
    await admin('POST', '/api/platform/redis/default/pubsub/publish', { channel: 'news', message: 'while paused' })
    await expectVisible(page.locator('button:has-text("Resume (1 new)")'))
    assert.equal(await page.locator('.feed-row:has-text("while paused")').count(), 0)
    await page.click('button:has-text("Resume")')
    await expectVisible(page.locator('.feed-row:has-text("while paused")'))

    // A flood of 5,000 messages: the last 1,000 are kept, only the rows in view are in the DOM.
    const before = Number(await page.locator('[data-received]').getAttribute('data-received'))
    const flood = Array.from({ length: 5000 }, (_, i) => ['PUBLISH', 'news', `flood message ${i}`])
    const started = Date.now()
    await redisCommands(stack.redisPort, flood)
    await page.waitForFunction(
      (want) => {
        const received = Number(document.querySelector('[data-received]')?.getAttribute('data-received'))
        const missed = Number(document.querySelector('.missed-total')?.textContent?.replace(/\D/g, '') || 0)
        return received + missed >= want
      },
      before + 5000,
      { timeout: 30000 },
    )
    console.log(`pub/sub flood: 5,000 messages shown within ${Date.now() - started} ms`)
    await expectVisible(page.locator('text=the last 1,000 kept'))
    const rendered = await page.locator('.feed-row').count()
    assert.ok(rendered > 5 && rendered < 100, `${rendered} message rows rendered`)
    assert.equal(await page.locator('[role="table"][aria-label="Messages"]').getAttribute('aria-rowcount'), '1000')
    await shot(page, 'redis-pubsub-flood')

    await page.click('button:has-text("Clear")')
    await expectVisible(page.locator('text=Waiting for messages on news, orders.*'))
  })

  test('shows INFO sections and live charts on the Server page', async () => {
    await open(page, '/project/default/databases/redis/server')
    await expectVisible(page.locator('.figure:has-text("Version")'))
    await expectVisible(page.locator('details[data-section="memory"]'))
    // Samples a second apart (the stream runs at the API's smallest interval, 1 s), while some
    // load of varying size gives the charts something to draw.
    let loading = true
    const load = (async () => {
      for (let round = 0; loading; round++) {
        const n = 200 + ((round * 7919) % 1800)
        await redisCommands(stack.redisPort, Array.from({ length: n }, (_, i) => ['SET', `load:${i % 50}`, String(round)]))
        await new Promise((r) => setTimeout(r, 250))
      }
    })()
    try {
      await page.waitForFunction(
        (want) =>
          ['ops', 'memory', 'clients'].every(
            (id) => Number(document.querySelector(`[data-chart="${id}"]`)?.getAttribute('data-samples')) >= want,
          ),
        updateDocs ? 12 : 3,
        { timeout: 30000 },
      )
    } finally {
      loading = false
      await load
    }
    await expectVisible(page.locator('[data-status="live"]'))
    const line = await page.locator('[data-chart="memory"] path.chart-line').getAttribute('d')
    assert.match(line ?? '', /^M[\d.]+,[\d.]+ L/, 'a line through the samples')
    assert.match(await page.locator('[data-chart="memory"] .chart-value').innerText(), /[KM]iB|B$/)
    assert.match(await page.locator('[data-chart="clients"] .chart-value').innerText(), /^\d+$/)

    // The raw sections: a filter opens the ones with matching fields.
    await page.fill('input[name="info-filter"]', 'used_memory_peak')
    await expectVisible(page.locator('details[data-section="memory"] td:has-text("used_memory_peak_human")'))
    await page.fill('input[name="info-filter"]', '')
    await page.click('details[data-section="server"] summary')
    await expectVisible(page.locator('details[data-section="server"] td:has-text("redis_version")'))
    await shot(page, 'redis-server', 'redis-server.png')

    // The tabs keep the connection and lead back to the keys.
    await page.click('nav.tabs a:has-text("Keys")')
    await page.waitForURL('**/project/default/databases/redis')
    await expectVisible(page.locator('[role="row"][data-key]').first())
  })

  test('shows a viewer element edits and publishing disabled, subscribing allowed', async () => {
    const viewer = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } })
    const p = await viewer.newPage()
    await open(p, '/project/default/databases/redis', 'viewer@example.com', 'e2e-viewer-password')
    await p.fill('input[name="pattern"]', 'user:*')
    await p.click('button:has-text("Search")')
    await p.click('[data-key="user:1001"] .key')
    const edit = p.locator('aside.viewer tr[data-field="plan"] button:has-text("Edit")')
    await expectVisible(edit)
    assert.equal(await edit.isDisabled(), true)
    assert.match((await edit.getAttribute('title')) ?? '', /viewer/)
    assert.equal(await p.locator('aside.viewer button:has-text("Add field")').isDisabled(), true)

    await p.click('nav.tabs a:has-text("Pub/Sub")')
    await p.waitForURL('**/databases/redis/pubsub')
    const publish = p.locator('button:has-text("Publish")')
    assert.equal(await publish.isDisabled(), true)
    assert.match((await publish.getAttribute('title')) ?? '', /viewer/)
    await p.fill('input[name="subscribe-name"]', 'news')
    await p.click('button[type="submit"]:has-text("Subscribe")')
    await expectVisible(p.locator('[data-status="live"]'))
    await shot(p, 'redis-pubsub-viewer')
    await viewer.close()
  })
})
