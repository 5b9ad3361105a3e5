// End-to-end test of SQL work that is never lost, and of PostgreSQL's destructive actions, in
// headless Chromium against the real binary and a real PostgreSQL: query tabs that survive a reload
// and a sign-out, UPDATE's rows affected, the table list after DDL, completion from the catalog,
// Cancel of a pg_sleep(60) (gone from pg_stat_activity), a snippet saved by one developer and run
// by another, and every destructive control double-clicked without effect, then confirmed by typing
// the object's name with the right counts shown.
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
  psql,
  repoRoot,
  signedInContext,
  signIn,
  startStack,
} from './harness.mjs'

let stack
let browser
let page
let admin

const test = itWithFailureShot(it, () => page, 'sql-work-')
const sqlPage = '/project/default/databases/postgres'
const docsShots = path.join(repoRoot, 'docs', 'screenshots')

/** One value, as PostgreSQL prints it. */
function scalar(query) {
  return psql(stack.pgPort, `COPY (${query}) TO STDOUT`).trim()
}

/** Replaces the current tab's text. */
async function write(p, text) {
  await p.fill('[data-sql-editor]', text)
}

async function tableId(name) {
  const tables = (await admin('GET', '/api/platform/pg-meta/default/tables')).data
  return tables.find((t) => t.schema === 'public' && t.name === name).id
}

