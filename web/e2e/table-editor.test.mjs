// End-to-end test of the PostgreSQL Table Editor in headless Chromium against the real binary and a
// real PostgreSQL: a table with a foreign key created through the dialog, rows inserted, a cell
// edited, filtered, sorted, a foreign key followed, a delete confirmed, a conflicting save (409),
// types generated, and a viewer who sees every write control disabled.
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
  psql,
  signedInContext,
  startStack,
} from './harness.mjs'

let stack
let browser
let page
let admin

const test = itWithFailureShot(it, () => page, 'table-editor-')
const editor = '/project/default/databases/postgres/tables'

/** Rows of SQL run as the admin through the API (the way another user changes data meanwhile). */
async function sql(query) {
  return (await admin('POST', '/api/platform/pg-meta/default/query', { query })).data
}

async function pets() {
  return sql('SELECT id::text, name, owner_id::text, mood::text FROM pets ORDER BY id')
}

/** The grid's cells of a column, as text, top to bottom. */
async function columnTexts(column) {
  return page.locator(`.rg2-cell[data-column="${column}"] .cell-text`).allInnerTexts()
}

async function petsTableId() {
  const tables = (await admin('GET', '/api/platform/pg-meta/default/tables')).data
  return tables.find((t) => t.schema === 'public' && t.name === 'pets').id
}

