// Big data in the console: a million Redis keys, a 50 MB string, a hash of 100,000 fields, a
// MongoDB collection of a million documents and a 100,000-row SQL result. Each is seeded directly
// (redis-cli --pipe, pymongo, generate_series), not through the browser, then opened in the browser:
// the page must stay usable and keep what it renders bounded (rows in the DOM, characters of a
// value). How long things take is measured and printed with console.log, never asserted: speed is
// reported, the bounds are tested.
//
// The MongoDB collection is inserted by pymongo from the test venv (batches of 10,000) while the
// Redis and SQL tests run. nx-27017 (SQLite underneath, one thread) takes about 90 s for the million
// on two idle cores, and up to three minutes while a Rust build runs beside it; so the seeding stops
// at a time budget (SWITCHBOARD_BIGDATA_SEED_SECONDS, default 120) and the test uses the documents
// inserted by then, printing how many. SWITCHBOARD_BIGDATA_DOCS sets the number asked for.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
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
  signedInContext,
  startStack,
} from './harness.mjs'

const output = outputDir
const M = '/api/platform/mongodb/default'

const KEYS = 1_000_000
const HASH_FIELDS = 100_000
/** 64-byte lines, 819,200 of them: 50 MiB. */
const BIG_LINE = 'a line of a big value: the quick brown fox jumps over a lazy dog\n'.slice(-64)
const BIG_LINES = 819_200
const DOCS = Number(process.env.SWITCHBOARD_BIGDATA_DOCS ?? 1_000_000)
const SEED_SECONDS = Number(process.env.SWITCHBOARD_BIGDATA_SEED_SECONDS ?? 120)
const SQL_ROWS = 100_000

let stack
let browser
let context
let page
/** Resolves with the seconds the MongoDB seeding took (it runs while the other tests do). */
let mongoSeeded
let mongoSeeder

/** `it`, saving a screenshot of the page when the test fails. */
const test = itWithFailureShot(it, () => page, 'bigdata-')

const seconds = (since) => ((performance.now() - since) / 1000).toFixed(1)

