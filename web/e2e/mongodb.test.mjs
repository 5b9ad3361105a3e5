// End-to-end tests of the MongoDB pages in headless Chromium against the real binary and the
// MongoDB-wire test server (nx-27017; see /work/shared/mongo-test-server.md for what it supports).
// Each test saves a screenshot under web/e2e/output/; with SWITCHBOARD_UPDATE_SCREENSHOTS=1 the
// documents view also goes to docs/screenshots/mongodb-documents.png, which the README can show.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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
  startStack,
} from './harness.mjs'

const output = outputDir
const docsShots = path.join(repoRoot, 'docs', 'screenshots')
const M = '/api/platform/mongodb/default'
const CUSTOMERS = `${M}/databases/shop/collections/customers`

let stack
let browser
let context
let page
let admin

async function shot(target, name) {
  await target.screenshot({ path: path.join(output, `${name}.png`) })
}

/** `it`, saving a screenshot of the page when the test fails. */
const test = itWithFailureShot(it, () => page, 'mongodb-')

/** Opens a collection from the tree, as a person would. */
async function openCollection(p, db, collection) {
  await p.goto('/project/default/databases/mongodb')
  const dbItem = p.locator(`[data-database="${db}"]`)
  await expectVisible(dbItem)
  await dbItem.locator('a.tree-item').click()
  await p.locator(`[data-collection="${db}.${collection}"] a`).click()
  await expectVisible(p.locator('.doc-table [role="row"][data-id]').first())
}

const docRows = () => page.locator('.doc-table [role="row"][data-id]')

