// End-to-end tests of connection management on /project/{ref}, in headless Chromium against the real
// binary and a real Redis: an admin adds a connection through the form (testing it before saving),
// edits, tests and deletes it; failures read as sentences; developers see the buttons disabled.
// Screenshots go to web/e2e/output/connections-*.png.
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
  freePort,
  itWithFailureShot,
  launchBrowser,
  outputDir,
  signIn,
  startStack,
} from './harness.mjs'

const output = outputDir
const DEVELOPER_EMAIL = 'developer@example.com'
const DEVELOPER_PASSWORD = 'e2e-developer-password'
// Typed into the form once; it must never show up in the URL or in browser storage.
const TYPED_SECRET = 'sb-e2e-typed-secret-1'

let stack
let browser
let context
let page
let admin

async function shot(target, name) {
  await target.screenshot({ path: path.join(output, `connections-${name}.png`) })
}

/** Signs in from the sign-in page and waits for the project list. */
async function signInToProjects(p, email, password) {
  await p.goto('/sign-in')
  await signIn(p, email, password)
  await expectVisible(p.locator('h1:has-text("Projects")'))
}

/** `it`, saving a screenshot of the page when the test fails. */
const test = itWithFailureShot(it, () => page, 'connections-')

/** The text of an alert, checked to read as a sentence rather than JSON. */
async function readableAlert(locator) {
  await expectVisible(locator)
  const text = (await locator.innerText()).trim()
  assert.ok(text.length > 0, 'the alert is empty')
  assert.doesNotMatch(text, /[{}]|"code"|"error"/, `the alert shows raw JSON: ${text}`)
  return text
}

