// End-to-end tests of the team pages and the console session in headless Chromium against the real
// binary: a viewer, a developer and an admin see members, API tokens and the audit trail as their
// role allows; a session survives a new tab and a reload; an ended session sends the user to
// sign in and back to the same page with their drafts; cross-site requests are refused. Screenshots
// go to web/e2e/output/; with SWITCHBOARD_UPDATE_SCREENSHOTS=1 the members, API tokens and audit
// pages also go to docs/screenshots/.
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
  itWithFailureShot,
  launchBrowser,
  outputDir,
  repoRoot,
  signIn,
  signedInContext,
  startStack,
} from './harness.mjs'

const docsShots = path.join(repoRoot, 'docs', 'screenshots')
const PASSWORD = 'e2e-team-password'
const VIEWER = 'viewer@example.com'
const DEVELOPER = 'developer@example.com'
const PROJECT_ADMIN = 'padmin@example.com'
const LEAVER = 'leaver@example.com'

let stack
let browser
let admin
let page

async function shot(target, name) {
  await target.screenshot({ path: path.join(outputDir, `${name}.png`), fullPage: true })
  if (process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1') {
    await target.screenshot({ path: path.join(docsShots, `${name}.png`), fullPage: true })
  }
}

const test = itWithFailureShot(it, () => page, 'team-')

async function members() {
  return (await admin('GET', '/api/platform/projects/default/members')).data
}

/** A page in a fresh context signed in as `email`. */
async function pageAs(email, password = PASSWORD) {
  const context = await signedInContext(browser, stack.baseURL, email, password)
  page = await context.newPage()
  return page
}

