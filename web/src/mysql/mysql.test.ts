// MariaDB/MySQL's connection form: the TLS mode and CA go out as the server takes them (`ssl_mode`
// unless disable, `ssl_root_cert` only with verify-full) and come back from saved options; the
// form's whole body for a new connection; MySQL's column types pick the right editors.
import { describe, expect, it } from 'vitest'
import { ApiError, type Connection } from '../api'
import { createBody, emptyForm, formFromConnection, updateBody } from '../connections/form'
import { myErrorDetails } from './api'
import { readMysqlOptions, writeMysqlOptions } from './engine'
import { pickDatabase } from './MyNav'
import { MYSQL_PAGES } from './MysqlPages'
import { relationsOf } from './SqlPage'
import { tableColumns } from './TableEditorPage'
import { mysqlEditorKind, quoteIdent } from './types'

function written(values: Record<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  writeMysqlOptions(values, o)
  return o
}

function saved(options: Record<string, unknown>): Connection {
  return {
    id: '0190a0a0-0000-7000-8000-000000000001',
    project_id: '0190a0a0-0000-7000-8000-000000000002',
    database_type: 'mysql',
    identifier: 'app-db',
    host: 'db.internal',
    port: 3306,
    database_name: 'app',
    username: 'app',
    has_password: true,
    has_connection_string: false,
    options,
    is_primary: true,
    status: 'ACTIVE',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
  }
}

describe('MySQL connection options', () => {
  it('sends no ssl_mode for disable, and the mode picked otherwise', () => {
    expect(written({ ssl_mode: 'disable', ssl_root_cert: '' })).toEqual({})
    expect(written({ ssl_mode: 'require', ssl_root_cert: '' })).toEqual({ ssl_mode: 'require' })
    expect(written({ ssl_mode: 'verify-full', ssl_root_cert: '' })).toEqual({ ssl_mode: 'verify-full' })
  })

  it('sends the CA only with verify-full, which the server requires of it', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'
    expect(written({ ssl_mode: 'verify-full', ssl_root_cert: `  ${pem}\n` })).toEqual({ ssl_mode: 'verify-full', ssl_root_cert: pem })
    // Typed, then another mode picked: kept in the form, not sent.
    expect(written({ ssl_mode: 'require', ssl_root_cert: pem })).toEqual({ ssl_mode: 'require' })
    expect(written({ ssl_mode: 'disable', ssl_root_cert: pem })).toEqual({})
  })

  it('refuses a mode the server does not know', () => {
    expect(() => written({ ssl_mode: 'sometimes', ssl_root_cert: '' })).toThrow(/TLS mode/)
  })

  it('reads the mode and CA back from saved options, disable when unset', () => {
    expect(readMysqlOptions({})).toEqual({ ssl_mode: 'disable', ssl_root_cert: '' })
    expect(readMysqlOptions({ ssl_mode: 'verify-full', ssl_root_cert: 'PEM' })).toEqual({ ssl_mode: 'verify-full', ssl_root_cert: 'PEM' })
    expect(readMysqlOptions({ ssl_mode: 'require' })).toEqual({ ssl_mode: 'require', ssl_root_cert: '' })
    expect(readMysqlOptions({ ssl_mode: 42 })).toEqual({ ssl_mode: 'disable', ssl_root_cert: '' })
  })

  it('builds the body of a new connection with every option the form has', () => {
    const form = emptyForm('mysql')
    expect(form.port).toBe('3306')
    expect(form.values).toEqual({ ssl_mode: 'disable', ssl_root_cert: '', statement_timeout: '', pool_size: '' })
    const body = createBody({
      ...form,
      identifier: 'app-db',
      host: '127.0.0.1',
      databaseName: 'app',
      username: 'app',
      password: 'secret',
      connectTimeoutMs: '2000',
      values: { ssl_mode: 'verify-full', ssl_root_cert: 'PEM', statement_timeout: '15000', pool_size: '4' },
    })
    expect(body).toEqual({
      ok: true,
      value: {
        identifier: 'app-db',
        host: '127.0.0.1',
        port: 3306,
        database_name: 'app',
        username: 'app',
        password: 'secret',
        options: { ssl_mode: 'verify-full', ssl_root_cert: 'PEM', statement_timeout: 15000, pool_size: 4, connect_timeout_ms: 2000 },
      },
    })
    expect(createBody({ ...form, identifier: 'x', host: 'h', values: { ...form.values, statement_timeout: '1.5' } })).toEqual({
      ok: false,
      error: 'The statement timeout must be a whole number.',
    })
  })

  it('edits a saved connection without sending unchanged options', () => {
    const c = saved({ ssl_mode: 'require', statement_timeout: 5000 })
    const form = formFromConnection(c)
    expect(form.values).toEqual({ ssl_mode: 'require', ssl_root_cert: '', statement_timeout: '5000', pool_size: '' })
    expect(form.tls).toBe(false)
    expect(updateBody(form, c)).toEqual({ ok: true, value: {} })
    expect(updateBody({ ...form, values: { ...form.values, ssl_mode: 'disable' } }, c)).toEqual({ ok: true, value: { options: { statement_timeout: 5000 } } })
  })
})

