// A CodeMirror 6 editor for Extended JSON and shell syntax (JavaScript mode: unquoted keys, single
// quotes and ObjectId(…) highlight as they read), kept small: line numbers, history, bracket
// matching, Tab indents, Ctrl/Cmd+Enter submits. It lives in the lazily loaded MongoDB chunk.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands'
import { javascript } from '@codemirror/lang-javascript'
import { bracketMatching, syntaxHighlighting } from '@codemirror/language'
import { EditorState } from '@codemirror/state'
import { EditorView, keymap, lineNumbers, placeholder as placeholderText } from '@codemirror/view'
import { classHighlighter } from '@lezer/highlight'
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react'
import './codemirror.css'

export interface CodeEditorHandle {
  /** Focuses the editor and selects `from`–`to` (offsets in the text). */
  select: (from: number, to: number) => void
}

interface Props {
  name: string
  label: string
  value: string
  onChange: (text: string) => void
  rows: number
  invalid?: boolean
  readOnly?: boolean
  placeholder?: string
  onSubmit?: () => void
}

export const CodeEditor = forwardRef<CodeEditorHandle, Props>(function CodeEditor(
  { name, label, value, onChange, rows, invalid, readOnly, placeholder, onSubmit },
  ref,
) {
  const host = useRef<HTMLDivElement | null>(null)
  const view = useRef<EditorView | null>(null)
  // The latest callbacks, read by the editor's listeners (created once).
  const latest = useRef({ onChange, onSubmit })
  latest.current = { onChange, onSubmit }

  useEffect(() => {
    if (!host.current) return
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          // Classes, not injected styles: the console's CSP refuses <style> elements (./codemirror.css).
          syntaxHighlighting(classHighlighter),
          javascript(),
          keymap.of([
            { key: 'Mod-Enter', run: () => (latest.current.onSubmit ? (latest.current.onSubmit(), true) : false) },
            ...defaultKeymap,
            ...historyKeymap,
            indentWithTab,
          ]),
          EditorState.readOnly.of(readOnly ?? false),
          ...(placeholder ? [placeholderText(placeholder)] : []),
          EditorView.contentAttributes.of({ 'aria-label': label, 'data-name': name, spellcheck: 'false', autocapitalize: 'off' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current.onChange(update.state.doc.toString())
          }),
        ],
      }),
    })
    view.current = editor
    return () => {
      editor.destroy()
      view.current = null
    }
    // The editor is made once; `value` changes from outside arrive below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  // A value set from outside (Format, a reset) replaces the text; typing does not come back here.
  useEffect(() => {
    const editor = view.current
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } })
    }
  }, [value])

  useImperativeHandle(ref, () => ({
    select: (from, to) => {
      const editor = view.current
      if (!editor) return
      const max = editor.state.doc.length
      editor.focus()
      editor.dispatch({ selection: { anchor: Math.min(from, max), head: Math.min(to, max) }, scrollIntoView: true })
    },
  }))

  return (
    <div
      ref={host}
      className={invalid ? 'code-editor invalid' : 'code-editor'}
      data-editor={name}
      aria-invalid={invalid || undefined}
      style={{ minHeight: `${rows * 1.4 + 0.6}em` }}
    />
  )
})
