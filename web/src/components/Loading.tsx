// What a page shows while its code is still on the way (the engine pages are loaded on demand).
export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p className="muted loading" role="status">
      {what}
    </p>
  )
}
