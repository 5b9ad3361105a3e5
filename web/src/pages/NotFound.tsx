// The page for an address nothing lives at (App.tsx, and each engine's area for its own paths).
import { Link } from '../router'

export function NotFound({ path }: { path: string }) {
  return (
    <section className="empty">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Go to your projects</Link>.
      </p>
    </section>
  )
}
