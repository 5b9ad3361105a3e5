import { describe, expect, it } from 'vitest'
import { MIN_COLUMN, widthFor } from './columnWidths'
import { contentWidths } from './ResultGrid'

describe('column widths', () => {
  it('follow the content, within limits', () => {
    expect(widthFor(['id'])).toBe(MIN_COLUMN)
    expect(widthFor(['timestamp with time zone'])).toBeGreaterThan(widthFor(['integer']))
    expect(widthFor(['x'.repeat(5000)])).toBe(widthFor(['x'.repeat(80)]))
    const [id, email] = contentWidths(['id', 'email'], [{ id: 1, email: 'ada.lovelace@example.com' }])
    expect(email!).toBeGreaterThan(id!)
  })
})