describe('team pages and console sessions', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    mkdirSync(docsShots, { recursive: true })
    // Every sign-in of these tests comes from one address: more than the default 10 a minute.
    stack = await startStack({ env: { SWITCHBOARD_SIGNIN_PER_MINUTE: '1000' } })
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    for (const [email, role] of [
      [VIEWER, 'viewer'],
      [DEVELOPER, 'developer'],
      [PROJECT_ADMIN, 'admin'],
    ]) {
      await admin('POST', '/api/platform/users', { email, password: PASSWORD })
      await admin('POST', '/api/platform/projects/default/members', { email, role })
    }
    await admin('POST', '/api/platform/users', { email: LEAVER, password: PASSWORD })
    // Two connections to one Redis server, told apart by their db number; and a PostgreSQL database.
    await admin('POST', '/api/platform/redis/default/connections', {
      identifier: 'cache',
      host: '127.0.0.1',
      port: stack.redisPort,
    })
    await admin('POST', '/api/platform/redis/default/connections', {
      identifier: 'jobs',
      host: '127.0.0.1',
      port: stack.redisPort,
      options: { db: 3 },
    })
    await admin('POST', '/api/platform/postgres/default/connections', {
      identifier: 'main-db',
      host: '127.0.0.1',
      port: stack.pgPort,
      username: 'postgres',
      database_name: 'postgres',
    })
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('the session survives a new tab and a reload, and shows who is signed in with their role', async () => {
    const context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    await page.goto('/project/default')
    await page.waitForURL(/\/sign-in\?next=%2Fproject%2Fdefault$/)
    await signIn(page, PROJECT_ADMIN, PASSWORD)
    await page.waitForURL(/\/project\/default$/)
    await expectVisible(page.locator('[data-testid="whoami"]:has-text("padmin@example.com")'))
    await expectVisible(page.locator('[data-testid="project-role"]:has-text("admin")'))
    // Each connection says which database of its server it opens.
    await expectVisible(page.locator('tr[data-connection="jobs"] >> text=db 3'))
    await expectVisible(page.locator('tr[data-connection="cache"] >> text=db 0'))
    await expectVisible(page.locator('tr[data-connection="main-db"] .database-name:has-text("postgres")'))
    // The cookie is HttpOnly: the page's scripts cannot read it.
    assert.equal(await page.evaluate(() => document.cookie), '')

    const tab = await context.newPage()
    await tab.goto('/project/default/members')
    await expectVisible(tab.locator(`tr[data-member="${VIEWER}"]`))
    await expectVisible(tab.locator('[data-testid="whoami"]:has-text("padmin@example.com")'))
    await tab.reload()
    await expectVisible(tab.locator(`tr[data-member="${VIEWER}"]`))
    assert.ok(!tab.url().includes('/sign-in'))
    await context.close()
  })

  test('after the session ends, signing in again returns to the same page with its drafts', async () => {
    const context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    await page.goto('/sign-in')
    await signIn(page, DEVELOPER, PASSWORD)
    await page.waitForURL(/\/$/)
    await page.goto('/project/default/tokens?from=test')
    await expectVisible(page.locator('h1:has-text("API tokens")'))
    await page.evaluate(() => localStorage.setItem('switchboard.sql-draft.test', 'select 42'))
    // The session ends elsewhere (signed out everywhere from another device).
    const elsewhere = await apiAs(stack.baseURL, DEVELOPER, PASSWORD)
    await elsewhere('DELETE', '/api/auth/sessions')
    await page.reload()
    await page.waitForURL(/\/sign-in\?next=/)
    assert.equal(new URL(page.url()).searchParams.get('next'), '/project/default/tokens?from=test')
    await signIn(page, DEVELOPER, PASSWORD)
    await page.waitForURL(/\/project\/default\/tokens\?from=test$/)
    await expectVisible(page.locator('h1:has-text("API tokens")'))
    assert.equal(await page.evaluate(() => localStorage.getItem('switchboard.sql-draft.test')), 'select 42')
    await context.close()
  })

  test('cross-site requests with the session cookie are refused and change nothing', async () => {
    page = await pageAs(PROJECT_ADMIN)
    await page.goto('/project/default/members')
    await expectVisible(page.locator(`tr[data-member="${VIEWER}"]`))
    const url = `${stack.baseURL}/api/platform/projects/default/members`
    const body = { email: LEAVER, role: 'admin' }
    // The context's request client sends the browser's cookie, as a forged form or fetch would.
    const noToken = await page.context().request.post(url, { data: body })
    assert.equal(noToken.status(), 403)
    const wrongToken = await page.context().request.post(url, { data: body, headers: { 'x-csrf-token': 'f'.repeat(64) } })
    assert.equal(wrongToken.status(), 403)
    const session = await (await page.context().request.get(`${stack.baseURL}/api/auth/session`)).json()
    const foreign = await page.context().request.post(url, {
      data: body,
      headers: { 'x-csrf-token': session.data.csrf_token, origin: 'https://evil.example' },
    })
    assert.equal(foreign.status(), 403)
    assert.equal((await foreign.json()).error.code, 'FORBIDDEN')
    assert.ok(!(await members()).some((m) => m.email === LEAVER), 'nobody was added')
    await page.context().close()
  })

  test('a viewer sees members, their own tokens and no controls that change the team', async () => {
    page = await pageAs(VIEWER)
    await page.goto('/project/default/members')
    const owner = page.locator(`tr[data-member="${ADMIN_EMAIL}"]`)
    await expectVisible(owner.locator('.badge:has-text("owner")'))
    await expectVisible(page.locator('[data-testid="project-role"]:has-text("viewer")'))
    assert.equal(await page.locator('form[aria-label="Add a member"]').count(), 0)
    assert.equal(await page.locator('select[name="role"]').count(), 0)
    assert.ok(await page.locator(`tr[data-member="${DEVELOPER}"] button:has-text("Remove")`).isDisabled())

    await page.goto('/project/default/tokens')
    await page.locator('select[name="token-role"] option').first().waitFor({ state: 'attached' })
    const roles = await page.locator('select[name="token-role"] option').allTextContents()
    assert.deepEqual(roles, ['viewer'])
    await page.goto('/project/default/audit')
    await expectVisible(page.locator('text=The audit trail is for admins and owners of this project'))
    await page.goto('/project/default/settings')
    assert.ok(await page.locator('button:has-text("Rename")').isDisabled())
    assert.ok(await page.locator('button:has-text("Delete project")').isDisabled())
    await page.context().close()
  })

  test('a developer creates a token up to their role, sees it once, and revokes it', async () => {
    page = await pageAs(DEVELOPER)
    await page.goto('/project/default/tokens')
    await page.locator('select[name="token-role"] option').first().waitFor({ state: 'attached' })
    const roles = await page.locator('select[name="token-role"] option').allTextContents()
    assert.deepEqual(roles, ['viewer', 'developer'])
    await page.fill('input[name="token-name"]', 'ci-deploy')
    await page.selectOption('select[name="token-role"]', 'developer')
    await page.selectOption('select[name="token-expiry"]', '90')
    await page.click('button:has-text("Create token")')
    const secret = await page.locator('[data-testid="token-secret"]').textContent()
    assert.match(secret ?? '', /^sbt_[0-9a-f]{64}$/)
    await expectVisible(page.locator('tr[data-token="ci-deploy"] .badge:has-text("developer")'))
    // Shown once: after a reload only the prefix is left.
    await page.reload()
    await expectVisible(page.locator('tr[data-token="ci-deploy"]'))
    assert.equal(await page.locator('[data-testid="token-secret"]').count(), 0)
    assert.ok(!(await page.content()).includes(secret ?? 'none'))
    // The token works as a bearer token, until it is revoked.
    const answer = await fetch(`${stack.baseURL}/api/platform/projects/default`, { headers: { authorization: `Bearer ${secret}` } })
    assert.equal(answer.status, 200)
    const row = page.locator('tr[data-token="ci-deploy"]')
    await row.locator('button:has-text("Revoke")').click()
    await row.locator('button.danger[data-armed="true"]').click()
    await expectHidden(page.locator('tr[data-token="ci-deploy"]'))
    const after = await fetch(`${stack.baseURL}/api/platform/projects/default`, { headers: { authorization: `Bearer ${secret}` } })
    assert.equal(after.status, 401)
    await page.goto('/project/default/audit')
    await expectVisible(page.locator('text=The audit trail is for admins and owners of this project'))
    await page.context().close()
  })

  test('an admin manages members and tokens and reads the audit trail', async () => {
    page = await pageAs(PROJECT_ADMIN)
    await page.goto('/project/default/members')
    await expectVisible(page.locator(`tr[data-member="${ADMIN_EMAIL}"] .badge:has-text("owner")`))
    assert.equal(await page.locator(`tr[data-member="${ADMIN_EMAIL}"] button:has-text("Remove")`).count(), 0)
    await page.fill('input[name="member-email"]', LEAVER)
    await page.selectOption('select[name="member-role"]', 'viewer')
    await page.click('button:has-text("Add member")')
    const row = page.locator(`tr[data-member="${LEAVER}"]`)
    await expectVisible(row)
    await row.locator('select[name="role"]').selectOption('developer')
    await page.waitForFunction(
      async (email) => {
        const r = await fetch('/api/platform/projects/default/members')
        return (await r.json()).data.some((m) => m.email === email && m.role === 'developer')
      },
      LEAVER,
    )
    // A double-click on Remove removes nothing: its second click lands on Cancel.
    await row.locator('button:has-text("Remove")').dblclick()
    await expectVisible(row.locator('button:has-text("Remove")'))
    assert.ok((await members()).some((m) => m.email === LEAVER))
    await shot(page, 'members')

    await page.goto('/project/default/tokens')
    await page.fill('input[name="token-name"]', 'nightly-backup')
    await page.selectOption('select[name="token-role"]', 'viewer')
    await page.click('button:has-text("Create token")')
    await expectVisible(page.locator('[data-testid="token-secret"]'))
    await expectVisible(page.locator('tr[data-token="nightly-backup"]'))
    await shot(page, 'api-tokens')

    await page.goto('/project/default/audit')
    await expectVisible(page.locator('[data-testid="audit"] tr[data-outcome="ok"]').first())
    await shot(page, 'audit')
    await page.fill('input[name="audit-target"]', LEAVER)
    await page.click('button:has-text("Filter")')
    await expectVisible(page.locator(`[data-testid="audit"] td:has-text("${LEAVER}")`).first())
    const targets = await page.locator('[data-testid="audit"] tbody td:nth-child(4)').allTextContents()
    assert.ok(targets.length >= 2 && targets.every((t) => t === LEAVER), JSON.stringify(targets))
    const csv = await page.locator('a:has-text("Export CSV")').getAttribute('href')
    assert.ok(csv?.includes('format=csv') && csv.includes('target='), csv ?? '')
    const exported = await page.evaluate(async (href) => (await fetch(href)).text(), csv)
    assert.ok(exported.startsWith('id,at,user_id') && exported.includes(LEAVER), exported)

    // An admin renames the project but only an owner deletes it.
    await page.goto('/project/default/settings')
    assert.ok(await page.locator('button:has-text("Delete project")').isDisabled())
    await page.fill('input[name="project-name"]', 'Default project (team)')
    await page.click('button:has-text("Rename")')
    await expectVisible(page.locator('.crumbs >> text=Default project (team)'))
    await page.context().close()
  })

  test('an owner creates and deletes a project with typed confirmation; a superuser manages users', async () => {
    page = await pageAs(ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.goto('/')
    await page.fill('input[name="project-name"]', 'Throwaway')
    await page.click('button:has-text("Create project")')
    const card = page.locator('a.link-card:has-text("Throwaway")')
    await expectVisible(card)
    await card.click()
    await page.waitForURL(/\/project\/[a-z]{20}$/)
    const ref = new URL(page.url()).pathname.split('/')[2]
    await page.goto(`/project/${ref}/settings`)
    await page.click('button:has-text("Delete project")')
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog.locator('text=database connections'))
    const confirm = dialog.locator('button:has-text("Delete project")')
    assert.ok(await confirm.isDisabled())
    await dialog.locator('input').fill(ref)
    await confirm.click()
    await page.waitForURL(/\/$/)
    await expectHidden(page.locator('a.link-card:has-text("Throwaway")'))

    await page.locator('summary:has-text("Account")').click()
    await page.click('a:has-text("Users")')
    const leaver = page.locator(`tr[data-user="${LEAVER}"]`)
    await expectVisible(leaver)
    await leaver.locator('button:has-text("Disable")').click()
    await leaver.locator('button.danger[data-armed="true"]').click()
    await expectVisible(leaver.locator('text=disabled'))
    const refused = await fetch(`${stack.baseURL}/api/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: LEAVER, password: PASSWORD }),
    })
    assert.equal(refused.status, 401)
    await leaver.locator('button:has-text("Enable")').click()
    await expectHidden(leaver.locator('text=disabled'))
    await leaver.locator('button:has-text("Reset password")').click()
    await leaver.locator('input[name="new-password"]').fill('e2e-new-password')
    await leaver.locator('button:has-text("Set password")').click()
    await expectVisible(page.locator('text=Password set'))
    const renewed = await fetch(`${stack.baseURL}/api/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: LEAVER, password: 'e2e-new-password' }),
    })
    assert.equal(renewed.status, 201)

    // Sign out everywhere ends this browser's session too.
    await page.locator('summary:has-text("Account")').click()
    await page.click('button:has-text("Sign out everywhere")')
    await page.waitForURL(/\/sign-in/)
    await page.goto('/project/default')
    await page.waitForURL(/\/sign-in\?next=/)
    await page.context().close()
  })
})