describe('connection management', () => {
  before(async () => {
    mkdirSync(output, { recursive: true })
    stack = await startStack()
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/users', { email: DEVELOPER_EMAIL, password: DEVELOPER_PASSWORD })
    await admin('POST', '/api/platform/projects/default/members', { email: DEVELOPER_EMAIL, role: 'developer' })
    browser = await launchBrowser()
    context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    await signInToProjects(page, ADMIN_EMAIL, ADMIN_PASSWORD)
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('an admin adds a Redis connection, tests it, renames it, tests it saved and deletes it', async () => {
    await page.goto('/project/default')
    await expectVisible(page.locator('.empty:has-text("no database connections yet")'))

    await page.getByRole('button', { name: 'Add connection' }).click()
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog)
    await dialog.locator('select[name="engine"]').selectOption('redis')
    await dialog.locator('input[name="identifier"]').fill('e2e-cache')
    await dialog.locator('input[name="host"]').fill('127.0.0.1')
    await dialog.locator('input[name="port"]').fill(String(stack.redisPort))

    // Test before saving: success names the server's version.
    await dialog.getByRole('button', { name: 'Test connection' }).click()
    const ok = dialog.locator('[role="status"]')
    await expectVisible(ok)
    assert.match(await ok.innerText(), /Connected to Redis \d+\.\d+\.\d+ in [\d.]+ ms/)
    await shot(page, 'form-tested')

    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    await expectHidden(dialog)
    const row = page.locator('[data-connection="e2e-cache"]')
    await expectVisible(row)
    assert.match(await row.innerText(), new RegExp(`127\\.0\\.0\\.1:${stack.redisPort}`))
    const listed = await admin('GET', '/api/platform/redis/default/connections')
    assert.equal(listed.data.length, 1)
    assert.equal(listed.data[0].is_primary, true, 'the first Redis connection is the primary')
    await shot(page, 'list')

    // Edit: the form comes back filled in, with an empty write-only password field.
    await row.getByRole('button', { name: 'Edit', exact: true }).click()
    await expectVisible(dialog)
    assert.equal(await dialog.locator('input[name="identifier"]').inputValue(), 'e2e-cache')
    assert.equal(await dialog.locator('input[name="port"]').inputValue(), String(stack.redisPort))
    const password = dialog.locator('input[name="password"]')
    assert.equal(await password.inputValue(), '')
    assert.equal(await password.getAttribute('type'), 'password')
    assert.equal(await password.getAttribute('autocomplete'), 'new-password')
    await dialog.locator('input[name="identifier"]').fill('e2e-cache-renamed')
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    await expectHidden(dialog)
    const renamed = page.locator('[data-connection="e2e-cache-renamed"]')
    await expectVisible(renamed)
    await expectHidden(page.locator('[data-connection="e2e-cache"]'))

    // Test the saved connection from its row.
    await renamed.getByRole('button', { name: 'Test', exact: true }).click()
    const rowOk = renamed.locator('[role="status"]')
    await expectVisible(rowOk)
    assert.match(await rowOk.innerText(), /Connected to Redis \d+\.\d+\.\d+ in [\d.]+ ms/)
    await expectVisible(renamed.locator('.status-active'))
    await shot(page, 'row-tested')

    // Delete asks for confirmation first.
    await renamed.getByRole('button', { name: 'Delete', exact: true }).click()
    await expectVisible(renamed.getByText('Delete e2e-cache-renamed?'))
    await shot(page, 'confirm-delete')
    await renamed.getByRole('button', { name: 'Confirm', exact: true }).click()
    await expectHidden(page.locator('[data-connection="e2e-cache-renamed"]'))
    await expectVisible(page.locator('.empty:has-text("no database connections yet")'))
    assert.deepEqual((await admin('GET', '/api/platform/redis/default/connections')).data, [])
  })

  test('a closed port and invalid input fail with readable messages, and a typed password stays put', async () => {
    const closed = await freePort()
    await page.goto('/project/default')
    await page.getByRole('button', { name: 'Add connection' }).click()
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog)
    await dialog.locator('input[name="identifier"]').fill('closed')
    await dialog.locator('input[name="host"]').fill('127.0.0.1')
    await dialog.locator('input[name="port"]').fill(String(closed))
    await dialog.locator('input[name="password"]').fill(TYPED_SECRET)
    await dialog.locator('details summary').click()
    await dialog.locator('input[name="connect_timeout_ms"]').fill('2000')

    const started = Date.now()
    await dialog.getByRole('button', { name: 'Test connection' }).click()
    const failure = dialog.locator('[role="alert"]')
    const text = await readableAlert(failure)
    assert.match(text, /^Connection failed: /)
    assert.ok(Date.now() - started < 10000, 'the failed test took too long')
    assert.ok(!text.includes(TYPED_SECRET), 'the failure message echoes the password')
    await shot(page, 'closed-port')

    // Checked in the browser before sending.
    await dialog.locator('input[name="port"]').fill('70000')
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    assert.match(await readableAlert(failure), /between 1 and 65535/)
    await dialog.locator('input[name="port"]').fill(String(closed))
    await dialog.locator('input[name="identifier"]').fill('')
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    assert.match(await readableAlert(failure), /identifier/)

    // Refused by the server (400): its message, as a sentence.
    await dialog.locator('input[name="identifier"]').fill('closed')
    await dialog.locator('input[name="db"]').fill('16')
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    await expectVisible(failure.getByText('options.db must be between 0 and 15', { exact: false }))
    await readableAlert(failure)
    await shot(page, 'server-400')

    // The password went to the server in request bodies only: not the URL, not browser storage.
    assert.ok(!page.url().includes(TYPED_SECRET))
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
    assert.ok(!stored.includes(TYPED_SECRET), 'the password is in browser storage')

    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click()
    await expectHidden(dialog)
    assert.deepEqual((await admin('GET', '/api/platform/redis/default/connections')).data, [])
  })

  test('a developer sees the management buttons disabled with a tooltip, and can still test', async () => {
    await admin('POST', '/api/platform/redis/default/connections', {
      identifier: 'shared-cache',
      host: '127.0.0.1',
      port: stack.redisPort,
    })
    const devContext = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } })
    try {
      const dev = await devContext.newPage()
      await signInToProjects(dev, DEVELOPER_EMAIL, DEVELOPER_PASSWORD)
      await dev.goto('/project/default')
      const row = dev.locator('[data-connection="shared-cache"]')
      await expectVisible(row)
      const reason = 'Only admins and owners manage connections; your role on this project is developer.'
      for (const [scope, name] of [
        [dev, 'Add connection'],
        [row, 'Edit'],
        [row, 'Delete'],
      ]) {
        const button = scope.getByRole('button', { name, exact: true })
        assert.equal(await button.isDisabled(), true, `${name} is enabled for a developer`)
        assert.equal(await button.getAttribute('title'), reason)
      }
      await row.getByRole('button', { name: 'Test', exact: true }).click()
      await expectVisible(row.locator('[role="status"]'))
      await shot(dev, 'developer')
    } finally {
      await devContext.close()
    }
  })

  test('a dead connection shows its error once and its actions disabled, without anyone pressing Test', async () => {
    const closed = await freePort()
    const created = await admin('POST', '/api/platform/redis/default/connections', {
      identifier: 'e2e-dead',
      host: '127.0.0.1',
      port: closed,
      is_primary: false,
    })
    assert.equal(created.data.status, 'ERROR', 'saving checks the connection')
    try {
      // The project page says so, with the reason.
      await page.goto('/project/default')
      const row = page.locator('[data-connection="e2e-dead"]')
      await expectVisible(row.locator('.status-error'))
      assert.match(await row.innerText(), /refused|connect/i)

      // Its page shows the reason once and the actions disabled; nothing offers to browse keys.
      await page.goto(`/project/default/databases/redis?connection_id=${encodeURIComponent(created.data.id)}`)
      const down = page.locator('[data-connection-down="e2e-dead"]')
      await expectVisible(down)
      assert.equal(await page.locator('[role="alert"]').count(), 1, 'the error is shown once')
      for (const name of ['New key', 'Scan keys']) {
        assert.equal(await page.getByRole('button', { name, exact: true }).isDisabled(), true, `${name} is disabled`)
      }
      // The key browser is not mounted: no enabled way to browse or create keys.
      assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0)
      assert.equal(await page.locator('button:enabled', { hasText: /new key/i }).count(), 0)
    } finally {
      await admin('DELETE', `/api/platform/redis/default/connections/${created.data.id}`)
    }
  })
})
