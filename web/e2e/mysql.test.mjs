// End-to-end test of the MariaDB/MySQL console in headless Chromium against the real binary and a
// real MariaDB: a connection added through the connection form (tested before saving), SQL run in
// the editor (a table created and filled, its rows in the grid and as CSV), a syntax error shown with MySQL's
// error number and SQLSTATE and its position marked in the editor, the table browsed (the SQL
// sidebar's columns, the structure page's columns and indexes), and a cell edited in the Table
// Editor, the change then read back through the API and with the mariadb client.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
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
  MARIADB_DATABASE,
  MARIADB_PASSWORD,
  MARIADB_USER,
  outputDir,
  signedInContext,
  startMariaDb,
  startStack,
} from './harness.mjs'

let stack
let maria
let browser
let page
let admin

const test = itWithFailureShot(it, () => page, 'mysql-')
const sqlPage = '/project/default/databases/mysql'

async function shot(name) {
  await page.screenshot({ path: path.join(outputDir, `mysql-${name}.png`) })
}

/** Replaces the current tab's text and runs it. */
async function run(text) {
  await page.fill('[data-sql-editor]', text)
  await page.click('.run-bar button:has-text("Run")')
}

/** Rows of SQL run as the admin through the API. */
async function sql(query) {
  return (await admin('POST', '/api/platform/mysql/default/query', { query })).data
}

