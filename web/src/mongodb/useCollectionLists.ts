// The collections of each database, loaded when a database is opened (in the tree or the main
// pane) and shared by both, so opening one costs one listCollections, not two.
import { useCallback, useMemo, useRef, useState } from 'react'
import { mongodb, type MongoCollection, type MongoConn } from '../api'

export interface CollectionList {
  data?: MongoCollection[]
  error?: unknown
  loading: boolean
}

export interface CollectionLists {
  /** What is known of the list of `db` (call `ensure` in an effect to have it loaded). */
  get: (db: string) => CollectionList
  /** Loads the list of `db` unless it was loaded already. */
  ensure: (db: string) => void
  /** Loads every list asked for so far again (after a create or a drop, or counts that moved). */
  reloadAll: () => void
  /** Forgets a dropped database, so it is not listed again (some servers create a database on any access). */
  forget: (db: string) => void
}

export function useCollectionLists(at: MongoConn): CollectionLists {
  const [lists, setLists] = useState<Record<string, CollectionList>>({})
  const generation = useRef(new Map<string, number>())

  const load = useCallback(
    (db: string) => {
      const mine = (generation.current.get(db) ?? 0) + 1
      generation.current.set(db, mine)
      setLists((l) => ({ ...l, [db]: { ...l[db], loading: true } }))
      mongodb.collections(at, db).then(
        (data) => {
          if (generation.current.get(db) === mine) setLists((l) => ({ ...l, [db]: { data, loading: false } }))
        },
        (error: unknown) => {
          if (generation.current.get(db) === mine) setLists((l) => ({ ...l, [db]: { data: l[db]?.data, error, loading: false } }))
        },
      )
    },
    [at],
  )

  const ensure = useCallback(
    (db: string) => {
      if (!generation.current.has(db)) load(db)
    },
    [load],
  )

  const get = useCallback((db: string): CollectionList => lists[db] ?? { loading: true }, [lists])

  const reloadAll = useCallback(() => {
    for (const db of generation.current.keys()) load(db)
  }, [load])

  const forget = useCallback((db: string) => {
    generation.current.delete(db)
    setLists((l) => Object.fromEntries(Object.entries(l).filter(([name]) => name !== db)))
  }, [])

  return useMemo(() => ({ get, ensure, reloadAll, forget }), [get, ensure, reloadAll, forget])
}
