// End-to-end tests of the Redis key tree, member search, the command line and Redis's destructive
// controls in headless Chromium against the real binary and a real redis-server. With
// SWITCHBOARD_UPDATE_SCREENSHOTS=1 the tree and the command line also go to docs/screenshots/
// (redis-tree.png, redis-command-line.png).
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ADMIN_EMAIL, ADMIN_PASSWORD, apiAs, expectVisible, itWithFailureShot, launchBrowser, outputDir, repoRoot, signedInContext, startStack } from './harness.mjs'

const docsShots = path.join(repoRoot, 'docs', 'screenshots')
const updateDocs = process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1'
const REDIS = '/project/default/databases/redis'

let stack
let browser
let page
let admin

/** Namespaced keys of the fixture, some with long names (the 1024 px check). */
const USER_KEYS = Array.from({ length: 12 }, (_, i) => `user:${i}:profile:preferences:notifications:email-digest-weekly`)
const SESSION_KEYS = Array.from({ length: 7 }, (_, i) => `session:${i}`)
const ORDER_KEYS = ['orders:2026:eu:1001', 'orders:2026:eu:1002', 'orders:2026:us:2001']

/** Sends commands straight to redis-server (RESP), resolving once every reply is in. */
function redisCommands(port, commands) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let replies = 0
    let pending = ''
    const answers = []
    socket.once('error', reject)
    socket.on('data', (chunk) => {
      pending += chunk.toString()
      const lines = pending.split('\r\n')
      pending = lines.pop() ?? ''
      for (const l of lines) {
        // Integer, status, error and bulk-string headers (the fixture's bulk contents start otherwise).
        if (/^[:+\-$]/.test(l)) {
          answers.push(l)
          replies++
        }
      }
      if (replies >= commands.length) {
        socket.end()
        resolve(answers)
      }
    })
    socket.write(
      commands.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''),
    )
  })
}

async function dbSize() {
  const [answer] = await redisCommands(stack.redisPort, [['DBSIZE']])
  return Number(answer.slice(1))
}

async function shot(target, name, docsName) {
  await target.screenshot({ path: path.join(outputDir, `${name}.png`) })
  if (docsName && updateDocs) await target.screenshot({ path: path.join(docsShots, docsName) })
}

const test = itWithFailureShot(it, () => page, 'redis-console-')

