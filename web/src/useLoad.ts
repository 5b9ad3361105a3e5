// Loads data once per set of dependencies, dropping answers that arrive after a newer request.
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react'

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  reload: () => void
}

export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const generation = useRef(0)
  const run = useCallback(load, deps)

  const reload = useCallback(() => {
    const mine = ++generation.current
    setLoading(true)
    setError(null)
    run().then(
      (value) => {
        if (mine !== generation.current) return
        setData(value)
        setLoading(false)
      },
      (e: unknown) => {
        if (mine !== generation.current) return
        setError(e)
        setLoading(false)
      },
    )
  }, [run])

  useEffect(() => {
    reload()
    return () => {
      generation.current++
    }
  }, [reload])

  return { data, error, loading, reload }
}