/** One command in RESP, as redis-cli --pipe reads it (all arguments ASCII here). */
function resp(args) {
  let out = `*${args.length}\r\n`
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`
  return out
}

/** Feeds the commands `produce` yields to `redis-cli --pipe`; resolves with the replies counted. */
async function redisPipe(port, produce) {
  const child = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  for (const chunk of produce()) {
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r))
  }
  child.stdin.end()
  const code = await exited
  const summary = out.match(/errors: (\d+), replies: (\d+)/)
  if (code !== 0 || !summary || summary[1] !== '0') throw new Error(`redis-cli --pipe failed (${code}): ${out}`)
  return Number(summary[2])
}

/** A million small string keys (MSET, 1,000 a command) and a hash of 100,000 fields. */
function* redisSeed() {
  for (let from = 0; from < KEYS; from += 1000) {
    const args = ['MSET']
    for (let i = from; i < from + 1000; i++) args.push(`k:${String(i).padStart(7, '0')}`, `{"n":${i},"kind":"${i % 2 ? 'click' : 'view'}"}`)
    yield resp(args)
  }
  for (let from = 0; from < HASH_FIELDS; from += 1000) {
    const args = ['HSET', 'big:hash']
    for (let i = from; i < from + 1000; i++) args.push(`field:${String(i).padStart(6, '0')}`, `value ${i}`)
    yield resp(args)
  }
  // 50 MiB built inside Redis, so the test does not send it.
  yield resp(['EVAL', "redis.call('SET', KEYS[1], string.rep(ARGV[1], tonumber(ARGV[2]))) return 1", '1', 'big:string', BIG_LINE, String(BIG_LINES)])
}

/**
 * Inserts up to DOCS documents into big.events with pymongo, 10,000 a batch, until SEED_SECONDS
 * have passed; resolves with { docs, seconds }.
 */
function seedMongo(port) {
  const python = path.join(process.env.SWITCHBOARD_TEST_VENV ?? path.join(os.homedir(), '.cache', 'switchboard', 'venv'), 'bin', 'python')
  const script = `
import sys, time, datetime
from pymongo import MongoClient
port, n, budget = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
coll = MongoClient(f'mongodb://127.0.0.1:{port}/?directConnection=true').big.events
start, began = datetime.datetime(2026, 1, 1), time.monotonic()
for first in range(0, n, 10000):
    if time.monotonic() - began > budget:
        break
    coll.insert_many([{'n': i, 'kind': 'click' if i % 2 else 'view', 'user': f'user{i % 997}',
                       'at': start + datetime.timedelta(seconds=i), 'tags': ['big', str(i % 10)]}
                      for i in range(first, min(n, first + 10000))], ordered=False)
print(coll.estimated_document_count())
`
  const started = performance.now()
  mongoSeeder = spawn(python, ['-c', script, String(port), String(DOCS), String(SEED_SECONDS)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  mongoSeeder.stdout.on('data', (d) => (out += d))
  mongoSeeder.stderr.on('data', (d) => (out += d))
  return new Promise((resolve, reject) => {
    mongoSeeder.once('error', reject)
    mongoSeeder.once('exit', (code) => {
      const docs = Number(out.trim())
      if (code !== 0 || !(docs > 0)) reject(new Error(`seeding MongoDB failed (${code}): ${out.slice(-2000)}`))
      else resolve({ docs, seconds: Number(seconds(started)) })
    })
  })
}

/**
 * Clicks `click` in the page and resolves with the milliseconds until `visible` is on screen and a
 * frame has been drawn with it. Both are a CSS selector or [selector, text] (the first match whose
 * text contains `text`). Measured inside the page, so the test driver's latency is left out.
 */
function timeClick(p, click, visible) {
  return p.evaluate(
    async ([c, v]) => {
      const find = ([selector, text]) =>
        text
          ? [...document.querySelectorAll(selector)].find((el) => el.textContent.includes(text))
          : (document.querySelector(selector) ?? undefined)
      const wanted = Array.isArray(v) ? v : [v, '']
      const shown = () => {
        const el = find(wanted)
        return el !== undefined && el.getClientRects().length > 0
      }
      const target = find(Array.isArray(c) ? c : [c, ''])
      if (!target) throw new Error(`nothing to click at ${c}`)
      const t0 = performance.now()
      target.click()
      await new Promise((resolve, reject) => {
        const tick = () =>
          shown() ? resolve() : performance.now() - t0 > 60000 ? reject(new Error(`${wanted} not shown`)) : requestAnimationFrame(tick)
        tick()
      })
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))
      return Math.round(performance.now() - t0)
    },
    [click, visible],
  )
}

/** The longest main-thread task (ms) since the last call, from the Long Tasks API. */
function longestTask(p) {
  return p.evaluate(() => {
    const longest = window.__longestTask ?? 0
    window.__longestTask = 0
    return Math.round(longest)
  })
}

/** The number shown in "N keys shown". */
async function keysShown(p) {
  const text = await p.locator('.scan-status .muted').innerText()
  return Number(text.match(/^([\d,]+) key/)[1].replaceAll(',', ''))
}

async function searchKey(p, key) {
  await p.fill('input[name="pattern"]', key)
  const ms = await timeClick(p, 'form[role="search"] button[type="submit"]', `[data-key="${key}"]`)
  assert.equal(await p.locator('[role="row"][data-key]').count(), 1)
  return ms
}

describe('big data', () => {
  before(async () => {
    mkdirSync(output, { recursive: true })
    stack = await startStack({ mongo: true })
    mongoSeeded = seedMongo(stack.mongoPort)
    // Keep the rejection for the MongoDB test; the others do not wait for it.
    mongoSeeded.catch(() => {})
    const admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', '/api/platform/redis/default/connections', { identifier: 'big-cache', host: '127.0.0.1', port: stack.redisPort })
    await admin('POST', '/api/platform/postgres/default/connections', {
      identifier: 'big-db',
      host: '127.0.0.1',
      port: stack.pgPort,
      username: 'postgres',
      database_name: 'postgres',
    })
    await admin('POST', `${M}/connections`, { identifier: 'big-docs', host: '127.0.0.1', port: stack.mongoPort })
    const started = performance.now()
    const replies = await redisPipe(stack.redisPort, redisSeed)
    assert.equal(replies, KEYS / 1000 + HASH_FIELDS / 1000 + 1)
    console.log(`big data: seeded Redis (${KEYS.toLocaleString('en')} keys, a ${HASH_FIELDS.toLocaleString('en')}-field hash, a 50 MiB string) in ${seconds(started)} s`)
    browser = await launchBrowser()
    context = await signedInContext(browser, stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await context.addInitScript(() => {
      window.__longestTask = 0
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longestTask = Math.max(window.__longestTask, e.duration)
      }).observe({ type: 'longtask', buffered: true })
    })
    page = await context.newPage()
  })

  after(async () => {
    if (mongoSeeder && mongoSeeder.exitCode === null) mongoSeeder.kill()
    await browser?.close()
    await stack?.stop()
  })

  test('pages through a million keys, keeping a window of rows in the DOM', async () => {
    const started = performance.now()
    await page.goto('/project/default/databases/redis')
    await expectVisible(page.locator('[role="row"][data-key]').first())
    const firstPage = Math.round(performance.now() - started)
    // The status names the database's size: "scanned N of ~M keys (P%)" while the walk goes on.
    await expectVisible(page.getByText(new RegExp(`of ~${(KEYS + 2).toLocaleString('en')} keys|${(KEYS + 2).toLocaleString('en')} in the database`)))
    const first = await keysShown(page)
    // A SCAN page or two (the end of the empty list is in view until the first page arrives).
    assert.ok(first > 0 && first <= 1000, `${first} keys loaded at first`)
    // Scroll to the end again and again: each time the next SCAN page is appended.
    let shown = first
    let mostRows = 0
    const pageTimes = []
    while (shown < 4000) {
      const t0 = performance.now()
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight))
      await page.waitForFunction(
        (before) => Number(document.querySelector('.scan-status .muted')?.textContent?.match(/^([\d,]+)/)?.[1].replaceAll(',', '')) > before,
        shown,
        { timeout: 15000, polling: 'raf' },
      )
      pageTimes.push(performance.now() - t0)
      shown = await keysShown(page)
      mostRows = Math.max(mostRows, await page.locator('[role="row"][data-key]').count())
    }
    assert.ok(mostRows < 300, `${mostRows} key rows in the DOM`)
    // The rows in view are the ones rendered, at the bottom of the list too.
    await expectVisible(page.locator('[role="row"][data-key]').last())
    const average = Math.round(pageTimes.reduce((a, b) => a + b, 0) / pageTimes.length)
    // A key in the middle of the list opens in the viewer.
    const row = page.locator('[role="row"][data-key]').nth(10)
    const key = await row.getAttribute('data-key')
    const open = await timeClick(page, `[data-key="${key}"] .key`, 'aside.viewer pre.value')
    assert.match(await page.locator('aside.viewer pre.value').innerText(), /"n":\s*\d+/)
    console.log(
      `big data: 1M keys: first page ${firstPage} ms after navigation; ${pageTimes.length} more pages by scrolling, ` +
        `${average} ms each on average (${shown.toLocaleString('en')} keys loaded, at most ${mostRows} rows in the DOM); ` +
        `click on a key to its value shown ${open} ms; longest main-thread task ${await longestTask(page)} ms`,
    )
  })

  test('opens the 50 MB string as a bounded preview, shows more on request and downloads it whole', async () => {
    await page.goto('/project/default/databases/redis')
    await expectVisible(page.locator('[role="row"][data-key]').first())
    await longestTask(page)
    const search = await searchKey(page, 'big:string')
    const open = await timeClick(page, '[data-key="big:string"] .key', 'aside.viewer pre.value')
    const viewer = page.locator('aside.viewer')
    const drawn = () => viewer.locator('pre.value').evaluate((el) => el.textContent.length)
    await expectVisible(viewer.locator('.notice'))
    assert.match(await viewer.locator('.notice').innerText(), /Showing the first 64 KiB of 50 MiB/)
    const first = await drawn()
    assert.ok(first <= 64 * 1024, `${first} characters of the value in the DOM`)
    const openTask = await longestTask(page)
    // "Show more" draws more of the preview the server sent (its first MiB), never the whole value.
    const more = await timeClick(page, ['aside.viewer .notice button', 'Show more'], ['aside.viewer .notice', 'first 256 KiB'])
    const moreTask = await longestTask(page)
    await viewer.locator('button:has-text("Show more")').click()
    await expectVisible(viewer.locator('.notice:has-text("Showing the first 1.0 MiB of 50 MiB")'))
    assert.equal(await viewer.locator('button:has-text("Show more")').count(), 0)
    assert.equal(await drawn(), 1024 * 1024)
    // Editing a cut value is refused.
    assert.equal(await viewer.locator('button:has-text("Edit value")').isDisabled(), true)
    // The whole value is a download, not drawn.
    const t0 = performance.now()
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60000 }),
      viewer.locator('button:has-text("Download whole value")').click(),
    ])
    const file = await download.path()
    const downloadMs = Math.round(performance.now() - t0)
    assert.equal(download.suggestedFilename(), 'big_string.txt')
    assert.equal(statSync(file).size, BIG_LINE.length * BIG_LINES)
    assert.equal(await drawn(), 1024 * 1024)
    // The page still answers.
    await page.click('aside.viewer button[aria-label="Close"]')
    await expectHidden(viewer)
    console.log(
      `big data: 50 MiB string: found by name ${search} ms; click to preview shown ${open} ms (${first.toLocaleString('en')} characters drawn, ` +
        `longest main-thread task ${openTask} ms); "Show more" to 256 KiB ${more} ms (longest task ${moreTask} ms); ` +
        `whole value downloaded in ${downloadMs} ms`,
    )
  })

  test('pages a hash of 100,000 fields', async () => {
    await page.goto('/project/default/databases/redis')
    await expectVisible(page.locator('[role="row"][data-key]').first())
    await searchKey(page, 'big:hash')
    await longestTask(page)
    const open = await timeClick(page, '[data-key="big:hash"] .key', 'aside.viewer tr[data-field]')
    const viewer = page.locator('aside.viewer')
    const fields = viewer.locator('tr[data-field]')
    const firstPage = await fields.count()
    assert.ok(firstPage > 0 && firstPage <= 1000, `${firstPage} fields on the first page`)
    await expectVisible(viewer.locator(`text=${firstPage.toLocaleString('en')} of ${HASH_FIELDS.toLocaleString('en')} shown`))
    const more = await timeClick(page, ['aside.viewer button', 'Load more'], `aside.viewer tr[data-field]:nth-child(${firstPage + 1})`)
    const second = await fields.count()
    assert.ok(second > firstPage && second <= 2000, `${second} fields after one more page`)
    console.log(
      `big data: 100k-field hash: click to first ${firstPage} fields shown ${open} ms; "Load more" to ${second} fields ${more} ms; ` +
        `longest main-thread task ${await longestTask(page)} ms`,
    )
  })

  test('caps a 100,000-row SQL result, says so, and streams the whole CSV', async () => {
    await page.goto('/project/default/databases/postgres')
    const editor = page.locator('[data-sql-editor]')
    await expectVisible(editor)
    await editor.fill(`SELECT g, md5(g::text) FROM generate_series(1, ${SQL_ROWS}) g`)
    await longestTask(page)
    const run = await timeClick(page, ['button.primary', 'Run'], '.result-grid [role="row"][aria-rowindex="1"]')
    await expectVisible(page.locator('.result-status:has-text("10,000 rows")'))
    await expectVisible(page.locator('.notice:has-text("Only the first 10,000 rows are shown")'))
    const rows = page.locator('.result-grid [role="row"][aria-rowindex]')
    assert.ok((await rows.count()) < 200, `${await rows.count()} rows in the DOM`)
    await page.locator('.result-grid').evaluate((el) => (el.scrollTop = 9000 * 29))
    await expectVisible(page.locator('.result-grid [role="row"][aria-rowindex="9000"]'))
    const domRows = await rows.count()
    assert.ok(domRows < 200, `${domRows} rows in the DOM after scrolling`)
    const task = await longestTask(page)
    // Still usable: another statement runs.
    await editor.fill('SELECT 42 AS answer')
    await page.click('button:has-text("Run")')
    await expectVisible(page.locator('.result-status', { hasText: /· 1 row returned ·/ }))
    await expectVisible(page.locator('.result-grid [role="cell"]', { hasText: /^42$/ }))
    // The CSV is the whole result, not the capped one.
    await editor.fill(`SELECT g, md5(g::text) FROM generate_series(1, ${SQL_ROWS}) g`)
    const t0 = performance.now()
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('button:has-text("Download CSV")')])
    const file = await download.path()
    const csvMs = Math.round(performance.now() - t0)
    const lines = readFileSync(file, 'utf8').trimEnd().split(/\r?\n/)
    assert.equal(lines.length, SQL_ROWS + 1)
    assert.equal(lines[SQL_ROWS], `${SQL_ROWS},14ee22eaba297944c96afdbe5b16c65b`)
    console.log(
      `big data: SQL 100k rows: Run to first row shown ${run} ms (10,000 kept, ${domRows} rows in the DOM); longest main-thread task ${task} ms; ` +
        `CSV of ${SQL_ROWS.toLocaleString('en')} rows (${(statSync(file).size / 1e6).toFixed(1)} MB) downloaded in ${csvMs} ms`,
    )
  })

  test('pages a collection of a million documents without counting it', async () => {
    const { docs, seconds: seededIn } = await mongoSeeded
    console.log(
      `big data: seeded MongoDB with ${docs.toLocaleString('en')} documents (batches of 10,000) in ${seededIn} s` +
        (docs < DOCS ? ` (the ${SEED_SECONDS} s budget ran out before ${DOCS.toLocaleString('en')})` : ''),
    )
    const started = performance.now()
    await page.goto('/project/default/databases/mongodb')
    const db = page.locator('[data-database="big"]')
    await expectVisible(db)
    await db.locator('a.tree-item').click()
    await expectVisible(page.locator('[data-collection="big.events"] a'))
    await longestTask(page)
    const open = await timeClick(page, '[data-collection="big.events"] a', '.doc-table [role="row"][data-id]')
    const firstPage = Math.round(performance.now() - started)
    const status = page.locator('.doc-status')
    await expectVisible(page.locator(`text=Showing 1–20 of ${docs.toLocaleString('en')} (estimated)`))
    const rows = page.locator('.doc-table [role="row"][data-id]')
    assert.equal(await rows.count(), 20)
    // A dialog covers the sticky table header (layered globally in styles.css).
    await page.click('button:has-text("Insert Document")')
    await expectVisible(page.locator('[role="dialog"]'))
    const covered = await page.evaluate(() => {
      const head = document.querySelector('.doc-table .dt-head').getBoundingClientRect()
      return document.elementFromPoint(head.left + 80, head.top + head.height / 2)?.closest('.backdrop') != null
    })
    assert.ok(covered, 'the sticky table header is drawn over the dialog')
    await page.click('[role="dialog"] button:has-text("Cancel")')
    await expectHidden(page.locator('[role="dialog"]'))
    const next = await timeClick(page, ['.pager button', 'Next'], ['.doc-status', 'Showing 21–40'])
    await expectVisible(page.locator('text=Showing 21–40'))
    assert.match(await status.innerText(), /\(estimated\)/)
    // The largest page: still only the rows in view are in the DOM.
    await page.selectOption('select[name="limit"]', '200')
    await expectVisible(page.locator('text=Showing 1–200'))
    assert.ok((await rows.count()) < 60, `${await rows.count()} document rows in the DOM`)
    await page.click('button:has-text("Next ›")')
    await expectVisible(page.locator('text=Showing 201–400'))
    console.log(
      `big data: ${docs.toLocaleString('en')} documents: page shown ${firstPage} ms after navigation (click on the collection to rows ${open} ms); ` +
        `"Next" ${next} ms; longest main-thread task ${await longestTask(page)} ms`,
    )
  })
})