describe('MySQL types and names', () => {
  it('gives each column type its editor', () => {
    const kind = (format: string, type = format) => mysqlEditorKind({ format, type })
    expect(kind('int', 'int(11)')).toBe('integer')
    expect(kind('tinyint', 'tinyint(1)')).toBe('integer')
    expect(kind('bigint', 'bigint(20)')).toBe('bigint')
    expect(kind('bigint', 'bigint(20) unsigned')).toBe('decimal')
    expect(kind('decimal', 'decimal(10,2)')).toBe('decimal')
    expect(kind('double')).toBe('float')
    expect(kind('json')).toBe('json')
    expect(kind('date')).toBe('date')
    expect(kind('datetime', 'datetime(6)')).toBe('timestamp')
    expect(kind('time')).toBe('text')
    expect(kind('varbinary', 'varbinary(16)')).toBe('bytea')
    expect(kind('varchar', 'varchar(20)')).toBe('text')
    expect(kind('set', "set('a','b')")).toBe('text')
  })

  it('quotes identifiers in backticks', () => {
    expect(quoteIdent('people')).toBe('`people`')
    expect(quoteIdent('odd`name')).toBe('`odd``name`')
  })

  it("picks the database asked for, else the connection's, else the first that is not MySQL's own", () => {
    const dbs = [{ name: 'information_schema' }, { name: 'app' }, { name: 'mysql' }].map((d) => ({ ...d, charset: null, collation: null }))
    expect(pickDatabase('shop', 'app', dbs)).toBe('shop')
    expect(pickDatabase(null, 'app', undefined)).toBe('app')
    expect(pickDatabase(null, null, dbs)).toBe('app')
    expect(pickDatabase(null, null, dbs.filter((d) => d.name !== 'app'))).toBe('information_schema')
    expect(pickDatabase(null, null, undefined)).toBeNull()
  })

  it("lists a database's tables with their columns, and a click selects from the database", () => {
    const col = (table: string, name: string, position: number, key = '') => ({
      table,
      name,
      position,
      column_type: 'int(11)',
      data_type: 'int',
      nullable: key === '',
      default: null,
      key,
      extra: '',
      collation: null,
      comment: null,
    })
    const columns = [col('people', 'name', 2), col('people', 'id', 1, 'PRI'), col('pets', 'id', 1, 'PRI')]
    const [people] = relationsOf('app', [{ name: 'people', rows_estimate: 3 }], columns)
    expect(people).toEqual({
      schema: 'app',
      name: 'people',
      label: 'people',
      rowsEstimate: 3,
      columns: [
        { name: 'name', type: 'int', fullType: 'int(11)', nullable: true },
        { name: 'id', type: 'int', fullType: 'int(11)', nullable: false },
      ],
      select: 'SELECT * FROM `app`.`people` LIMIT 100;',
    })
    expect(tableColumns(columns, 'people')).toEqual({ names: ['id', 'name'], primaryKey: ['id'] })
  })

  it("reads MySQL's error details: its number, SQLSTATE and position", () => {
    const error = new ApiError(400, 'QUERY_ERROR', 'You have an error in your SQL syntax', { code: 1064, sqlstate: '42000', position: 8 })
    expect(myErrorDetails(error)).toEqual({ code: 1064, sqlstate: '42000', position: 8 })
    expect(myErrorDetails(new ApiError(400, 'QUERY_ERROR', 'x', { code: 1146, sqlstate: '42S02', position: null }))?.position).toBeNull()
    expect(myErrorDetails(new Error('x'))).toBeNull()
  })

  it('has the SQL editor, the Table Editor and the structure page', () => {
    expect(Object.keys(MYSQL_PAGES).sort()).toEqual(['', 'structure', 'tables'])
  })
})
