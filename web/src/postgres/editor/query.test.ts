import { describe, expect, it } from 'vitest'
import { filterParam, foreignKeyFilter, formatInList, nextSort, orderParam, parseFilter, parseInList, parseOrder } from './query'

describe('filter builder parameters', () => {
  it('writes col.op.value, and col.op for the operators without a value', () => {
    expect(filterParam({ column: 'name', op: 'ilike', value: '%ada%' })).toBe('name.ilike.%ada%')
    expect(filterParam({ column: 'price', op: 'gte', value: '10.50' })).toBe('price.gte.10.50')
    expect(filterParam({ column: 'email', op: 'null', value: 'ignored' })).toBe('email.null')
    expect(filterParam({ column: 'email', op: 'notnull', value: '' })).toBe('email.notnull')
    expect(filterParam({ column: 'ok', op: 'is', value: 'true' })).toBe('ok.is.true')
    expect(filterParam({ column: 'ok', op: 'is', value: 'maybe' })).toBeNull()
    expect(filterParam({ column: '', op: 'eq', value: '1' })).toBeNull()
  })

  it('writes an in list one item per line, quoting separators, quotes and edge spaces', () => {
    expect(filterParam({ column: 'id', op: 'in', value: '1\n2\n3\n' })).toBe('id.in.(1,2,3)')
    expect(filterParam({ column: 'tag', op: 'in', value: 'a\nc,d\nsay "hi"\n x' })).toBe('tag.in.(a,"c,d","say \\"hi\\""," x")')
    expect(formatInList(['', 'b\\c', '(x)'])).toBe('("","b\\\\c","(x)")')
  })

  it('reads an in list back to its items', () => {
    const items = ['a', 'c,d', 'say "hi"', ' x', '', 'b\\c']
    expect(parseInList(formatInList(items))).toEqual(items)
    expect(parseInList('()')).toEqual([])
    expect(parseInList('(a,"b')).toBeNull()
    expect(parseInList('a,b')).toBeNull()
  })

  it('round-trips filters through the address, values with dots included', () => {
    for (const f of [
      { column: 'price', op: 'lt' as const, value: '1.5' },
      { column: 'name', op: 'eq' as const, value: 'a.b.c' },
      { column: 'email', op: 'null' as const, value: '' },
      { column: 'tag', op: 'in' as const, value: 'x\ny,z' },
      { column: 'my.col', op: 'neq' as const, value: '2' },
    ]) {
      expect(parseFilter(filterParam(f)!)).toEqual(f)
    }
    expect(parseFilter('nonsense')).toBeNull()
    expect(parseFilter('a.eq')).toBeNull()
  })

  it('follows a foreign key with an equality filter (big numbers as sent)', () => {
    expect(foreignKeyFilter('id', 7)).toBe('id.eq.7')
    expect(foreignKeyFilter('id', '9007199254740993')).toBe('id.eq.9007199254740993')
    expect(foreignKeyFilter('code', 'a.b')).toBe('code.eq.a.b')
  })
})

describe('sorting', () => {
  it('cycles ascending, descending, none on header clicks; another column starts over', () => {
    let s = nextSort([], 'name')
    expect(s.map(orderParam)).toEqual(['name.asc'])
    s = nextSort(s, 'name')
    expect(s.map(orderParam)).toEqual(['name.desc'])
    expect(nextSort(s, 'name')).toEqual([])
    expect(nextSort(s, 'id').map(orderParam)).toEqual(['id.asc'])
  })

  it('reads order parameters with nulls placement', () => {
    expect(parseOrder('created_at.desc.nullslast')).toEqual({ column: 'created_at', dir: 'desc', nulls: 'nullslast' })
    expect(parseOrder('a.b.asc')).toEqual({ column: 'a.b', dir: 'asc' })
    expect(parseOrder('name')).toBeNull()
  })
})
