//! Redis's glob patterns (`*`, `?`, `[…]` with ranges and `^`, `\` escapes), matched the way the
//! server's own `stringmatchlen` matches them, byte for byte. The key listing filters SCAN's
//! batches itself so that it knows exactly how many keys it examined.

/// Whether `text` matches `pattern`. `*` backtracks iteratively, so no pattern can make it
/// recurse or take more than `pattern.len() × text.len()` steps.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the pattern just past it, and the text it has taken.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if let Some(next) = step(pattern, p, text[t]) {
            match next {
                Step::Star => {
                    star = Some((p + 1, t));
                    p += 1;
                }
                Step::Matched(after) => {
                    p = after;
                    t += 1;
                }
            }
            continue;
        }
        match star {
            Some((after_star, taken)) => {
                p = after_star;
                t = taken + 1;
                star = Some((after_star, taken + 1));
            }
            None => return false,
        }
    }
    while pattern.get(p) == Some(&b'*') {
        p += 1;
    }
    p == pattern.len()
}

/// A pattern matching every text that contains `text` literally (`*text*` with the glob
/// characters of `text` escaped), for a plain "contains" search.
pub fn contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('*');
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('*');
    out
}

enum Step {
    /// A `*` at this position.
    Star,
    /// The byte matched; the pattern continues here.
    Matched(usize),
}

/// What the pattern at `p` does with `byte`; `None` when it does not match (or the pattern ended).
fn step(pattern: &[u8], p: usize, byte: u8) -> Option<Step> {
    match *pattern.get(p)? {
        b'*' => Some(Step::Star),
        b'?' => Some(Step::Matched(p + 1)),
        b'[' => class(pattern, p, byte),
        // A trailing backslash is a literal backslash, as in Redis.
        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == byte).then_some(Step::Matched(p + 2)),
        c => (c == byte).then_some(Step::Matched(p + 1)),
    }
}

/// A `[…]` class at `p`: `^` negates, `a-z` is a range (either order), `\` escapes, and a class
/// that is never closed runs to the end of the pattern.
fn class(pattern: &[u8], p: usize, byte: u8) -> Option<Step> {
    let mut i = p + 1;
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut found = false;
    let after = loop {
        let Some(&c) = pattern.get(i) else { break pattern.len() };
        if c == b'\\' && i + 1 < pattern.len() {
            i += 1;
            found |= pattern[i] == byte;
        } else if c == b']' {
            break i + 1;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (a, b) = (c.min(pattern[i + 2]), c.max(pattern[i + 2]));
            found |= (a..=b).contains(&byte);
            i += 2;
        } else {
            found |= c == byte;
        }
        i += 1;
    };
    (found != negated).then_some(Step::Matched(after))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_as_redis_does() {
        let yes: &[(&str, &str)] = &[
            ("*", ""),
            ("*", "anything"),
            ("user:*", "user:1"),
            ("h?llo", "hello"),
            ("h[ae]llo", "hallo"),
            ("h[^e]llo", "hallo"),
            ("h[a-b]llo", "hbllo"),
            ("h[b-a]llo", "hallo"),
            ("a\\*b", "a*b"),
            ("a\\", "a\\"),
            ("*a*b*c", "xxaxxbxxc"),
            ("[abc", "b"),
        ];
        for (p, t) in yes {
            assert!(matches(p.as_bytes(), t.as_bytes()), "{p} should match {t}");
        }
        let no: &[(&str, &str)] = &[
            ("user:*", "users:1"),
            ("h?llo", "hllo"),
            ("h[^e]llo", "hello"),
            ("h[a-b]llo", "hcllo"),
            ("a\\*b", "axb"),
            ("*a*b*c", "xxaxxbxx"),
            ("", "x"),
        ];
        for (p, t) in no {
            assert!(!matches(p.as_bytes(), t.as_bytes()), "{p} should not match {t}");
        }
        // No pattern can make it slow: this would take ages with naive recursion.
        let text = "a".repeat(5_000);
        assert!(!matches(format!("{}b", "*a".repeat(50)).as_bytes(), text.as_bytes()));
    }
}