describe('Redis console: tree, search, command line, destructive controls', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    if (updateDocs) mkdirSync(docsShots, { recursive: true })
    stack = await startStack()
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/redis/default/connections', { identifier: 'cache', host: '127.0.0.1', port: stack.redisPort })
    const commands = [
      ...USER_KEYS.map((k) => ['SET', k, 'weekly']),
      ...SESSION_KEYS.map((k) => ['SET', k, '{"user": 1, "agent": "Firefox"}', 'EX', '3600']),
      ...ORDER_KEYS.map((k) => ['HSET', k, 'total', '12.50', 'status', 'paid']),
      ['ZADD', 'leaderboard', '10', 'ada', '30', 'grace', '20', 'linus'],
      ['RPUSH', 'queue:mail', 'a', 'b', 'c'],
      ['SADD', 'tags', 'red', 'green'],
      ['XADD', 'events', '1-1', 'type', 'signup'],
    ]
    // A hash of 100,000 fields, in chunks.
    for (let start = 0; start < 100_000; start += 5000) {
      const args = ['HSET', 'big:hash']
      for (let i = start; i < start + 5000; i++) args.push(`field:${i}`, `value ${i}`)
      commands.push(args)
    }
    await redisCommands(stack.redisPort, commands)
    for (const [email, role] of [
      ['viewer@example.com', 'viewer'],
      ['developer@example.com', 'developer'],
    ]) {
      await admin('POST', '/api/platform/users', { email, password: `e2e-${role}-password` })
      await admin('POST', '/api/platform/projects/default/members', { email, role })
    }
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  async function openAs(email, password, to, viewport = { width: 1280, height: 800 }) {
    const context = await signedInContext(browser, stack.baseURL, email, password, { viewport })
    page = await context.newPage()
    page.on('pageerror', (e) => console.error(`page error: ${e.message} ${e.stack}`))
    await page.goto(to)
    return page
  }

  test('the tree groups keys by namespace with counts', async () => {
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, REDIS)
    await page.click('button[aria-pressed]:has-text("Tree")')
    await expectVisible(page.locator('text=scan complete'))
    const users = page.locator('[data-branch="user:"]')
    await expectVisible(users)
    assert.equal(await users.locator('[data-testid="branch-count"]').textContent(), String(USER_KEYS.length))
    assert.equal(await page.locator('[data-branch="session:"] [data-testid="branch-count"]').textContent(), String(SESSION_KEYS.length))
    assert.equal(await page.locator('[data-branch="orders:"] [data-testid="branch-count"]').textContent(), String(ORDER_KEYS.length))
    // Lazily expanded: the children appear only when a branch opens.
    assert.equal(await page.locator('[data-branch="orders:2026:"]').count(), 0)
    await page.click('[data-branch="orders:"] .key')
    await page.click('[data-branch="orders:2026:"] .key')
    assert.equal(await page.locator('[data-branch="orders:2026:eu:"] [data-testid="branch-count"]').textContent(), '2')
    await page.click('[data-branch="orders:2026:eu:"] .key')
    await expectVisible(page.locator('[data-key="orders:2026:eu:1001"]'))
    await page.click('[data-branch="user:"] .key')
    await shot(page, 'redis-tree', 'redis-tree.png')
    // The choice of view is remembered.
    await page.reload()
    await expectVisible(page.locator('[data-branch="user:"]'))
    await page.click('button[aria-pressed]:has-text("List")')
    await page.context().close()
  })

  test('a field of a 100,000-field hash is one search away', async () => {
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, REDIS)
    await page.fill('input[name="pattern"]', 'big:hash')
    await page.click('form[role="search"] button:has-text("Search")')
    await page.click('[data-key="big:hash"] .key')
    await expectVisible(page.locator('aside.viewer tr[data-field]').first())
    await page.fill('aside.viewer input[aria-label="Search fields"]', 'field:73519')
    await page.click('aside.viewer form.value-query button:has-text("Search")')
    await expectVisible(page.locator('aside.viewer tr[data-field="field:73519"]'))
    assert.equal(await page.locator('aside.viewer tr[data-field]').count(), 1)
    await shot(page, 'redis-hash-search')
    await page.context().close()
  })

  test('the command line refuses a write for a viewer and FLUSHALL for a developer', async () => {
    const before = await dbSize()
    await openAs('viewer@example.com', 'e2e-viewer-password', `${REDIS}/cli`)
    const input = page.locator('input[aria-label="Command"]')
    await input.fill('GET session:1')
    await input.press('Enter')
    await expectVisible(page.locator('[data-testid="reply"]:has-text("Firefox")'))
    await input.fill('SET session:1 hijacked')
    await input.press('Enter')
    await expectVisible(page.locator('[data-testid="reply"] .reply-error:has-text("developer")'))
    // History: the arrow brings back the last line.
    await input.press('ArrowUp')
    assert.equal(await input.inputValue(), 'SET session:1 hijacked')
    await page.context().close()

    await openAs('developer@example.com', 'e2e-developer-password', `${REDIS}/cli`)
    const dev = page.locator('input[aria-label="Command"]')
    await dev.fill('FLUSHALL')
    await dev.press('Enter')
    await expectVisible(page.locator('[data-testid="reply"] .reply-error:has-text("FLUSHALL")'))
    await page.context().close()
    assert.equal(await dbSize(), before, 'nothing was written or flushed')
    const [value] = await redisCommands(stack.redisPort, [['EXISTS', 'session:1']])
    assert.equal(value, ':1')

    // The screenshot: replies of every type.
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, `${REDIS}/cli`)
    const line = page.locator('input[aria-label="Command"]')
    for (const command of ['HGETALL orders:2026:eu:1001', 'ZRANGE leaderboard 0 -1 WITHSCORES', 'GET nothing-here', 'INCR visits', 'HGET big:hash']) {
      await line.fill(command)
      await line.press('Enter')
      await expectVisible(page.locator(`.cli-line:has-text("${command}")`))
    }
    await expectVisible(page.locator('[data-testid="reply"] .reply-error').last())
    await shot(page, 'redis-command-line', 'redis-command-line.png')
    await page.context().close()
    await redisCommands(stack.redisPort, [['DEL', 'visits']])
  })

  test('at 1024 px no key name is cut without a tooltip', async () => {
    for (const view of ['List', 'Tree']) {
      await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, REDIS, { width: 1024, height: 768 })
      await page.click(`button[aria-pressed]:has-text("${view}")`)
      await expectVisible(page.locator('text=scan complete'))
      if (view === 'Tree') await page.click('[data-branch="user:"] .key')
      // With the value pane open the list is at its narrowest.
      await page.locator('[role="row"][data-key] .key').first().click()
      await expectVisible(page.locator('aside.viewer'))
      const cells = await page.locator('.rows [role="row"] .key').evaluateAll((nodes) =>
        nodes.map((n) => ({
          name: n.parentElement.dataset.key ?? n.parentElement.dataset.branch,
          cut: n.scrollWidth > n.clientWidth,
          title: n.getAttribute('title') ?? '',
        })),
      )
      assert.ok(cells.length > 5, `${view}: rows are shown`)
      for (const c of cells) {
        if (c.cut) assert.ok(c.title.startsWith(c.name), `${view}: ${c.name} is cut without its name as a tooltip`)
      }
      // The key column has the width: wider than all the other columns together.
      const widths = await page.locator('[role="row"][data-key]').first().evaluate((row) => [...row.children].map((c) => c.getBoundingClientRect().width))
      assert.ok(widths[0] > widths.slice(1).reduce((a, b) => a + b, 0), `${view}: key column ${widths}`)
      await shot(page, `redis-1024-${view.toLowerCase()}`)
      await page.context().close()
    }
  })

  test('renames a key, formats a value and orders a sorted set by score', async () => {
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, REDIS)
    await expectVisible(page.locator('text=scan complete'))
    // A JSON value opens pretty-printed; hex and the raw text are one click away.
    await page.click('[data-key="session:5"] .key')
    await expectVisible(page.locator('aside.viewer pre.value[data-formatter="json"]:has-text("Firefox")'))
    await page.click('aside.viewer button:has-text("Hex")')
    await expectVisible(page.locator('aside.viewer pre.value[data-formatter="hex"]:has-text("7b 22")'))
    await page.click('aside.viewer button:has-text("Raw text")')
    await expectVisible(page.locator('aside.viewer pre.value[data-formatter="raw"]:has-text("{\\"user\\": 1")'))
    // Rename (the new name stays under session:, so the branch counts below hold).
    await page.click('aside.viewer header button:has-text("Rename")')
    await page.fill('aside.viewer input[aria-label="New key name"]', 'session:5-renamed')
    await page.click('aside.viewer form.rename button[type="submit"]')
    await expectVisible(page.locator('[data-key="session:5-renamed"]'))
    const [exists] = await redisCommands(stack.redisPort, [['EXISTS', 'session:5']])
    assert.equal(exists, ':0')
    // A sorted set, highest score first, then within a score range.
    await page.click('[data-key="leaderboard"] .key')
    await expectVisible(page.locator('aside.viewer tr[data-member="ada"]'))
    await page.selectOption('aside.viewer select[aria-label="Order"]', 'desc')
    await expectVisible(page.locator('aside.viewer tr[data-member]').first().locator('text=grace'))
    await page.fill('aside.viewer input[aria-label="Minimum score"]', '(10')
    await page.click('aside.viewer form.value-query button:has-text("Search")')
    await expectVisible(page.locator('aside.viewer p:has-text("in the score range")'))
    const members = await page.locator('aside.viewer tr[data-member]').evaluateAll((rows) => rows.map((r) => r.dataset.member))
    assert.deepEqual(members, ['grace', 'linus'])
    await shot(page, 'redis-zset-range')
    await page.context().close()
  })

  test('a double-click on every Redis destructive control changes nothing', async () => {
    const before = await dbSize()
    await openAs(ADMIN_EMAIL, ADMIN_PASSWORD, REDIS)
    await page.click('button[aria-pressed]:has-text("List")')
    await expectVisible(page.locator('text=scan complete'))

    // One key's Delete: the second click lands on Cancel or an unarmed Confirm.
    await page.locator('[data-key="session:3"] button:has-text("Delete")').dblclick()
    await page.waitForTimeout(1000)
    assert.equal(await dbSize(), before)
    await expectVisible(page.locator('[data-key="session:3"]'))

    // A hash field's Delete in the value viewer.
    await page.click('[data-key="orders:2026:us:2001"] .key')
    await page.locator('aside.viewer tr[data-field="status"] button:has-text("Delete")').dblclick()
    await page.waitForTimeout(1000)
    const [fields] = await redisCommands(stack.redisPort, [['HLEN', 'orders:2026:us:2001']])
    assert.equal(fields, ':2')

    // Every collection editor's element Delete: list, set, sorted set, stream.
    const elements = [
      ['queue:mail', 'tr[data-index="1"]', ['LLEN', 'queue:mail'], ':3'],
      ['tags', 'tr[data-member="red"]', ['SCARD', 'tags'], ':2'],
      ['leaderboard', 'tr[data-member="ada"]', ['ZCARD', 'leaderboard'], ':3'],
      ['events', 'tr[data-entry="1-1"]', ['XLEN', 'events'], ':1'],
    ]
    for (const [key, row, count, expected] of elements) {
      await page.click(`[data-key="${key}"] .key`)
      await page.locator(`aside.viewer ${row} button:has-text("Delete")`).dblclick()
      await page.waitForTimeout(1000)
      const [answer] = await redisCommands(stack.redisPort, [count])
      assert.equal(answer, expected, `${key}: nothing was deleted`)
    }

    // A branch's Delete: a typed dialog whose confirm a double-click cannot reach.
    await page.click('button[aria-pressed]:has-text("Tree")')
    const branchDelete = page.locator('[data-branch="session:"] button[aria-label="Delete branch session:"]')
    await branchDelete.dblclick()
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog)
    await expectVisible(dialog.locator(`.losses:has-text("${SESSION_KEYS.length}")`))
    await dialog.locator('button[type="submit"]').dblclick({ force: true })
    await page.waitForTimeout(1000)
    assert.equal(await dbSize(), before, 'the branch is still there')
    await shot(page, 'redis-delete-branch')
    await dialog.locator('button:has-text("Cancel")').click()

    // A pattern's "Delete matches…": the same.
    await page.fill('input[name="pattern"]', 'session:*')
    await page.click('form[role="search"] button:has-text("Search")')
    await page.locator('button:has-text("Delete matches")').dblclick()
    await expectVisible(dialog)
    await dialog.locator('button[type="submit"]').dblclick({ force: true })
    await page.waitForTimeout(1000)
    assert.equal(await dbSize(), before, 'the matches are still there')

    // Typing the pattern is not enough; typing the dry run's count deletes them (as a job).
    await dialog.locator('input').fill('session:*')
    assert.equal(await dialog.locator('button[type="submit"]').isDisabled(), true)
    await expectVisible(dialog.locator(`code:has-text("${SESSION_KEYS.length}")`))
    await dialog.locator('input').fill(String(SESSION_KEYS.length))
    await dialog.locator('button[type="submit"]:not([disabled])').click()
    await dialog.waitFor({ state: 'detached' })
    assert.equal(await dbSize(), before - SESSION_KEYS.length)

    // Export the keys of a pattern, delete them, and import the file back, with a report.
    await page.fill('input[name="pattern"]', 'orders:*')
    await page.click('form[role="search"] button:has-text("Search")')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Export")')])
    const file = path.join(outputDir, 'redis-orders.ndjson')
    await download.saveAs(file)
    const lines = (await import('node:fs')).readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(lines.map((l) => l.key).sort(), [...ORDER_KEYS].sort())
    assert.ok(lines.every((l) => l.type === 'hash'))

    await redisCommands(stack.redisPort, [['DEL', ...ORDER_KEYS]])
    await page.click('button:has-text("Import…")')
    await dialog.locator('input[type="file"]').setInputFiles(file)
    await dialog.locator('button[type="submit"]').click()
    await expectVisible(dialog.locator('.import-report:has-text("3 keys imported")'))
    const [status] = await redisCommands(stack.redisPort, [['HGET', 'orders:2026:us:2001', 'status']])
    assert.equal(status, '$4', 'the hash is back')
    await dialog.locator('button:has-text("Close")').click()
    await page.context().close()
  })
})
