// A fixed-size ring of the newest items: a live feed keeps the last N messages in constant memory,
// however many arrive (a busy channel can deliver thousands a second).

export class Ring<T> {
  readonly capacity: number
  private readonly items: (T | undefined)[]
  /** Index of the oldest item. */
  private head = 0
  private count = 0
  /** Items ever pushed, including the ones pushed out since. */
  total = 0

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('a ring holds at least one item')
    this.capacity = capacity
    this.items = new Array<T | undefined>(capacity)
  }

  get size(): number {
    return this.count
  }

  /** Items pushed out to make room for newer ones. */
  get dropped(): number {
    return this.total - this.count
  }

  push(item: T): void {
    const at = (this.head + this.count) % this.capacity
    this.items[at] = item
    if (this.count < this.capacity) this.count++
    else this.head = (this.head + 1) % this.capacity
    this.total++
  }

  /** The `i`-th newest item (0 is the newest). */
  newest(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined
    return this.items[(this.head + this.count - 1 - i) % this.capacity]
  }

  /** The items, newest first. */
  newestFirst(): T[] {
    const out: T[] = []
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + this.count - 1 - i) % this.capacity] as T)
    return out
  }

  clear(): void {
    this.items.fill(undefined)
    this.head = 0
    this.count = 0
    this.total = 0
  }
}
