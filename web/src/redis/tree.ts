// The key tree: keys grouped into branches by a separator (`user:1:name` → user › 1 › name), with
// the number of keys under each branch. Built from the keys scanned so far, so a count is "in the
// keys scanned", never a guess about the rest. Only expanded branches are flattened into rows.
import type { KeySummary } from '../api'

export interface Branch {
  /** The segment shown, e.g. `1`. */
  label: string
  /** Every key under this branch starts with it, e.g. `user:1:`. */
  prefix: string
  /** Keys under this branch, at any depth. */
  count: number
  branches: Map<string, Branch>
  leaves: KeySummary[]
}

export type TreeRow =
  | { kind: 'branch'; branch: Branch; depth: number; expanded: boolean }
  | { kind: 'leaf'; key: KeySummary; label: string; depth: number }

function newBranch(label: string, prefix: string): Branch {
  return { label, prefix, count: 0, branches: new Map(), leaves: [] }
}

/** Groups keys by `separator`; with an empty separator (or a binary key) a key is a leaf of the root. */
export function buildTree(keys: KeySummary[], separator: string): Branch {
  const root = newBranch('', '')
  for (const k of keys) {
    root.count++
    if (!separator || k.key_encoding !== 'utf8') {
      root.leaves.push(k)
      continue
    }
    const parts = k.key.split(separator)
    let node = root
    for (const part of parts.slice(0, -1)) {
      const prefix = node.prefix + part + separator
      let child = node.branches.get(part)
      if (!child) {
        child = newBranch(part, prefix)
        node.branches.set(part, child)
      }
      child.count++
      node = child
    }
    node.leaves.push(k)
  }
  return root
}

/** The rows to draw: branches (sorted by label) before leaves, children of expanded branches only. */
export function flatten(root: Branch, expanded: ReadonlySet<string>, separator: string): TreeRow[] {
  const rows: TreeRow[] = []
  const walk = (node: Branch, depth: number) => {
    const branches = [...node.branches.values()].sort((a, b) => a.label.localeCompare(b.label))
    for (const b of branches) {
      const open = expanded.has(b.prefix)
      rows.push({ kind: 'branch', branch: b, depth, expanded: open })
      if (open) walk(b, depth + 1)
    }
    for (const k of node.leaves) {
      const label = separator && node.prefix && k.key.startsWith(node.prefix) ? k.key.slice(node.prefix.length) : k.key
      rows.push({ kind: 'leaf', key: k, label, depth })
    }
  }
  walk(root, 0)
  return rows
}

/** A glob matching exactly the keys under `prefix` (its glob characters escaped). */
export function branchPattern(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*'
}
