// The `mongodb` block of ../api.ts: documents read without losing digits, writes sent as typed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mongodb, signIn, signOut } from '../api'

const fetchMock = vi.fn<typeof fetch>()

beforeEach(async () => {
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  signOut()
  fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 3600 })))
  await signIn('a@example.com', 'pw')
})

afterEach(() => vi.unstubAllGlobals())

const at = { ref: 'default', connectionId: 'c1' }

describe('mongodb client', () => {
  it('reads a page keeping 64-bit integers and each document text', async () => {
    const body =
      '{"data":{"documents":[{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"big":9007199254740993,"r":1.0},{"_id":"k","n":1}],' +
      '"total":null,"total_is_estimate":false,"count_timed_out":false,"page":2,"page_size":2,"has_more":true}}'
    fetchMock.mockResolvedValueOnce(new Response(body))
    const page = await mongodb.find(at, 'shop', 'my coll', { filter: '{"n": {"$gt": 0}}', limit: 2, skip: 2, count: false })
    const [url] = fetchMock.mock.calls[1]!
    const parsed = new URL(String(url), 'http://x')
    expect(parsed.pathname).toBe('/api/platform/mongodb/default/databases/shop/collections/my%20coll/documents')
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      filter: '{"n": {"$gt": 0}}',
      limit: '2',
      skip: '2',
      count: 'false',
      connection_id: 'c1',
    })
    expect(page.documents.map((d) => d.id)).toEqual(['65a1b2c3d4e5f60718293a4b', '"k"'])
    expect(page.documents[0]!.text).toBe('{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"big":9007199254740993,"r":1.0}')
    expect(page.documents[0]!.value).toMatchObject({ big: { $numberLong: '9007199254740993' }, r: { $numberDouble: '1.0' } })
    expect(page).toMatchObject({ total: null, page: 2, has_more: true })
  })

  it('sends a document, a replacement and a pipeline as written', async () => {
    const doc = '{"10": 1, "b": 9007199254740993}'
    fetchMock.mockResolvedValueOnce(new Response('{"data":{"inserted_ids":[{"$oid":"65a1b2c3d4e5f60718293a4b"}],"inserted_count":1}}', { status: 201 }))
    await mongodb.insert(at, 'shop', 'c', doc)
    expect(fetchMock.mock.calls[1]![1]!.body).toBe(`{"document":${doc}}`)

    fetchMock.mockResolvedValueOnce(new Response('{"data":{"matched_count":1,"modified_count":1,"upserted_id":null}}'))
    await mongodb.replace(at, 'shop', 'c', '"k"', doc)
    const [url, init] = fetchMock.mock.calls[2]!
    expect(String(url)).toBe('/api/platform/mongodb/default/databases/shop/collections/c/documents/%22k%22?connection_id=c1')
    expect(init!.method).toBe('PUT')
    expect(init!.body).toBe(`{"update":${doc},"replace":true}`)

    fetchMock.mockResolvedValueOnce(new Response('{"data":{"documents":[],"truncated":false,"limit":1000,"max_time_ms":30000}}'))
    await mongodb.aggregate(at, 'shop', 'c', '[{"$sort": {"b": 1, "a": -1}}]', { maxTimeMS: 500 })
    expect(fetchMock.mock.calls[3]![1]!.body).toBe('{"pipeline":[{"$sort": {"b": 1, "a": -1}}],"options":{"maxTimeMS":500}}')

    fetchMock.mockResolvedValueOnce(new Response('{"data":{"name":"v"}}', { status: 201 }))
    await mongodb.createCollection(at, 'shop', 'v', { capped: true, size: 4096 }, '{"$jsonSchema": {"required": ["a"]}}')
    expect(fetchMock.mock.calls[4]![1]!.body).toBe(
      '{"name":"v","options":{"capped":true,"size":4096,"validator":{"$jsonSchema": {"required": ["a"]}}}}',
    )
  })
})
