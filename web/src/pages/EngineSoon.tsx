// The MongoDB page, not built yet: say so and lead back.
import { Link } from '../router'

export function EngineSoon({ projectRef, engine }: { projectRef: string; engine: string }) {
  return (
    <section className="empty">
      <h1>Not in the console yet</h1>
      <p>
        The <code>{engine}</code> browser is still being built; its API (<code>/api/platform/…/{projectRef}</code>) works
        today.
      </p>
      <p>
        <Link href={`/project/${encodeURIComponent(projectRef)}`}>Back to the project's databases</Link>
      </p>
    </section>
  )
}
