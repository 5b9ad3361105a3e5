import { EditorView } from '@codemirror/view'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api'
import { DocumentEditor } from './DocumentEditor'

afterEach(cleanup)

/** Replaces the editor's text, as typing would. */
async function type(text: string): Promise<void> {
  const view = EditorView.findFromDOM(await screen.findByRole('textbox', { name: /^Document/ }))
  if (!view) throw new Error('no editor')
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }))
}

const saveButton = () => screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement

describe('DocumentEditor', () => {
  it('disables Save with the problem shown while the text is not valid Extended JSON', async () => {
    const save = vi.fn().mockResolvedValue(undefined)
    render(<DocumentEditor mode="insert" initialText="{}" save={save} onCancel={() => {}} />)
    await vi.waitFor(() => expect(saveButton().disabled).toBe(false))

    await type('{\n  "when": {"$date": "tomorrow"}\n}')
    await vi.waitFor(() => expect(screen.getByText(/not a valid date/)).toBeTruthy())
    expect(saveButton().disabled).toBe(true)
    fireEvent.click(saveButton())
    expect(save).not.toHaveBeenCalled()

    // Sent as canonical Extended JSON: the 64-bit integer keeps its digits, the fields their order,
    // and shell syntax gives the same text.
    const sent = '{"b":{"$numberLong":"9007199254740993"},"a":{"$oid":"65a1b2c3d4e5f60718293a4b"}}'
    await type('{"b": 9007199254740993, "a": {"$oid": "65a1b2c3d4e5f60718293a4b"}}')
    await vi.waitFor(() => expect(saveButton().disabled).toBe(false))
    fireEvent.click(saveButton())
    await vi.waitFor(() => expect(save).toHaveBeenCalledWith(sent))
    cleanup()
    render(<DocumentEditor mode="insert" initialText="{}" save={save} onCancel={() => {}} />)
    await type("{b: NumberLong('9007199254740993'), a: ObjectId('65a1b2c3d4e5f60718293a4b'),}")
    await vi.waitFor(() => expect(saveButton().disabled).toBe(false))
    fireEvent.click(saveButton())
    await vi.waitFor(() => expect(save).toHaveBeenLastCalledWith(sent))
  })

  it('keeps the _id of an edited document and shows a refused save', async () => {
    const save = vi.fn().mockRejectedValue(new ApiError(409, 'CONFLICT', 'duplicate key: index email_1'))
    render(
      <DocumentEditor
        mode="edit"
        initialText={'{\n  "_id": "a",\n  "email": "x@example.com"\n}'}
        originalId="a"
        save={save}
        onCancel={() => {}}
      />,
    )
    await type('{"_id": "b"}')
    await vi.waitFor(() => expect(screen.getByText(/The _id of a stored document cannot change/)).toBeTruthy())
    expect(saveButton().disabled).toBe(true)

    await type('{"_id": "a", "email": "y@example.com"}')
    await vi.waitFor(() => expect(saveButton().disabled).toBe(false))
    fireEvent.click(saveButton())
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toContain('duplicate key: index email_1'))
  })
})