describe('SQL work and destructive actions', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    stack = await startStack()
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    psql(
      stack.pgPort,
      `CREATE ROLE reader LOGIN; GRANT pg_read_all_data TO reader;
       CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, created_at timestamp with time zone DEFAULT now());
       INSERT INTO people SELECT g, 'p' || g FROM generate_series(1, 10) g;
       CREATE TABLE doomed (id int PRIMARY KEY, note character varying(200));
       INSERT INTO doomed SELECT g, 'n' || g FROM generate_series(1, 25) g;
       CREATE INDEX doomed_note_idx ON doomed (note);
       ANALYZE doomed;`,
    )
    await admin('POST', '/api/platform/postgres/default/connections', {
      identifier: 'main-db',
      host: '127.0.0.1',
      port: stack.pgPort,
      username: 'postgres',
      database_name: 'postgres',
      viewer_username: 'reader',
    })
    for (const email of ['dev1@example.com', 'dev2@example.com']) {
      await admin('POST', '/api/platform/users', { email, password: 'e2e-dev-password' })
      await admin('POST', '/api/platform/projects/default/members', { email, role: 'developer' })
    }
    browser = await launchBrowser()
    // Signed in through the form, so signing out (the token gone) really shows the sign-in page.
    const context = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 720 } })
    page = await context.newPage()
    await page.goto(sqlPage)
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    await expectHidden(page.locator('input[name="email"]'))
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  test('query tabs and their text survive a reload and a sign-out', async () => {
    await page.goto(sqlPage)
    await expectVisible(page.locator('[data-relation="public.people"]'))
    await write(page, 'SELECT name FROM people WHERE id = 1')
    await page.click('button[aria-label="New tab"]')
    await write(page, 'SELECT count(*) FROM people')
    await page.click('.sql-tabs button:has-text("Rename")')
    await page.fill('input[aria-label="Tab name"]', 'counting')
    await page.press('input[aria-label="Tab name"]', 'Enter')
    await expectVisible(page.locator('.sql-tab.current[data-tab="counting"]'))
    // Undo belongs to the editor: it takes back the last edit, not the whole text.
    await page.click('[data-sql-editor]')
    await page.keyboard.press('End')
    await page.keyboard.type(' -- note')
    await page.keyboard.press('Control+z')
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT count(*) FROM people')
    await page.screenshot({ path: path.join(process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1' ? docsShots : outputDir, 'sql-tabs.png') })

    await page.reload()
    await expectVisible(page.locator('.sql-tab.current[data-tab="counting"]'))
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT count(*) FROM people')
    await page.click('.sql-tab[data-tab="Query 1"] button[role="tab"]')
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT name FROM people WHERE id = 1')

    // Signed out (the session cookie is gone, as after a 401): signing in again brings the drafts back.
    await page.context().clearCookies()
    await page.reload()
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    await expectHidden(page.locator('input[name="email"]'))
    await page.goto(sqlPage)
    await expectVisible(page.locator('.sql-tab[data-tab="counting"]'))
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT name FROM people WHERE id = 1')
  })

  test('a click on a table opens a new tab and never overwrites one', async () => {
    await page.goto(sqlPage)
    await expectVisible(page.locator('.sql-tab.current'))
    const before = await page.locator('.sql-tab').count()
    const text = await page.innerText('[data-sql-editor]')
    await page.click('[data-relation="public.people"] .relation-name')
    await expectVisible(page.locator('.sql-tab.current[data-tab="people"]'))
    assert.equal(await page.locator('.sql-tab').count(), before + 1)
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT * FROM public.people LIMIT 100;')
    await page.click('.sql-tab[data-tab="Query 1"] button[role="tab"]')
    assert.equal(await page.innerText('[data-sql-editor]'), text)
    // Column types are shown whole (they wrap), with the full type as a tooltip.
    await page.click('[data-relation="public.people"] .twisty')
    const type = page.locator('[data-relation="public.people"] .columns li:has-text("created_at")')
    assert.match(await type.innerText(), /timestamptz/)
    assert.match(await type.getAttribute('title'), /timestamp with time zone/)
  })

  test('completes tables and columns from the catalog', async () => {
    await page.click('button[aria-label="New tab"]')
    await page.click('[data-sql-editor]')
    await page.keyboard.type('SELECT * FROM peo')
    const options = page.locator('.cm-tooltip-autocomplete')
    await expectVisible(options)
    assert.match(await options.innerText(), /people/)
    await page.keyboard.press('Escape')
  })

  test('an UPDATE says its rows affected, and DDL refreshes the table list', async () => {
    await write(page, "UPDATE people SET name = 'eight' WHERE id = 8")
    await page.click('button.primary:has-text("Run")')
    await expectVisible(page.locator('[data-command-tag]:has-text("UPDATE 1")'))
    assert.equal(scalar("SELECT name FROM people WHERE id = 8"), 'eight')

    // Result columns are as wide as their content, and a header's handle drags one wider.
    await write(page, "SELECT 1 AS id, 'a rather long value to show whole' AS long_text")
    await page.click('button.primary:has-text("Run")')
    await expectVisible(page.locator('.result-grid [role="cell"]:has-text("a rather long value")'))
    const widthOf = (name) => page.locator(`.result-grid [role="columnheader"][title="${name}"]`).evaluate((el) => el.getBoundingClientRect().width)
    assert.ok((await widthOf('long_text')) > 2 * (await widthOf('id')), 'columns are sized to their content')
    const before = await widthOf('id')
    const handle = await page.locator('[aria-label="Resize column id"]').boundingBox()
    await page.mouse.move(handle.x + 3, handle.y + 5)
    await page.mouse.down()
    await page.mouse.move(handle.x + 83, handle.y + 5, { steps: 4 })
    await page.mouse.up()
    assert.ok((await widthOf('id')) > before + 50, 'the column did not widen')
    // The sidebar widens too, and keeps its width.
    const sidebar = () => page.locator('aside.relations').evaluate((el) => el.getBoundingClientRect().width)
    const narrow = await sidebar()
    const grip = await page.locator('[aria-label="Resize the sidebar"]').boundingBox()
    await page.mouse.move(grip.x + 3, grip.y + 20)
    await page.mouse.down()
    await page.mouse.move(grip.x + 123, grip.y + 20, { steps: 4 })
    await page.mouse.up()
    assert.ok((await sidebar()) > narrow + 100, 'the sidebar did not widen')

    await write(page, 'CREATE TABLE fresh_table (id int)')
    await page.press('[data-sql-editor]', 'Control+Enter')
    await expectVisible(page.locator('[data-command-tag]:has-text("CREATE TABLE")'))
    await expectVisible(page.locator('[data-relation="public.fresh_table"]'))
    // What ran is in the history, with its outcome.
    await page.click('[role="tab"]:has-text("History")')
    await expectVisible(page.locator('.history-list li', { hasText: 'UPDATE people' }))
    assert.match(await page.locator('.history-list li', { hasText: 'UPDATE people' }).innerText(), /UPDATE 1/)
    await page.click('[role="tab"]:has-text("Tables")')
  })

  test('Cancel stops a pg_sleep(60) on the server', async () => {
    const sleeping = () =>
      scalar("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'")
    await write(page, 'SELECT pg_sleep(60)')
    await page.click('button.primary:has-text("Run")')
    const cancel = page.locator('button:has-text("Cancel query")')
    await expectVisible(cancel)
    while (sleeping() === '0') await new Promise((r) => setTimeout(r, 100))
    await cancel.click()
    await expectVisible(page.locator('[role="status"]:has-text("The query was canceled.")'))
    while (sleeping() !== '0') await new Promise((r) => setTimeout(r, 100))
    assert.equal(sleeping(), '0')
  })

  test('a snippet saved by one member is run by another', async () => {
    const dev1 = await (await signedInContext(browser, stack.baseURL, 'dev1@example.com', 'e2e-dev-password')).newPage()
    await dev1.goto(sqlPage)
    await write(dev1, 'SELECT name FROM people WHERE id = 3')
    await dev1.click('[role="tab"]:has-text("Snippets")')
    await dev1.click('button:has-text("Save tab as snippet")')
    await dev1.fill('input[aria-label="Snippet name"]', 'third person')
    await dev1.selectOption('select[aria-label="Snippet visibility"]', 'project')
    await dev1.click('button:has-text("Save snippet")')
    await expectVisible(dev1.locator('[data-snippet="third person"]'))
    await dev1.context().close()

    const dev2 = await (await signedInContext(browser, stack.baseURL, 'dev2@example.com', 'e2e-dev-password')).newPage()
    await dev2.goto(sqlPage)
    await dev2.click('[role="tab"]:has-text("Snippets")')
    const snippet = dev2.locator('[data-snippet="third person"]')
    await expectVisible(snippet)
    assert.match(await snippet.innerText(), /dev1@example\.com/)
    await snippet.locator('.relation-name').click()
    await expectVisible(dev2.locator('.sql-tab.current[data-tab="third person"]'))
    await dev2.click('button.primary:has-text("Run")')
    await expectVisible(dev2.locator('.result-grid [role="cell"]:has-text("p3")'))
    await dev2.context().close()
  })

  test('a double-click on a destructive control changes nothing; typing the name confirms', async () => {
    const doomedId = await tableId('doomed')
    const rows = () => Number(scalar('SELECT count(*) FROM doomed'))
    await page.goto(`${sqlPage}/tables?table=${doomedId}`)
    await expectVisible(page.locator('[data-table-view="public.doomed"]'))
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="note"]').length >= 3)

    // One row: the quick confirm.
    const check = (n) => page.locator(`input[aria-label="Select row ${n}"]`).check()
    await check(1)
    await page.locator('button:has-text("Delete 1 selected")').dblclick()
    assert.equal(rows(), 25, 'a double-click deleted a row')

    // Several rows: the table's name typed, the exact count stated.
    await check(2)
    await check(3)
    await page.locator('button:has-text("Delete 3 selected")').dblclick()
    const typed = page.locator('form.typed-confirm')
    await expectVisible(typed)
    assert.match(await typed.locator('.losses').innerText(), /^3 rows will be lost/)
    assert.equal(await typed.locator('button.danger').isDisabled(), true)
    assert.equal(rows(), 25, 'a double-click deleted rows')
    await typed.locator('input').fill('doomed')
    await typed.locator('button.danger:not([disabled])').click()
    await expectHidden(typed)
    assert.equal(rows(), 22)

    // Dropping a column and the table: the dry run first, then the typed confirmation.
    await page.click('button:has-text("Change table")')
    const dialog = page.locator('[role="dialog"][aria-label="Change public.doomed"]')
    await dialog.locator('[role="tab"]:has-text("Drop column")').click()
    await dialog.locator('[aria-label="Column to drop"]').selectOption({ index: 1 })
    await dialog.locator('button:has-text("Preview SQL")').click()
    await expectVisible(dialog.locator('[data-sql-preview]'))
    await dialog.locator('.dry-run button:has-text("Drop column")').dblclick()
    await expectVisible(typed)
    assert.equal(scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'doomed' AND column_name = 'note'"), '1')
    await typed.locator('button:has-text("Cancel")').click()
    await expectHidden(typed)

    await dialog.locator('[role="tab"]:has-text("Drop table")').click()
    await dialog.locator('button:has-text("Preview SQL")').click()
    await expectVisible(dialog.locator('[data-sql-preview]'))
    await dialog.locator('.dry-run button:has-text("Drop table")').dblclick()
    await expectVisible(typed)
    // The planner's estimate after ANALYZE: 25 rows, said to be an estimate.
    assert.match(await typed.locator('.losses').innerText(), /about 25 rows will be lost/)
    assert.match(await typed.locator('.losses').innerText(), /2 columns will be lost/)
    assert.equal(scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'doomed'"), '1', 'a double-click dropped the table')
    await page.screenshot({ path: path.join(process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1' ? docsShots : outputDir, 'pg-drop-table-confirm.png') })
    await typed.locator('input').fill('doome')
    assert.equal(await typed.locator('button.danger').isDisabled(), true)
    await typed.locator('button:has-text("Cancel")').click()
    await dialog.locator('button:has-text("Close")').click()

    // Dropping an index on the Database page.
    await page.goto(`${sqlPage}/database?section=indexes`)
    const index = page.locator('tr[data-index="doomed_note_idx"]')
    await expectVisible(index)
    await index.locator('button:has-text("Drop")').click()
    const drop = page.locator('[role="dialog"][aria-label="Drop index doomed_note_idx?"]')
    await drop.locator('button:has-text("Preview SQL")').click()
    await expectVisible(drop.locator('[data-sql-preview]'))
    await drop.locator('.dry-run button:has-text("Drop index")').dblclick()
    await expectVisible(typed)
    assert.match(await typed.locator('.losses').innerText(), /bytes of index on doomed/)
    assert.equal(scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'doomed_note_idx'"), '1', 'a double-click dropped the index')
    await typed.locator('input').fill('doomed_note_idx')
    await typed.locator('button.danger:not([disabled])').click()
    await expectHidden(typed)
    await expectHidden(index)
    assert.equal(scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'doomed_note_idx'"), '0')
  })
})