describe('MongoDB pages', () => {
  before(async () => {
    mkdirSync(output, { recursive: true })
    mkdirSync(docsShots, { recursive: true })
    stack = await startStack({ mongo: true })
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin('POST', `${M}/connections`, { identifier: 'docs', host: '127.0.0.1', port: stack.mongoPort })
    // A few customers with the types a table has to show: ObjectIds, dates, 64-bit integers,
    // nested documents and arrays.
    await admin('POST', `${CUSTOMERS}/documents`, {
      documents: [
        { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', since: { $date: '2021-03-01T09:00:00Z' }, visits: { $numberLong: '9007199254740993' }, tags: ['early', 'math'], address: { city: 'London' } },
        { name: 'Grace Hopper', email: 'grace@example.com', plan: 'team', since: { $date: '2022-07-15T12:30:00Z' }, visits: 42, tags: ['navy'] },
        { name: 'Alan Turing', email: 'alan@example.com', plan: 'free', visits: 7, address: { city: 'Manchester', zip: 'M13' } },
        { name: 'Edsger Dijkstra', email: 'edsger@example.com', plan: 'pro', visits: 3 },
        { _id: 'custom-id', name: 'Barbara Liskov', plan: 'team', visits: 11 },
      ],
    })
    // A collection bigger than a page, to page through.
    const events = Array.from({ length: 1000 }, (_, i) => ({ n: i, kind: i % 2 ? 'click' : 'view' }))
    await admin('POST', `${M}/databases/shop/collections/events/documents`, { documents: events })
    await admin('POST', '/api/platform/users', { email: 'viewer@example.com', password: 'e2e-viewer-password' })
    await admin('POST', '/api/platform/projects/default/members', { email: 'viewer@example.com', role: 'viewer' })
    browser = await launchBrowser()
    context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1360, height: 800 } })
    page = await context.newPage()
    await page.goto('/project/default/databases/mongodb')
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.waitForURL('**/project/default/databases/mongodb')
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('inserts a document in the editor, filters for it and deletes it with Confirm', async () => {
    const started = Date.now()
    await openCollection(page, 'shop', 'customers')
    console.log(`first render: MongoDB documents shown ${Date.now() - started} ms after navigation`)
    assert.equal(await docRows().count(), 5)
    // Each row carries the {id} path segment: 24 hex digits for an ObjectId, JSON for other ids.
    assert.ok(await page.locator('.doc-table [role="row"][data-id=\'"custom-id"\']').isVisible())
    // A 64-bit integer keeps its last digit on the way through the browser.
    await expectVisible(page.locator('.doc-table [role="cell"]:has-text("9007199254740993")'))
    await expectVisible(page.locator('text=of 5 (estimated)'))

    // Insert Document
    await page.click('button:has-text("Insert Document")')
    await page.fill('[data-name="document"]', '{\n  "name": "Test Document",\n  "plan": "trial",\n  "at": {"$date": "2026-01-01T00:00:00Z"}\n}')
    await page.click('[role="dialog"] button:has-text("Save")')
    await expectHidden(page.locator('[role="dialog"]'))
    await expectVisible(page.locator('text=Document inserted'))
    // The inserted document is shown: the filter now selects it by its _id.
    await expectVisible(docRows().filter({ hasText: 'Test Document' }))
    assert.equal(await docRows().count(), 1)
    assert.match(await page.locator('input[name="filter"]').inputValue(), /^\{"_id":\{"\$oid":"[0-9a-f]{24}"\}\}$/)
    if (process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: path.join(docsShots, 'mongodb-documents.png') })
    }
    await shot(page, 'mongodb-documents')

    // Filter for it: it appears, the others do not.
    await page.fill('input[name="filter"]', '{"name": "Test Document"}')
    await page.click('button:has-text("Find")')
    await expectHidden(docRows().filter({ hasText: 'Ada Lovelace' }))
    const row = docRows().filter({ hasText: 'Test Document' })
    await expectVisible(row)
    assert.equal(await docRows().count(), 1)
    await expectVisible(page.locator('text=Showing 1–1 of 1'))
    const { data } = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"name":"Test Document"}')}`)
    assert.equal(data.documents.length, 1)
    const id = data.documents[0]._id.$oid
    assert.match(id, /^[0-9a-f]{24}$/)
    assert.equal(await row.getAttribute('data-id'), id)
    assert.equal(data.documents[0].at.$date, '2026-01-01T00:00:00Z')
    await shot(page, 'mongodb-filtered')

    // Delete it with Confirm: gone from the page and from the collection.
    await page.click(`.doc-table [role="row"][data-id="${id}"] button:has-text("Delete")`)
    await page.click(`.doc-table [role="row"][data-id="${id}"] button:has-text("Confirm")`)
    await expectHidden(page.locator(`[data-id="${id}"]`))
    await expectVisible(page.locator('text=No document matches this filter'))
    const left = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"name":"Test Document"}')}`)
    assert.deepEqual(left.data.documents, [])
  })

  test('refuses invalid Extended JSON with a message and Save disabled', async () => {
    await openCollection(page, 'shop', 'customers')
    await page.click('button:has-text("Insert Document")')
    const save = page.locator('[role="dialog"] button:has-text("Save")')
    const problem = page.locator('[role="dialog"] .json-problem')

    await page.fill('[data-name="document"]', '{"_id": {"$oid": "not-hex"}, "name": "x"}')
    await expectVisible(problem)
    assert.match(await problem.innerText(), /24 character hex string/)
    assert.equal(await save.isDisabled(), true)

    await page.fill('[data-name="document"]', '{\n  "name": "x",\n  "n": \n}')
    await expectVisible(problem)
    assert.match(await problem.innerText(), /Line 4, column 1: Unexpected token/)
    assert.equal(await save.isDisabled(), true)
    await shot(page, 'mongodb-invalid-json')

    // Shell syntax is accepted: trailing commas, ISODate(…).
    await page.fill('[data-name="document"]', "{at: ISODate('2026-01-01'), name: 'x',}")
    await expectHidden(problem)
    assert.equal(await save.isDisabled(), false)

    await page.fill('[data-name="document"]', '{"name": "x", "n": {"$numberLong": "42"}}')
    await expectHidden(problem)
    assert.equal(await save.isDisabled(), false)
    await page.click('[role="dialog"] button:has-text("Cancel")')
    await expectHidden(page.locator('[role="dialog"]'))
  })

  test('edits a document in the JSON view (replace, _id kept)', async () => {
    await openCollection(page, 'shop', 'customers')
    await page.click('button[aria-pressed]:has-text("JSON")')
    const card = page.locator('.doc-card[data-id=\'"custom-id"\']')
    await expectVisible(card)
    await card.locator('button:has-text("Edit")').click()
    const editor = page.locator('[data-name="document"]')
    await expectVisible(editor)
    assert.match(await editor.innerText(), /"_id": "custom-id"/)
    await page.fill('[data-name="document"]', '{\n  "_id": "custom-id",\n  "name": "Barbara Liskov",\n  "plan": "pro",\n  "turing_award": 2008\n}')
    await page.click('[role="dialog"] button:has-text("Save")')
    await expectVisible(page.locator('text=Document saved'))
    await expectVisible(card.locator('pre:has-text("turing_award")'))
    const { data } = await admin('GET', `${CUSTOMERS}/documents/${encodeURIComponent('"custom-id"')}`)
    assert.deepEqual(data, { _id: 'custom-id', name: 'Barbara Liskov', plan: 'pro', turing_award: 2008 })
    await shot(page, 'mongodb-json-view')
  })

  test('pages through a big collection a page at a time', async () => {
    const finds = []
    page.on('request', (r) => {
      if (r.url().includes('/collections/events/documents')) finds.push(new URL(r.url()).searchParams)
    })
    await openCollection(page, 'shop', 'events')
    assert.equal(await docRows().count(), 20)
    await expectVisible(page.locator('text=Showing 1–20 of 1,000 (estimated)'))
    await page.click('button:has-text("Next ›")')
    await expectVisible(page.locator('text=Showing 21–40'))
    await expectVisible(page.locator('text=Page 2'))
    // Every request asks for one page; only the first one counts (from metadata, no filter).
    assert.ok(finds.length >= 2)
    assert.ok(finds.every((q) => q.get('limit') === '20'))
    assert.equal(finds.at(-1).get('skip'), '20')
    assert.notEqual(finds.at(-1).get('count'), 'true')
    await shot(page, 'mongodb-paging')
  })

  test('runs an aggregation and manages an index', async () => {
    await openCollection(page, 'shop', 'customers')
    await page.click('[role="tab"]:has-text("Aggregation")')
    await page.fill('[data-name="pipeline"]', '[\n  {"$group": {"_id": "$plan", "n": {"$sum": 1}}},\n  {"$sort": {"_id": 1}}\n]')
    await page.click('button:has-text("Run")')
    await expectVisible(page.locator('.doc-card pre:has-text("\\"free\\"")'))
    await expectVisible(page.locator('text=3 results'))
    // A mistake in the pipeline is caught before it is sent.
    await page.fill('[data-name="pipeline"]', '[{"$match": {}}, 5]')
    await expectVisible(page.locator('.json-problem:has-text("Stage 2 must be an object")'))
    assert.equal(await page.locator('button:has-text("Run")').isDisabled(), true)
    // The server's error is readable.
    await page.fill('[data-name="pipeline"]', '[{"$nope": {}}]')
    await page.click('button:has-text("Run")')
    const alert = page.locator('.aggregation-tab [role="alert"]')
    await expectVisible(alert)
    assert.doesNotMatch(await alert.innerText(), /[{}]"/)
    await shot(page, 'mongodb-aggregation')

    await page.click('[role="tab"]:has-text("Indexes")')
    await expectVisible(page.locator('[data-index="_id_"]'))
    await page.click('button:has-text("Create Index")')
    await page.fill('[data-name="index-keys"]', '{"email": 1}')
    await page.fill('input[name="index-name"]', 'email_unique')
    await page.check('input[name="unique"]')
    await page.click('form[aria-label="Create index"] button:has-text("Create")')
    await expectVisible(page.locator('text=Index email_unique created'))
    // nx-27017 may list a unique index under its own name (see mongo-test-server.md): find it by key.
    const created = page.locator('tr[data-index]', { hasText: '{"email":1}' })
    await expectVisible(created)
    await expectVisible(created.locator('.index-tag:has-text("unique")'))
    const name = await created.getAttribute('data-index')
    await shot(page, 'mongodb-indexes')
    await created.locator('button:has-text("Drop")').click()
    await page.fill('[role="dialog"] input', name)
    await page.click('[role="dialog"] button:has-text("Drop Index")')
    await expectHidden(page.locator(`tr[data-index="${name}"]`))
    assert.equal(await page.locator('[data-index="_id_"] button:has-text("Drop")').isDisabled(), true)
  })

  test('creates and drops a collection and a database', async () => {
    await page.goto('/project/default/databases/mongodb')
    await page.click('button:has-text("Create Database")')
    await page.fill('input[name="database-name"]', 'scratch')
    await page.fill('input[name="collection-name"]', 'notes')
    await page.click('[role="dialog"] button:has-text("Create")')
    await page.waitForURL('**/databases/mongodb?db=scratch&collection=notes')
    await expectVisible(page.locator('text=This collection has no documents yet'))
    await expectVisible(page.locator('[data-collection="scratch.notes"]'))

    await page.click('[data-database="scratch"] a.tree-item')
    // The database overview: its stats and collections.
    await expectVisible(page.locator('.stats dt:has-text("Documents")'))
    await expectVisible(page.locator('.mongo-main td a:has-text("notes")'))
    await shot(page, 'mongodb-database')
    await page.click('button:has-text("Create Collection")')
    await page.fill('[role="dialog"] input[name="collection-name"]', 'capped_log')
    await page.check('input[name="capped"]')
    await page.fill('input[name="capped-size"]', '65536')
    await page.fill('[data-name="validator"]', '{"$jsonSchema": {"bsonType": "object", "required": ["msg"]}}')
    await page.click('[role="dialog"] button:has-text("Create")')
    await page.waitForURL('**/databases/mongodb?db=scratch&collection=capped_log')
    await expectVisible(page.locator('[data-collection="scratch.capped_log"]'))
    await shot(page, 'mongodb-created')

    await page.click('button:has-text("Drop Collection")')
    await page.fill('[role="dialog"] input', 'capped_log')
    await page.click('[role="dialog"] button:has-text("Drop Collection")')
    await page.waitForURL('**/databases/mongodb?db=scratch')
    await expectHidden(page.locator('[data-collection="scratch.capped_log"]'))
    await page.click('button:has-text("Drop Database")')
    await page.fill('[role="dialog"] input', 'scratch')
    await page.click('[role="dialog"] button:has-text("Drop Database")')
    await expectHidden(page.locator('[data-database="scratch"]'))
    const { data } = await admin('GET', `${M}/databases`)
    assert.ok(!data.some((d) => d.name === 'scratch'))
  })

  test('shows a viewer the documents with write controls disabled', async () => {
    const viewer = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1360, height: 800 } })
    const p = await viewer.newPage()
    await p.goto('/project/default/databases/mongodb?db=shop&collection=customers')
    await signIn(p, 'viewer@example.com', 'e2e-viewer-password')
    await expectVisible(p.locator('.doc-table [role="row"][data-id]').first())
    const insert = p.locator('button:has-text("Insert Document")')
    assert.equal(await insert.isDisabled(), true)
    assert.match((await insert.getAttribute('title')) ?? '', /viewer/)
    assert.equal(await p.locator('.doc-table [role="row"][data-id] button:has-text("Delete")').first().isDisabled(), true)
    assert.equal(await p.locator('button:has-text("Drop Collection")').isDisabled(), true)
    // Reading still works: a filter finds a document.
    await p.fill('input[name="filter"]', '{"plan": "free"}')
    await p.click('button:has-text("Find")')
    await expectVisible(p.locator('.doc-table [role="row"][data-id]:has-text("Alan Turing")'))
    await shot(p, 'mongodb-viewer')
    await viewer.close()
  })
  test('reads a pasted shell-syntax filter with ObjectId(…) and ISODate(…), sending canonical Extended JSON', async () => {
    const { data } = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"name":"Ada Lovelace"}')}`)
    const ada = data.documents[0]._id.$oid
    const finds = []
    const listen = (r) => {
      if (r.url().includes('/collections/customers/documents?')) finds.push(new URL(r.url()).searchParams)
    }
    page.on('request', listen)
    await openCollection(page, 'shop', 'customers')
    await page.fill('input[name="filter"]', `{_id: ObjectId('${ada}'),}`)
    await page.click('button:has-text("Find")')
    await expectVisible(page.locator('text=Showing 1–1'))
    assert.equal(await docRows().count(), 1)
    await expectVisible(docRows().filter({ hasText: 'Ada Lovelace' }))
    assert.equal(finds.at(-1).get('filter'), `{"_id":{"$oid":"${ada}"}}`)

    await page.fill('input[name="filter"]', "{since: {$gte: ISODate('2022-01-01')}, 'plan': 'team'}")
    await page.click('button:has-text("Find")')
    await expectVisible(docRows().filter({ hasText: 'Grace Hopper' }))
    await expectHidden(docRows().filter({ hasText: 'Ada Lovelace' }))
    assert.equal(await docRows().count(), 1)
    assert.equal(finds.at(-1).get('filter'), '{"since":{"$gte":{"$date":{"$numberLong":"1640995200000"}}},"plan":"team"}')
    page.off('request', listen)
  })

  test('a refused filter clears the stale results, and the server says why without a driver dump', async () => {
    await openCollection(page, 'shop', 'customers')
    assert.ok((await docRows().count()) > 0)
    const finds = []
    const listen = (r) => {
      if (r.url().includes('/collections/customers/documents?')) finds.push(r.url())
    }
    page.on('request', listen)
    // Refused in the browser: no request, the old page is gone, the message is under the field.
    await page.fill('input[name="filter"]', '{name: }')
    await expectVisible(page.locator('.json-problem-line:has-text("Filter")'))
    await page.click('button:has-text("Find")')
    await expectHidden(page.locator('.doc-table'))
    assert.equal(finds.length, 0)
    // Refused by the server: its message, no hex bytes or `Kind:`; the old page is gone too.
    await page.fill('input[name="filter"]', '')
    await page.click('button:has-text("Find")')
    await expectVisible(docRows().first())
    await page.fill('input[name="filter"]', '{name: {$bogus: 1}}')
    await page.click('button:has-text("Find")')
    const alert = page.locator('.documents-tab [role="alert"]')
    await expectVisible(alert)
    const text = await alert.innerText()
    assert.match(text, /bogus/i)
    assert.doesNotMatch(text, /Kind:|Error \{|labels|\\x[0-9a-f]{2}/)
    await expectHidden(page.locator('.doc-table'))
    page.off('request', listen)
    await shot(page, 'mongodb-refused-filter')
  })

  test('edits one nested field through the field tree ($set) and shows the last page', async () => {
    const { data } = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"name":"Alan Turing"}')}`)
    const alan = data.documents[0]._id.$oid
    await openCollection(page, 'shop', 'customers')
    // A nested document in the table opens the tree at that field.
    await docRows().filter({ hasText: 'Alan Turing' }).locator('button[aria-label="Expand address"]').click()
    const tree = page.locator('.doc-inspector')
    const city = tree.locator('[data-path="address.city"]')
    await expectVisible(city)
    await city.locator('button:has-text("Edit")').first().click()
    await tree.locator('input[aria-label="New value"]').fill('Cambridge')
    await tree.locator('button:has-text("Set")').click()
    await expectVisible(page.locator('text=Field address.city set'))
    const { data: stored } = await admin('GET', `${CUSTOMERS}/documents/${alan}`)
    assert.deepEqual(stored.address, { city: 'Cambridge', zip: 'M13' })
    assert.equal(stored.name, 'Alan Turing')
    await expectVisible(tree.locator('[data-path="address.city"]:has-text("Cambridge")'))
    await shot(page, 'mongodb-field-tree')

    await openCollection(page, 'shop', 'events')
    await expectVisible(page.locator('[aria-label="Page"]:has-text("Page 1 of ~50")'))
    await page.click('button[aria-label="Last page"]')
    await expectVisible(page.locator('text=Showing 981–1,000'))
    assert.equal(await page.locator('button[aria-label="Last page"]').isDisabled(), true)
  })

  test('a double-click on any destructive control changes nothing; typed confirmation states the counts', async () => {
    const DOOMED = `${M}/databases/doomed/collections`
    await admin('POST', `${DOOMED}/ten/documents`, { documents: Array.from({ length: 10 }, (_, n) => ({ n })) })
    await admin('POST', `${DOOMED}/other/documents`, { documents: [{ a: 1 }, { a: 2 }, { a: 3 }] })
    await admin('POST', `${DOOMED}/ten/indexes`, { key: { n: 1 }, options: { name: 'n_1' } })
    const collections = async () => (await admin('GET', `${M}/databases/doomed/collections`)).data
    const countOf = async (name) => (await collections()).find((c) => c.name === name)?.info?.count ?? null
    const dialog = page.locator('[role="dialog"]')
    const submit = dialog.locator('button[type="submit"]')

    // Delete document: the quick confirm; the second click lands on Cancel.
    await page.goto('/project/default/databases/mongodb?db=doomed&collection=ten')
    await expectVisible(docRows().first())
    const first = docRows().first()
    const id = await first.getAttribute('data-id')
    await first.locator('button:has-text("Delete")').dblclick()
    // Still stored (a missing document would be a 404, which `admin` throws on).
    assert.ok((await admin('GET', `${DOOMED}/ten/documents/${id}`)).data)
    assert.equal((await admin('GET', `${DOOMED}/ten/documents?count=true`)).data.total, 10)
    await expectVisible(page.locator(`.doc-table [data-id="${id}"]`))

    // Drop collection: the dialog opens in the middle; nothing is dropped by the second click.
    await page.locator('.mongo-main > .toolbar button:has-text("Drop Collection")').dblclick()
    await expectVisible(dialog)
    assert.equal(await submit.isDisabled(), true)
    assert.ok((await collections()).some((c) => c.name === 'ten'))
    const tenCount = await countOf('ten')
    // collStats' count: 10 on mongod; the line says so with "about" (metadata, not a scan).
    if (tenCount !== null) await expectVisible(dialog.locator(`li:has-text("about ${tenCount.toLocaleString('en-US')} documents will be lost")`))
    // Indexes: collStats' nindexes, or the index listing where the server leaves it out.
    await expectVisible(dialog.locator('li:has-text("2 indexes will be lost")'))
    await dialog.locator('input').fill('te')
    assert.equal(await submit.isDisabled(), true)
    await shot(page, 'mongodb-typed-drop-collection')
    await dialog.locator('button:has-text("Cancel")').click()
    await expectHidden(dialog)

    // Drop index.
    await page.click('[role="tab"]:has-text("Indexes")')
    const index = page.locator('tr[data-index]', { hasText: '{"n":1}' })
    await expectVisible(index)
    const indexName = await index.getAttribute('data-index')
    await index.locator('button:has-text("Drop")').dblclick()
    await expectVisible(dialog)
    assert.equal(await submit.isDisabled(), true)
    assert.ok((await admin('GET', `${DOOMED}/ten/indexes`)).data.some((i) => i.name === indexName))
    await dialog.locator('button:has-text("Cancel")').click()

    // Drop database: collections from dbStats, documents from dbStats' objects.
    await page.goto('/project/default/databases/mongodb?db=doomed')
    await expectVisible(page.locator('.stats dt:has-text("Documents")'))
    await page.locator('.mongo-main > .toolbar button:has-text("Drop Database")').dblclick()
    await expectVisible(dialog)
    assert.equal(await submit.isDisabled(), true)
    assert.ok((await admin('GET', `${M}/databases`)).data.some((d) => d.name === 'doomed'))
    const stats = (await admin('GET', `${M}/databases/doomed/stats`)).data
    if (stats.collections !== null) await expectVisible(dialog.locator(`li:has-text("${stats.collections} collections will be lost")`))
    if (stats.objects !== null) await expectVisible(dialog.locator(`li:has-text("about ${stats.objects} documents will be lost")`))
    await shot(page, 'mongodb-typed-drop-database')

    // Typing the name drops it.
    await dialog.locator('input').fill('doomed')
    await submit.click()
    await expectHidden(page.locator('[data-database="doomed"]'))
    assert.ok(!(await admin('GET', `${M}/databases`)).data.some((d) => d.name === 'doomed'))
  })

  test('exports a filtered collection as CSV and NDJSON, and imports a CSV after its preview', async () => {
    await openCollection(page, 'shop', 'customers')
    await page.fill('input[name="filter"]', '{"plan": "pro"}')
    await page.click('button:has-text("Find")')
    await expectHidden(docRows().filter({ hasText: 'Grace Hopper' }))
    const saved = async (link) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(link)])
      const file = path.join(output, download.suggestedFilename())
      await download.saveAs(file)
      return readFileSync(file, 'utf8')
    }
    // Earlier tests edit the customers: the matches are whatever the API says they are now.
    const { data: matching } = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"plan":"pro"}')}`)
    const names = matching.documents.map((d) => d.name).sort()
    assert.ok(names.includes('Ada Lovelace') && !names.includes('Grace Hopper'))
    const csv = (await saved('a:has-text("Export CSV")')).trim().split(/\r?\n/)
    assert.equal(csv.length, 1 + names.length, 'a header and the matches')
    assert.ok(csv[0].split(',').includes('address.city'), `nested fields are dotted columns: ${csv[0]}`)
    assert.ok(names.every((n) => csv.some((l) => l.includes(n))))
    const ndjson = (await saved('a:has-text("Export NDJSON")')).trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(ndjson.map((d) => d.name).sort(), names)

    const upload = path.join(output, 'new-customers.csv')
    writeFileSync(upload, 'name,plan,visits,address.city\nKatherine Johnson,trial,5,Hampton\nMargaret Hamilton,trial,8,Boston\n')
    await page.click('button:has-text("Import…")')
    const dialog = page.locator('[role="dialog"]')
    await dialog.locator('input[type="file"]').setInputFiles(upload)
    await expectVisible(dialog.locator('.import-preview td:has-text("Katherine Johnson")'))
    assert.equal(await dialog.locator('.import-preview th:has-text("visits") [data-type]').textContent(), 'integer')
    await dialog.locator('button[type="submit"]').click()
    await expectVisible(dialog.locator('.import-report:has-text("2 documents inserted")'))
    await dialog.locator('button:has-text("Close")').click()
    const { data } = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"plan":"trial"}')}`)
    const katherine = data.documents.find((d) => d.name === 'Katherine Johnson')
    assert.deepEqual([katherine.visits, katherine.address], [5, { city: 'Hampton' }])

    // Delete matching…: the dry run's count must be typed; then exactly the matches go.
    const trial = data.documents.length
    await page.fill('input[name="filter"]', '{"plan": "trial"}')
    await page.click('button:has-text("Find")')
    await page.click('button:has-text("Delete matching…")')
    const confirm = page.locator('[role="dialog"]')
    await expectVisible(confirm.locator('label code', { hasText: new RegExp(`^${trial}$`) }))
    await expectVisible(confirm.locator('.sample li').first())
    await confirm.locator('input').fill(String(trial + 1))
    assert.equal(await confirm.locator('button[type="submit"]').isDisabled(), true)
    await confirm.locator('input').fill(String(trial))
    await confirm.locator('button[type="submit"]:not([disabled])').click()
    await confirm.waitFor({ state: 'detached' })
    await expectVisible(page.locator(`text=${trial} documents deleted`))
    const after = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"plan":"trial"}')}`)
    assert.equal(after.data.documents.length, 0)
    const others = await admin('GET', `${CUSTOMERS}/documents?filter=${encodeURIComponent('{"plan":"pro"}')}`)
    assert.ok(others.data.documents.length > 0, 'the other documents stay')
  })
})
