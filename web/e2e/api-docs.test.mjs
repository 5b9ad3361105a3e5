// End-to-end test of the API reference page (/api/docs) in headless Chromium against the real
// binary: each operation is titled by its summary, its parameters are described, its answer's
// schema is outlined (references resolved), and the page runs under its hash-based CSP without a
// single violation or script error. Screenshot in web/e2e/output/api-docs.png.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { expectVisible, itWithFailureShot, launchBrowser, outputDir, startStack } from './harness.mjs'

let stack
let browser
let page
const problems = []

describe('API reference', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    stack = await startStack()
    browser = await launchBrowser()
    const context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    // A CSP violation or a script error shows up as a console error or a page error.
    // (A failed request is logged too: those are checked by URL, as the browser's own favicon
    // request is expected to fail.)
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()))
    page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && problems.push(`${r.status()} ${r.url()}`))
    page.on('pageerror', (e) => problems.push(e.message))
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  const check = itWithFailureShot(it, () => page, 'api-docs-')

  check('titles operations by their summary, describes parameters and outlines the answer', async () => {
    await page.goto('/api/docs')
    await page.locator('#filter').fill('keys by scan')
    const op = page.locator('details.op', { hasText: 'List keys by SCAN' })
    await expectVisible(op.locator('summary .title', { hasText: 'List keys by SCAN' }))
    await op.locator('summary').click()
    // Path and query parameters, each with its description.
    await expectVisible(op.locator('td', { hasText: "The project's ref" }))
    await expectVisible(op.locator('td', { hasText: 'Glob of the keys to list' }))
    // The answer: the envelope, the page type resolved from components, its fields' descriptions.
    const outline = op.locator('pre.schema')
    await expectVisible(outline)
    const text = await outline.textContent()
    for (const part of ['application/json', 'data: {', 'keys: {', 'key_encoding: "utf8" | "base64"', 'cursor: string', '// Cursor to pass for the next page']) {
      assert.ok(text.includes(part), `the outline has no ${JSON.stringify(part)}:\n${text}`)
    }
    await page.screenshot({ path: path.join(outputDir, 'api-docs.png'), fullPage: false })

    // A schema change: the changed object, or with dry_run the SQL.
    await page.locator('#filter').fill('post tables create a table')
    // (Not "Create a table from a CSV or NDJSON file", the import route.)
    const ddl = page.locator('details.op', { hasText: /Create a table(?! from)/ })
    await ddl.locator('summary').click()
    const ddlText = await ddl.locator('pre.schema').textContent()
    assert.ok(ddlText.includes('dry_run: boolean') && ddlText.includes('sql: string'), ddlText)

    // Streams name their media type; a 204 has no outline.
    await page.locator('#filter').fill('follow a job')
    const events = page.locator('details.op', { hasText: 'Follow a job' })
    await events.locator('summary').click()
    await expectVisible(events.locator('pre.schema', { hasText: 'text/event-stream' }))
    await page.locator('#filter').fill('delete a connection')
    const drop = page.locator('details.op', { hasText: 'Delete a connection' }).first()
    await drop.locator('summary').click()
    await expectVisible(drop.locator('p', { hasText: 'Success: 204 No Content' }))
    assert.equal(await drop.locator('pre.schema').count(), 0)

    assert.deepEqual(problems, [], 'the page logged errors (a CSP violation?)')
  })
})
