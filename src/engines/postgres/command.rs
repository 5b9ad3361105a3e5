//! The command a SQL text ran, as PostgreSQL's CommandComplete tag names it (`UPDATE`, `CREATE
//! TABLE`, `SELECT`…). tokio-postgres hands us the tag's row count but not its words, so the words
//! are read from the text: the last statement's leading keywords, outside comments, quotes and
//! parentheses (a `WITH` query is named by its main statement). A label for people: nothing is
//! decided by it.

/// Words between `CREATE`/`ALTER`/`DROP` and the object's kind that the tag leaves out.
const MODIFIERS: &[&str] = &[
    "OR",
    "REPLACE",
    "UNIQUE",
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "GLOBAL",
    "LOCAL",
    "TRUSTED",
    "PROCEDURAL",
    "RECURSIVE",
];
/// Object kinds spelled with two words (`MATERIALIZED VIEW`, `FOREIGN TABLE`, `EVENT TRIGGER`…).
const TWO_WORD_KINDS: &[&str] = &["MATERIALIZED", "FOREIGN", "EVENT", "TEXT", "ACCESS", "USER", "DEFAULT"];
/// Statements a `WITH` clause may lead into.
const MAIN_AFTER_WITH: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"];

/// The outermost words of each statement of `sql` (upper-cased), statements split at `;`.
fn statements(sql: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = sql.chars().collect();
    let (mut statements, mut words, mut word) = (Vec::new(), Vec::new(), String::new());
    let mut depth = 0usize;
    let mut i = 0;
    // Words keep their parenthesis depth: a statement is named by its outermost words.
    let end_word = |word: &mut String, words: &mut Vec<(usize, String)>, depth: usize| {
        if !word.is_empty() {
            words.push((depth, std::mem::take(word).to_ascii_uppercase()));
        }
    };
    let outermost = |words: Vec<(usize, String)>| -> Vec<String> {
        let top = words.iter().map(|(d, _)| *d).min().unwrap_or(0);
        words.into_iter().filter(|(d, _)| *d == top).map(|(_, w)| w).collect()
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '-' if next == Some('-') => {
                end_word(&mut word, &mut words, depth);
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                end_word(&mut word, &mut words, depth);
                let mut nesting = 0usize;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        nesting += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        nesting -= 1;
                        i += 2;
                        if nesting == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            '\'' | '"' => {
                // E'…' strings take backslash escapes; doubled quotes escape in every kind.
                let backslashes = c == '\'' && word.eq_ignore_ascii_case("e");
                end_word(&mut word, &mut words, depth);
                i += 1;
                while i < chars.len() {
                    let escaped = (backslashes && chars[i] == '\\') || (chars[i] == c && chars.get(i + 1) == Some(&c));
                    if escaped {
                        i += 2;
                    } else if chars[i] == c {
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            '$' if word.is_empty() => {
                // A dollar quote: $tag$ … $tag$ ($1 parameters have no closing $).
                let tag_end = chars[i + 1..].iter().position(|ch| !(ch.is_alphanumeric() || *ch == '_'));
                match tag_end.map(|n| i + 1 + n) {
                    Some(close) if chars[close] == '$' && !chars[i + 1].is_ascii_digit() => {
                        let tag: String = chars[i..=close].iter().collect();
                        let body_start = close + 1;
                        let rest: String = chars[body_start..].iter().collect();
                        i = match rest.find(&tag) {
                            Some(at) => body_start + rest[..at].chars().count() + tag.chars().count() - 1,
                            None => chars.len(),
                        };
                    }
                    _ => {}
                }
            }
            '(' => {
                end_word(&mut word, &mut words, depth);
                depth += 1;
            }
            ')' => {
                end_word(&mut word, &mut words, depth);
                depth = depth.saturating_sub(1);
            }
            ';' => {
                end_word(&mut word, &mut words, depth);
                if !words.is_empty() {
                    statements.push(outermost(std::mem::take(&mut words)));
                }
                depth = 0;
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => end_word(&mut word, &mut words, depth),
        }
        i += 1;
    }
    end_word(&mut word, &mut words, depth);
    if !words.is_empty() {
        statements.push(outermost(words));
    }
    statements
}

/// The command of the last statement of `sql`, e.g. `UPDATE` or `CREATE TABLE`.
pub fn command_of(sql: &str) -> Option<String> {
    let words = statements(sql).pop()?;
    let first = words.first()?.as_str();
    let named = match first {
        "WITH" => words.iter().skip(1).find(|w| MAIN_AFTER_WITH.contains(&w.as_str()))?.clone(),
        "CREATE" | "ALTER" | "DROP" => {
            let mut rest = words.iter().skip(1).skip_while(|w| MODIFIERS.contains(&w.as_str()));
            match rest.next() {
                Some(kind) if TWO_WORD_KINDS.contains(&kind.as_str()) => match rest.next() {
                    Some(second) => format!("{first} {kind} {second}"),
                    None => format!("{first} {kind}"),
                },
                Some(kind) => format!("{first} {kind}"),
                None => first.to_string(),
            }
        }
        other => other.to_string(),
    };
    // The tag says SELECT for VALUES and TABLE queries.
    Some(if named == "VALUES" || named == "TABLE" { "SELECT".into() } else { named })
}

#[cfg(test)]
mod tests {
    use super::command_of;

    #[test]
    fn names_the_command_like_the_server_tag() {
        let cases = [
            ("UPDATE people SET name = 'x' WHERE id = 8", "UPDATE"),
            ("  -- note\n/* a /* nested */ one */ delete from t", "DELETE"),
            ("WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved", "INSERT"),
            ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT * FROM t", "SELECT"),
            ("create unique index on t (a)", "CREATE INDEX"),
            ("CREATE OR REPLACE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql", "CREATE FUNCTION"),
            ("CREATE MATERIALIZED VIEW m AS SELECT 1", "CREATE MATERIALIZED VIEW"),
            ("drop table if exists x", "DROP TABLE"),
            ("SELECT ';' AS semi; UPDATE t SET a = E'\\';'", "UPDATE"),
            ("VALUES (1), (2)", "SELECT"),
            ("INSERT INTO t VALUES ($1)", "INSERT"),
            ("SELECT $$ ; DROP TABLE x $$", "SELECT"),
            ("(SELECT 1)", "SELECT"),
            ("SELECT 1;  ", "SELECT"),
        ];
        for (sql, tag) in cases {
            assert_eq!(command_of(sql).as_deref(), Some(tag), "{sql}");
        }
        assert_eq!(command_of("  ;  -- nothing"), None);
    }
}