describe('Table Editor', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    stack = await startStack()
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    psql(
      stack.pgPort,
      `CREATE ROLE reader LOGIN; GRANT pg_read_all_data TO reader;
       CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
       CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL);
       INSERT INTO owners VALUES (1, 'Ada'), (2, 'Grace');`,
    )
    await admin('POST', '/api/platform/postgres/default/connections', {
      identifier: 'main-db',
      host: '127.0.0.1',
      port: stack.pgPort,
      username: 'postgres',
      database_name: 'postgres',
      viewer_username: 'reader',
    })
    await admin('POST', '/api/platform/users', { email: 'viewer@example.com', password: 'e2e-viewer-password' })
    await admin('POST', '/api/platform/projects/default/members', { email: 'viewer@example.com', role: 'viewer' })
    browser = await launchBrowser()
    const context = await signedInContext(browser, stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = await context.newPage()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('creates a table with a foreign key through the dialog, SQL shown before Apply', async () => {
    await page.goto('/project/default/databases/postgres')
    await page.click('nav[aria-label="PostgreSQL pages"] a:has-text("Table Editor")')
    await expectVisible(page.locator('[data-table="public.owners"]'))
    await page.click('button:has-text("New table")')
    const dialog = page.locator('[role="dialog"]')
    await dialog.locator('[aria-label="Table name"]').fill('pets')
    const add = async (name, type) => {
      await dialog.locator('button:has-text("Add column")').click()
      const row = dialog.locator('.column-spec').last()
      await row.locator('[aria-label="Column name"]').fill(name)
      await row.locator('[aria-label="Column type"]').fill(type)
      return row
    }
    const name = await add('name', 'text')
    await name.locator('[aria-label="Nullable"]').uncheck()
    const owner = await add('owner_id', 'bigint')
    await owner.locator('[aria-label="Referenced table"]').selectOption('public.owners')
    await owner.locator('[aria-label="Referenced column"]').selectOption('id')
    await add('mood', 'mood')
    await add('meta', 'jsonb')
    assert.equal(await dialog.locator('button:has-text("Create table")').isDisabled(), true)
    await dialog.locator('button:has-text("Preview SQL")').click()
    await expectVisible(dialog.locator('[data-sql-preview]'))
    const preview = await dialog.locator('[data-sql-preview]').innerText()
    assert.match(preview, /CREATE TABLE/i)
    assert.match(preview, /REFERENCES/i)
    await dialog.locator('button:has-text("Create table")').click()
    await expectHidden(dialog)
    await expectVisible(page.locator('[data-table-view="public.pets"]'))
    await expectVisible(page.locator('.rg2-head button[data-column="owner_id"]'))
    await page.screenshot({ path: path.join(outputDir, 'table-editor-create.png') })
  })

  test('inserts rows in the insert panel, defaults left to the database', async () => {
    for (const [petName, ownerId, mood] of [
      ['Rex', '1', 'happy'],
      ['Tom', '2', 'sad'],
      ['Zed', '1', 'ok'],
    ]) {
      await page.click('.table-view .toolbar button:has-text("Insert row")')
      const dialog = page.locator('[role="dialog"]')
      await expectVisible(dialog)
      await dialog.locator('[data-field="name"] [aria-label="name"]').fill(petName)
      await dialog.locator('[data-field="owner_id"] [aria-label="owner_id is NULL"]').uncheck()
      await dialog.locator('[data-field="owner_id"] [aria-label="owner_id"]').fill(ownerId)
      await dialog.locator('[data-field="mood"] [aria-label="mood is NULL"]').uncheck()
      await dialog.locator('[data-field="mood"] [aria-label="mood"]').selectOption(mood)
      await dialog.locator('.buttons button:has-text("Insert row")').click()
      await expectHidden(dialog)
    }
    assert.deepEqual(
      (await pets()).map((r) => [r.name, r.owner_id, r.mood]),
      [
        ['Rex', '1', 'happy'],
        ['Tom', '2', 'sad'],
        ['Zed', '1', 'ok'],
      ],
    )
    await page.click('.table-view .toolbar button:has-text("Refresh")')
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="name"]').length === 3)
    assert.deepEqual(await columnTexts('name'), ['Rex', 'Tom', 'Zed'])
  })

  test('edits a cell: text, and JSON whose big number is kept exact', async () => {
    await page.locator('.rg2-cell[data-column="name"]', { hasText: 'Rex' }).dblclick()
    const dialog = page.locator('[role="dialog"]')
    await dialog.locator('[aria-label="name"]').fill('Rex II')
    await dialog.locator('button:has-text("Save")').click()
    await expectHidden(dialog)
    await expectVisible(page.locator('.rg2-cell[data-column="name"]', { hasText: 'Rex II' }))
    assert.equal((await pets())[0].name, 'Rex II')
    // A JSON cell set to a value, then to NULL.
    await page.locator('.rg2-cell[data-column="meta"]').first().dblclick()
    await dialog.locator('[aria-label="meta is NULL"]').uncheck()
    await dialog.locator('[aria-label="meta"]').fill('{"n": 12345678901234567890}')
    await dialog.locator('button:has-text("Save")').click()
    await expectHidden(dialog)
    assert.equal((await sql(`SELECT meta->>'n' AS n FROM pets WHERE name = 'Rex II'`))[0].n, '12345678901234567890')
  })

  test('filters with the filter builder and sorts by a header click', async () => {
    await page.click('.table-view .toolbar button:has-text("Filter")')
    await page.click('button:has-text("Add filter")')
    await page.locator('[aria-label="Filter column"]').selectOption('name')
    await page.locator('[aria-label="Filter operator"]').selectOption('eq')
    await page.locator('[aria-label="Filter value"]').fill('Tom')
    await page.click('button:has-text("Apply filters")')
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="name"]').length === 1)
    assert.deepEqual(await columnTexts('name'), ['Tom'])
    assert.match(page.url(), /filter=name\.eq\.Tom/)
    await page.click('.filter-builder button:has-text("Clear")')
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="name"]').length === 3)

    await page.click('.rg2-head button[data-column="name"]')
    await page.click('.rg2-head button[data-column="name"]')
    await page.waitForFunction(() => document.querySelector('.rg2-cell[data-column="name"] .cell-text')?.textContent === 'Zed')
    assert.deepEqual(await columnTexts('name'), ['Zed', 'Tom', 'Rex II'])
    assert.match(page.url(), /order=name\.desc/)
  })

  test('follows a foreign key to the referenced row, and Back returns', async () => {
    const tom = page.locator('[role="row"]', { has: page.locator('.rg2-cell[data-column="name"]', { hasText: 'Tom' }) })
    await tom.locator('button[aria-label="Open referenced owners row"]').click()
    await expectVisible(page.locator('[data-table-view="public.owners"]'))
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="name"]').length === 1)
    assert.deepEqual(await columnTexts('name'), ['Grace'])
    assert.match(page.url(), /filter=id\.eq\.2/)
    await page.goBack()
    await expectVisible(page.locator('[data-table-view="public.pets"]'))
  })

  test('deletes selected rows only after a Confirm a double-click cannot reach', async () => {
    await page.goto(`${editor}?table=${await petsTableId()}`)
    const zed = page.locator('[role="row"]', { has: page.locator('.rg2-cell[data-column="name"]', { hasText: 'Zed' }) })
    await zed.locator('input[type="checkbox"]').check()
    const trigger = page.locator('button:has-text("Delete 1 selected")')
    // A double-click on Delete: the second click lands on Cancel, which took its place, or on a
    // Confirm that is not armed yet.
    await trigger.dblclick()
    assert.equal((await pets()).length, 3, 'the double-click deleted the row')
    if (await trigger.isVisible()) await trigger.click()
    const confirm = page.locator('.confirm-action button:has-text("Delete row")')
    await page.waitForSelector('.confirm-action button[data-armed="true"]')
    await confirm.click()
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="name"]').length === 2)
    assert.deepEqual((await pets()).map((r) => r.name), ['Rex II', 'Tom'])
  })

  test('a save over a change made meanwhile shows both values, then overwrites', async () => {
    await page.locator('.rg2-cell[data-column="name"]', { hasText: 'Tom' }).dblclick()
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog)
    // Someone else renames Tom behind the editor's back.
    await sql(`UPDATE pets SET name = 'Thomas' WHERE name = 'Tom'`)
    await dialog.locator('[aria-label="name"]').fill('Tommy')
    await dialog.locator('button:has-text("Save")').click()
    const conflict = page.locator('[role="dialog"][aria-label="This row changed since you loaded it"]')
    await expectVisible(conflict)
    assert.equal(await conflict.locator('[data-side="mine"]').innerText(), 'Tommy')
    assert.equal(await conflict.locator('[data-side="current"]').innerText(), 'Thomas')
    assert.equal((await pets())[1].name, 'Thomas', 'the refused save wrote nothing')
    await page.screenshot({ path: path.join(outputDir, 'table-editor-conflict.png') })
    await conflict.locator('button:has-text("Overwrite with mine")').click()
    await expectHidden(conflict)
    await expectVisible(page.locator('.rg2-cell[data-column="name"]', { hasText: 'Tommy' }))
    assert.equal((await pets())[1].name, 'Tommy')
  })

  test('creates an index (marked unused) and drops it on the Database page, SQL shown first', async () => {
    await page.click('nav[aria-label="PostgreSQL pages"] a:has-text("Database")')
    await page.click('button:has-text("Create index")')
    const dialog = page.locator('[role="dialog"]')
    await dialog.locator('[aria-label="Index table"]').selectOption('public.pets')
    await dialog.locator('[aria-label="Index column name"]').check()
    await dialog.locator('[aria-label="Index name"]').fill('pets_name_idx')
    await dialog.locator('button:has-text("Preview SQL")').click()
    await expectVisible(dialog.locator('[data-sql-preview]'))
    assert.match(await dialog.locator('[data-sql-preview]').innerText(), /CREATE INDEX/i)
    await dialog.locator('.dry-run button:has-text("Create index")').click()
    await expectHidden(dialog)
    const row = page.locator('tr[data-index="pets_name_idx"]')
    await expectVisible(row)
    assert.equal(await row.getAttribute('class'), 'unused')
    await row.locator('button:has-text("Drop")').click()
    await dialog.locator('button:has-text("Preview SQL")').click()
    await expectVisible(dialog.locator('[data-sql-preview]'))
    assert.match(await dialog.locator('[data-sql-preview]').innerText(), /DROP INDEX/i)
    await dialog.locator('button:has-text("Drop index")').click()
    // The typed confirmation: the index's name, then Drop index.
    const typed = page.locator('form.typed-confirm')
    await expectVisible(typed)
    await typed.locator('input').fill('pets_name_idx')
    await typed.locator('button.danger:not([disabled])').click()
    await expectHidden(typed)
    await expectHidden(dialog)
    await expectHidden(row)
  })

  test('lists enums, roles, functions, triggers and policies on the Database page', async () => {
    const section = (name) => page.click(`nav[aria-label="Database objects"] a:has-text("${name}")`)
    await section('Enums')
    await expectVisible(page.locator('tr[data-object="mood"]'))
    assert.match(await page.locator('tr[data-object="mood"]').innerText(), /sad, ok, happy/)
    await section('Roles')
    await expectVisible(page.locator('tr[data-object="reader"]'))
    for (const name of ['Functions', 'Triggers', 'Policies', 'Extensions']) {
      await section(name)
      await page.waitForFunction(() => !document.querySelector('.database-page .loading, .database-page p.muted:not(.small)'))
      assert.equal(await page.locator('.database-page [role="alert"]').count(), 0, `${name} answered an error`)
    }
  })

  test('generates TypeScript types', async () => {
    await page.click('nav[aria-label="PostgreSQL pages"] a:has-text("Types")')
    await page.click('button:has-text("Generate types")')
    await expectVisible(page.locator('[data-types]'))
    const types = await page.locator('[data-types]').innerText()
    assert.match(types, /pets/)
    assert.match(types, /owner_id/)
    assert.equal(await page.locator('button:has-text("Download")').isDisabled(), false)
  })

  test('a viewer sees every write control disabled, with the reason', async () => {
    const context = await signedInContext(browser, stack.baseURL, 'viewer@example.com', 'e2e-viewer-password')
    const viewer = await context.newPage()
    try {
      await viewer.goto(`${editor}?table=${await petsTableId()}`)
      await expectVisible(viewer.locator('.rg2-cell[data-column="name"]', { hasText: 'Tommy' }))
      await expectVisible(viewer.locator('.read-only-note'))
      // Reading is theirs: the exact count replaces the planner's estimate.
      await viewer.click('button:has-text("Count exactly")')
      await viewer.waitForFunction(() => document.querySelector('[data-count]')?.textContent === '2 rows')
      for (const label of ['Insert row', 'Delete selected', 'New table', 'Change table']) {
        const button = viewer.locator(`button:has-text("${label}")`)
        assert.equal(await button.isDisabled(), true, `${label} is enabled for a viewer`)
        assert.match((await button.getAttribute('title')) ?? '', /viewer/)
      }
      assert.equal(await viewer.locator('.rg2-select input').first().isDisabled(), true)
      await viewer.locator('.rg2-cell[data-column="name"]').first().dblclick()
      assert.equal(await viewer.locator('[role="dialog"]').count(), 0)
      await viewer.screenshot({ path: path.join(outputDir, 'table-editor-viewer.png') })
    } finally {
      await context.close()
    }
  })
  test('imports a CSV into a new table after its preview, exports the filtered rows, imports more with a column mapping', async () => {
    const file = path.join(outputDir, 'visits.csv')
    const lines = ['id,visitor,amount,paid,at']
    for (let i = 1; i <= 50; i++) lines.push(`${i},"Visitor ${i}, the ""regular""",${i}.25,${i % 2 === 0},2026-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`)
    writeFileSync(file, lines.join('\n') + '\n')
    await page.goto(editor)
    await page.click('button:has-text("From a file…")')
    const dialog = page.locator('[role="dialog"]')
    await dialog.locator('input[type="file"]').setInputFiles(file)
    // The server's preview: inferred types (one changed here) and the first 20 rows.
    await expectVisible(dialog.locator('.import-preview td', { hasText: 'Visitor 1, the "regular"' }))
    assert.equal(await dialog.locator('.import-preview tbody tr').count(), 20)
    assert.equal(await dialog.locator('[aria-label="Type of id"]').inputValue(), 'bigint')
    assert.equal(await dialog.locator('[aria-label="Type of amount"]').inputValue(), 'numeric')
    assert.equal(await dialog.locator('[aria-label="Type of paid"]').inputValue(), 'boolean')
    assert.equal(await dialog.locator('[aria-label="Type of at"]').inputValue(), 'timestamptz')
    await dialog.locator('[aria-label="Type of visitor"]').selectOption('text')
    assert.equal(await dialog.locator('input[name="table"]').inputValue(), 'visits')
    await dialog.locator('button:has-text("Create table and import")').click()
    await expectVisible(dialog.locator('.import-report:has-text("50")'))
    await dialog.locator('button:has-text("Open the table")').click()
    await expectVisible(page.locator('.rg2-cell[data-column="visitor"]', { hasText: 'Visitor 1, the "regular"' }))
    const [counted] = await sql("SELECT count(*)::int AS n, sum(amount)::text AS total FROM visits WHERE paid")
    assert.deepEqual(counted, { n: 25, total: '656.25' })

    // Export CSV of a filtered view: the filter in the address goes with the link.
    const tables = (await admin('GET', '/api/platform/pg-meta/default/tables')).data
    const visits = tables.find((t) => t.name === 'visits').id
    await page.goto(`${editor}?table=${visits}&filter=${encodeURIComponent('paid.eq.true')}&order=id.desc`)
    await expectVisible(page.locator('.rg2-cell[data-column="visitor"]', { hasText: 'Visitor 50' }))
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Export CSV")')])
    const saved = path.join(outputDir, 'visits-paid.csv')
    await download.saveAs(saved)
    const exported = readFileSync(saved, 'utf8').trim().split(/\r?\n/)
    assert.equal(exported.length, 26, 'a header and the 25 paid visits')
    assert.match(exported[1], /^50,/, 'in the view\'s order')

    // Rows into the open table from a CSV whose columns have other names: mapped by hand.
    const more = path.join(outputDir, 'more-visits.csv')
    writeFileSync(more, 'nr,who,amount,settled,when\n101,Late visitor,1.50,true,2026-02-01T09:00:00Z\n102,Later visitor,2.50,false,2026-02-02T09:00:00Z\n')
    await page.click('button:has-text("Import…")')
    const importing = page.locator('[role="dialog"]')
    await importing.locator('input[type="file"]').setInputFiles(more)
    await expectVisible(importing.locator('.import-mapping'))
    assert.equal(await importing.locator('select[name="map-2"]').inputValue(), 'amount', 'a column of the same name maps itself')
    assert.equal(await importing.locator('button[type="submit"]').isDisabled(), true, 'unmapped columns hold the import')
    for (const [i, to] of [[0, 'id'], [1, 'visitor'], [3, 'paid'], [4, 'at']]) {
      await importing.locator(`select[name="map-${i}"]`).selectOption(to)
    }
    await importing.locator('button[type="submit"]').click()
    await expectVisible(importing.locator('.import-report:has-text("rows imported")'))
    assert.match(await importing.locator('.import-report').innerText(), /^2 rows imported/)
    const [late] = await sql("SELECT visitor, amount::text, paid FROM visits WHERE id = 102")
    assert.deepEqual(late, { visitor: 'Later visitor', amount: '2.50', paid: false })
  })
})
