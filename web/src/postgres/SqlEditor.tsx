// The SQL editor: CodeMirror 6 with its engine's SQL highlighting (PostgreSQL's unless told) and
// completion of keywords, schemas, tables and columns (from the catalog). Each query tab keeps its own editor state, so undo
// history and the selection survive switching tabs; the text is reported up for saving.
import { autocompletion, closeBrackets, closeBracketsKeymap, closeCompletion, completionKeymap } from '@codemirror/autocomplete'
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands'
import { PostgreSQL, sql, type SQLDialect, type SQLNamespace } from '@codemirror/lang-sql'
import { bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { Compartment, EditorState, Prec, StateEffect, StateField, type Extension } from '@codemirror/state'
import { Decoration, EditorView, highlightActiveLine, keymap, lineNumbers, placeholder, type DecorationSet } from '@codemirror/view'
import { classHighlighter } from '@lezer/highlight'
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react'

/** What completion offers besides keywords: `{schema: {table: [columns]}}`. */
export type SqlCatalog = Record<string, Record<string, string[]>>

interface Props {
  /** The tab shown; each tab keeps its own state (text, undo history, selection). */
  tabId: string
  /** The text a tab starts with the first time it is shown. */
  initial: string
  onChange: (tabId: string, value: string) => void
  /** Ctrl/Cmd+Enter. */
  onRun: () => void
  catalog?: SqlCatalog
  /** The range to mark as the error, in UTF-16 offsets. */
  error?: { start: number; end: number } | null
  /** The SQL dialect (PostgreSQL unless told), read once when the editor is made. */
  dialect?: SQLDialect
  /** Where unqualified table names complete from (`public` unless told). */
  defaultSchema?: string
}

/** What the page may do to the editor. */
export interface SqlEditorHandle {
  /** Inserts text at the cursor (replacing the selection). */
  insert: (text: string) => void
  focus: () => void
  /** Forgets a closed tab's state. */
  forget: (tabId: string) => void
  /** Closes the completion list (a statement is about to run). */
  closeCompletion: () => void
}

const setError = StateEffect.define<{ start: number; end: number } | null>()
const errorMark = Decoration.mark({ class: 'sql-error', attributes: { 'data-error-position': '' } })
const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes)
    for (const effect of tr.effects) {
      if (!effect.is(setError)) continue
      const range = effect.value
      const end = Math.min(range?.end ?? 0, tr.state.doc.length)
      next = range && end > range.start ? Decoration.set([errorMark.range(range.start, end)]) : Decoration.none
    }
    return next
  },
  provide: (f) => EditorView.decorations.from(f),
})

/** The completion namespace of lang-sql: schemas with their tables, and `public`'s tables bare. */
export function completionSchema(catalog: SqlCatalog): SQLNamespace {
  const namespace: Record<string, Record<string, string[]>> = {}
  for (const [schema, tables] of Object.entries(catalog)) namespace[schema] = tables
  return namespace
}

export const SqlEditor = forwardRef<SqlEditorHandle, Props>(function SqlEditor(
  { tabId, initial, onChange, onRun, catalog, error, dialect = PostgreSQL, defaultSchema = 'public' },
  ref,
) {
  const host = useRef<HTMLDivElement | null>(null)
  const view = useRef<EditorView | null>(null)
  const states = useRef(new Map<string, EditorState>())
  const language = useRef(new Compartment())
  const shownTab = useRef(tabId)
  // The latest callbacks, read by extensions made once.
  const latest = useRef({ onChange, onRun })
  latest.current = { onChange, onRun }
  const catalogRef = useRef(catalog)
  catalogRef.current = catalog

  const languageFor = (c: SqlCatalog | undefined): Extension =>
    sql({ dialect, upperCaseKeywords: true, schema: completionSchema(c ?? {}), defaultSchema })

  const makeState = (text: string) =>
    EditorState.create({
      doc: text,
      selection: { anchor: text.length },
      extensions: [
        lineNumbers(),
        history(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        autocompletion(),
        // Plain class names (tok-keyword…) styled in styles.css: the console's CSP refuses the
        // <style> elements CodeMirror would add for its own themes, so its base styles are there too.
        syntaxHighlighting(classHighlighter),
        language.current.of(languageFor(catalogRef.current)),
        errorField,
        placeholder('Write SQL; Ctrl/⌘ + Enter runs it'),
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-Enter',
              run: (view) => {
                closeCompletion(view)
                latest.current.onRun()
                return true
              },
            },
          ]),
        ),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': 'SQL', 'data-sql-editor': '' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) latest.current.onChange(shownTab.current, update.state.doc.toString())
        }),
      ],
    })

  useEffect(() => {
    if (!host.current) return
    const editor = new EditorView({ state: makeState(initial), parent: host.current })
    view.current = editor
    return () => {
      editor.destroy()
      view.current = null
    }
    // The editor is made once; tabs, catalog and error marks are changed on it below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  // Another tab: keep this one's state (undo history included), show the other's.
  useEffect(() => {
    const editor = view.current
    if (!editor || shownTab.current === tabId) return
    states.current.set(shownTab.current, editor.state)
    shownTab.current = tabId
    const saved = states.current.get(tabId)
    editor.setState(saved ?? makeState(initial))
    editor.dispatch({ effects: language.current.reconfigure(languageFor(catalogRef.current)) })
    // `initial` is read only when a tab is first shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tabId])

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(languageFor(catalog)) })
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalog])

  useEffect(() => {
    view.current?.dispatch({ effects: setError.of(error ?? null) })
  }, [error])

  useImperativeHandle(ref, () => ({
    insert: (text: string) => {
      const editor = view.current
      if (!editor) return
      editor.dispatch(editor.state.replaceSelection(text))
      editor.focus()
    },
    focus: () => view.current?.focus(),
    forget: (id: string) => {
      states.current.delete(id)
    },
    closeCompletion: () => {
      if (view.current) closeCompletion(view.current)
    },
  }))

  return <div className="sql-editor cm" ref={host} />
})
