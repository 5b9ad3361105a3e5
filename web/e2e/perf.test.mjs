// How fast the console's first page renders against the local server, from a fresh browser context
// (empty cache): the sign-in page, and, signed in, the Redis key browser. The figures (first
// contentful paint, the navigation timing, when the key list appeared) are printed with
// console.log, not asserted: speed is reported here, and what is asserted is that the pages render
// and that the sign-in page loads only the shell, not the engine pages (code splitting, App.tsx).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_EMAIL, ADMIN_PASSWORD, apiAs, expectVisible, launchBrowser, signedInContext, startStack } from './harness.mjs'

let stack
let browser

/** Marks, on the page's own clock (ms since navigation start), when `selector` first appears. */
function markWhenShown(selector) {
  const seen = () => {
    if (window.__shownAt === undefined && document.querySelector(selector)) window.__shownAt = performance.now()
    return window.__shownAt !== undefined
  }
  const observe = () => {
    if (seen()) return
    const observer = new MutationObserver(() => seen() && observer.disconnect())
    observer.observe(document, { childList: true, subtree: true })
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', observe)
  else observe()
}

/** First contentful paint, DOMContentLoaded and load (ms since navigation start), and the scripts fetched. */
async function timings(page) {
  await page.waitForFunction(
    () => performance.getEntriesByName('first-contentful-paint').length > 0 && performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0,
    null,
    { timeout: 10000 },
  )
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0]
    const scripts = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'))
    return {
      fcp: Math.round(performance.getEntriesByName('first-contentful-paint')[0].startTime),
      dcl: Math.round(nav.domContentLoadedEventEnd),
      load: Math.round(nav.loadEventEnd),
      shownAt: window.__shownAt === undefined ? null : Math.round(window.__shownAt),
      scripts: scripts.map((r) => ({ name: new URL(r.name).pathname, bytes: r.encodedBodySize })),
    }
  })
}

const kib = (scripts) => `${(scripts.reduce((n, s) => n + s.bytes, 0) / 1024).toFixed(0)} KiB of JS`

describe('first render', () => {
  before(async () => {
    stack = await startStack()
    const admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/redis/default/connections', { identifier: 'cache', host: '127.0.0.1', port: stack.redisPort })
    for (let i = 0; i < 50; i++) await admin('POST', `/api/platform/redis/default/keys/user:${1000 + i}`, { value: `user ${i}` })
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it('renders the sign-in page and the Redis key list, and reports how fast', async () => {
    // The sign-in page, in a context of its own: nothing cached.
    const fresh = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 720 } })
    await fresh.addInitScript(markWhenShown, 'input[name="email"]')
    const signInPage = await fresh.newPage()
    await signInPage.goto('/sign-in')
    await expectVisible(signInPage.locator('input[name="email"]'))
    await expectVisible(signInPage.locator('button:has-text("Sign in")'))
    const signIn = await timings(signInPage)
    // Only the shell: no engine page's code is fetched to sign in.
    const engineChunks = signIn.scripts.filter((s) => /RedisPages|MongoPage|PostgresPage|ConnectionForm/.test(s.name))
    assert.deepEqual(engineChunks, [], 'the sign-in page fetched engine code')
    await fresh.close()

    // The Redis key browser, signed in, also from an empty cache.
    const signedIn = await signedInContext(browser, stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await signedIn.addInitScript(markWhenShown, '[role="row"][data-key]')
    const redisPage = await signedIn.newPage()
    await redisPage.goto('/project/default/databases/redis')
    await expectVisible(redisPage.locator('[role="row"][data-key]').first())
    await expectVisible(redisPage.locator('text=50 keys shown'))
    const redis = await timings(redisPage)
    assert.ok(redis.scripts.some((s) => s.name.includes('RedisPages')), 'the Redis page loads its own chunk')
    await signedIn.close()

    console.log(
      `first render: sign-in FCP ${signIn.fcp} ms, DCL ${signIn.dcl} ms, load ${signIn.load} ms, form in the DOM at ${signIn.shownAt} ms ` +
        `(${kib(signIn.scripts)} in ${signIn.scripts.length} file); redis key list visible ${redis.shownAt} ms after navigation ` +
        `(FCP ${redis.fcp} ms, DCL ${redis.dcl} ms, load ${redis.load} ms, ${kib(redis.scripts)} in ${redis.scripts.length} files)`,
    )
  })
})
