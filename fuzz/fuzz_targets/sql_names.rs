//! What reaches PostgreSQL as SQL text from a caller's names and values: identifiers and literals
//! are quoted so they read back exactly as given (no text can end the quote early), and the Table
//! Editor's `order`/`filter`/`select` parsers take any text without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::engines::postgres::ddl::{quote_ident, quote_literal};
use switchboard::engines::postgres::rows::{Filter, OrderBy, PageRequest, Relation};

/// Reads a quoted identifier back: `"…"` with `""` for a quote, nothing after the closing quote.
fn unquote_ident(sql: &str) -> Option<String> {
    let inner = sql.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            // A lone quote inside would have ended the identifier early.
            if chars.next()? != '"' {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

/// Reads a literal back as PostgreSQL does: `'…'` with `''`, or `E'…'` with `\\` as well.
fn unquote_literal(sql: &str) -> Option<String> {
    let (escaped, body) = match sql.strip_prefix("E'") {
        Some(rest) => (true, rest),
        None => (false, sql.strip_prefix('\'')?),
    };
    let inner = body.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' if chars.next()? != '\'' => return None,
            '\\' if escaped => out.push(chars.next()?),
            '\\' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    assert_eq!(unquote_ident(&quote_ident(text)).as_deref(), Some(text), "identifier round trip");
    if let Ok(literal) = quote_literal(text) {
        assert_eq!(unquote_literal(&literal).as_deref(), Some(text), "literal round trip");
    }
    let Ok(relation) = Relation::with_text_columns(&["id", "a.b", "Mixed Case", "naïve \"q\"", "select"]) else {
        return;
    };
    let _ = OrderBy::parse(&relation, text);
    let _ = Filter::parse(&relation, text);
    let _ = PageRequest::parse_select(&relation, &[text.to_string()]);
});