describe('MariaDB/MySQL console', () => {
  before(async () => {
    mkdirSync(outputDir, { recursive: true })
    maria = await startMariaDb()
    try {
      stack = await startStack()
    } catch (e) {
      await maria.stop()
      throw e
    }
    admin = await apiAs(stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD)
    browser = await launchBrowser()
    const context = await signedInContext(browser, stack.baseURL, ADMIN_EMAIL, ADMIN_PASSWORD, { viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
  })

  after(async () => {
    await browser?.close()
    await stack?.stop()
    await maria?.stop()
  })

  test('an admin adds a MariaDB connection through the connection form', async () => {
    await page.goto('/project/default')
    await page.getByRole('button', { name: 'Add connection' }).click()
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog)
    await dialog.locator('select[name="engine"]').selectOption('mysql')
    assert.equal(await dialog.locator('input[name="port"]').inputValue(), '3306')
    // No TLS checkbox: a mode to pick, off by default, and the CA only for verify-full.
    assert.equal(await dialog.locator('input[name="tls"]').count(), 0)
    assert.equal(await dialog.locator('select[name="ssl_mode"]').inputValue(), 'disable')
    await dialog.locator('select[name="ssl_mode"]').selectOption('verify-full')
    await expectVisible(dialog.locator('textarea[name="ssl_root_cert"]'))
    await dialog.locator('select[name="ssl_mode"]').selectOption('disable')
    await expectHidden(dialog.locator('textarea[name="ssl_root_cert"]'))

    await dialog.locator('input[name="identifier"]').fill('app-db')
    await dialog.locator('input[name="host"]').fill('127.0.0.1')
    await dialog.locator('input[name="port"]').fill(String(maria.port))
    await dialog.locator('input[name="database_name"]').fill(MARIADB_DATABASE)
    await dialog.locator('input[name="username"]').fill(MARIADB_USER)
    await dialog.locator('input[name="password"]').fill(MARIADB_PASSWORD)
    await dialog.locator('summary:has-text("Timeouts and pool")').click()
    await dialog.locator('input[name="statement_timeout"]').fill('20000')

    await dialog.getByRole('button', { name: 'Test connection' }).click()
    const ok = dialog.locator('[role="status"]')
    await expectVisible(ok)
    assert.match(await ok.innerText(), /Connected to MariaDB \/ MySQL .*MariaDB/)
    await shot('form-tested')
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    await expectHidden(dialog)
    const row = page.locator('[data-connection="app-db"]')
    await expectVisible(row)
    assert.match(await row.innerText(), new RegExp(`127\\.0\\.0\\.1:${maria.port}`))

    const listed = (await admin('GET', '/api/platform/mysql/default/connections')).data
    assert.equal(listed.length, 1)
    assert.equal(listed[0].database_name, MARIADB_DATABASE)
    assert.deepEqual(listed[0].options, { statement_timeout: 20000 })
  })

  test('runs SQL: a table created and filled, its rows in the grid', async () => {
    await page.goto(sqlPage)
    await expectVisible(page.locator('.sql-tab.current'))
    await run('CREATE TABLE people (id int PRIMARY KEY AUTO_INCREMENT, name varchar(40) NOT NULL, born date NULL)')
    await expectVisible(page.locator('[data-command-tag]:has-text("CREATE")'))
    // A schema change reads the table list again.
    await expectVisible(page.locator('[data-relation="app.people"]'))

    await run("INSERT INTO people (name, born) VALUES ('Ada', '1815-12-10'), ('Grace', '1906-12-09'), ('Alan', NULL)")
    // The previous statement's tag stays until the new answer arrives: wait for the new one.
    await expectVisible(page.locator('[data-command-tag]:has-text("INSERT 3")'))

    await run('SELECT id, name, born FROM people ORDER BY id')
    await expectVisible(page.locator('.result-grid [role="cell"]:has-text("Grace")'))
    await expectVisible(page.locator('text=3 rows returned'))
    assert.deepEqual(await page.locator('.result-grid [role="columnheader"]').allInnerTexts(), ['#', 'id', 'name', 'born'])
    assert.deepEqual(await page.locator('.result-grid [role="row"][aria-rowindex="1"] [role="cell"]').allInnerTexts(), ['1', 'Ada', '1815-12-10'])
    assert.equal(await page.locator('.result-grid [role="row"][aria-rowindex="3"] [role="cell"].null').innerText(), 'NULL')
    await shot('sql-results')

    // The CSV comes from the streaming export.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Download CSV")')])
    assert.equal(download.suggestedFilename(), 'query.csv')
    assert.match(readFileSync(await download.path(), 'utf8'), /^id,name,born\r?\n1,Ada,1815-12-10\r?\n2,Grace,1906-12-09\r?\n3,Alan,/)
  })

  test('shows a syntax error with its number, SQLSTATE and position marked in the editor', async () => {
    await page.goto(sqlPage)
    await page.click('button[aria-label="New tab"]')
    await run('SELECT id, name\nFORM people')
    const alert = page.locator('.sql-error-box')
    await expectVisible(alert)
    const text = await alert.innerText()
    assert.match(text, /MariaDB \/ MySQL: .*error in your SQL syntax/)
    assert.match(text, /Error 1064/)
    assert.match(text, /SQLSTATE 42000/)
    assert.match(text, /line 2/)
    assert.doesNotMatch(text, /[{}]/)
    // MariaDB reads `FORM` as an alias of `name` and stumbles on the next word.
    assert.equal(await page.locator('.sql-editor .sql-error').innerText(), 'people')
    await shot('sql-error')
    // Editing the text clears the mark.
    await page.press('[data-sql-editor]', 'End')
    await page.type('[data-sql-editor]', ' ')
    await expectHidden(page.locator('.sql-editor .sql-error'))
  })

  test('browses the table: its columns in the sidebar, its columns and indexes on the structure page', async () => {
    await page.goto(sqlPage)
    await page.click('[data-relation="app.people"] .twisty')
    const born = page.locator('[data-relation="app.people"] .columns li:has-text("born")')
    await expectVisible(born)
    assert.match(await born.innerText(), /date/)
    // A click opens the table's first rows in a new tab, the database named.
    await page.click('[data-relation="app.people"] .relation-name')
    await expectVisible(page.locator('.sql-tab.current[data-tab="people"]'))
    assert.equal(await page.innerText('[data-sql-editor]'), 'SELECT * FROM `app`.`people` LIMIT 100;')

    await page.click('nav[aria-label="MySQL pages"] a:has-text("Structure")')
    const table = page.locator('table[aria-label="Tables"] [data-object="people"]')
    await expectVisible(table)
    assert.match(await table.innerText(), /InnoDB/)
    await table.locator('a:has-text("people")').click()
    const details = page.locator('[data-table-details="app.people"]')
    await expectVisible(details.locator('[data-column="born"]'))
    assert.deepEqual(await details.locator('table[aria-label="Columns"] tbody tr td:first-child').allInnerTexts(), ['id', 'name', 'born'])
    assert.match(await details.locator('[data-column="name"]').innerText(), /varchar\(40\)/)
    assert.match(await details.locator('[data-column="id"]').innerText(), /auto_increment/)
    assert.match(await details.locator('[data-index="PRIMARY"]').innerText(), /id/)
    await shot('structure')
  })

  test('edits a cell in the Table Editor, and the change is in the table', async () => {
    await page.click('[data-table-details="app.people"] a:has-text("Open in the Table Editor")')
    await expectVisible(page.locator('[data-table-view="app.people"]'))
    await page.waitForFunction(() => document.querySelectorAll('.rg2-cell[data-column="name"]').length === 3)
    assert.deepEqual(await page.locator('.rg2-cell[data-column="name"] .cell-text').allInnerTexts(), ['Ada', 'Grace', 'Alan'])
    await expectVisible(page.locator('.relations [data-table="app.people"]'))

    await page.locator('.rg2-cell[data-column="name"]', { hasText: 'Grace' }).dblclick()
    const dialog = page.locator('[role="dialog"]')
    await expectVisible(dialog)
    await dialog.locator('[aria-label="name"]').fill('Grace Hopper')
    await dialog.locator('button:has-text("Save")').click()
    await expectHidden(dialog)
    await expectVisible(page.locator('.rg2-cell[data-column="name"]', { hasText: 'Grace Hopper' }))
    // A date goes through its own editor.
    await page.locator('[role="row"]', { has: page.locator('.rg2-cell[data-column="name"]', { hasText: 'Alan' }) }).locator('.rg2-cell[data-column="born"]').dblclick()
    await dialog.locator('[aria-label="born is NULL"]').uncheck()
    await dialog.locator('[aria-label="born"]').fill('1912-06-23')
    await dialog.locator('button:has-text("Save")').click()
    await expectHidden(dialog)
    await shot('table-editor')

    assert.deepEqual(await sql('SELECT id, name, born FROM people ORDER BY id'), [
      { id: 1, name: 'Ada', born: '1815-12-10' },
      { id: 2, name: 'Grace Hopper', born: '1906-12-09' },
      { id: 3, name: 'Alan', born: '1912-06-23' },
    ])
    const page1 = (await admin('GET', '/api/platform/mysql/default/databases/app/tables/people/rows?filter=id.eq.2')).data
    assert.deepEqual(page1.rows.map((r) => r.name), ['Grace Hopper'])
    assert.equal(maria.sql(MARIADB_DATABASE, 'SELECT name FROM people WHERE id = 2'), 'Grace Hopper')
  })
})
