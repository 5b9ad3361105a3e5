//! MariaDB/MySQL values to JSON, without precision loss. The same column comes out the same way
//! whether it was read with the binary protocol (typed values) or the text protocol (text).
//!
//! Mapping:
//! - integers (`TINYINT`..`BIGINT`, signed or not), `BIT(n)` and `YEAR`: JSON numbers while they
//!   are within ±(2^53 − 1), where every JSON reader keeps them exact; beyond that (a large
//!   `BIGINT`, `BIGINT UNSIGNED`, `BIT(64)`) a string of the decimal digits. Decided per value.
//!   A `BIT` is its unsigned number (`b'1010'` is 10), not a string of bits.
//! - `DECIMAL`: a JSON number when it has at most 15 significant digits (an `f64` holds any such
//!   decimal exactly, though trailing zeros of the scale are not kept), else the server's digits
//!   as a string.
//! - `FLOAT`/`DOUBLE`: numbers, in their shortest form (a `FLOAT` 1.1 stays 1.1). NaN and
//!   infinities cannot be stored by MySQL.
//! - `DATE` as `YYYY-MM-DD`; `DATETIME` and `TIMESTAMP` as `YYYY-MM-DDTHH:MM:SS[.ffffff]` with as
//!   many fraction digits as the column declares. A `DATETIME` has no time zone (it is shown as
//!   stored); a `TIMESTAMP` is shown in the session's time zone, which this engine sets to UTC.
//!   The zero date `0000-00-00` comes back in the same form.
//! - `TIME` as `[-]HH:MM:SS[.ffffff]`, hours past 24 allowed (`-838:59:59`).
//! - `JSON` as JSON. MySQL says a column is JSON; MariaDB's `JSON` is a `LONGTEXT` with a
//!   `json_valid()` check, which the result's metadata does not show, so the caller passes which
//!   columns the catalog says are JSON (see `query.rs`); such text that is not valid JSON stays a string.
//! - binary strings (`BINARY`, `VARBINARY`, `BLOB`s, `GEOMETRY`, anything in the `binary`
//!   character set) as `\x` followed by lowercase hex, the shape the PostgreSQL engine gives `bytea`.
//! - `CHAR`/`VARCHAR`/`TEXT`s, `ENUM`, `SET` as strings (a `SET` is its comma-separated members).
//! - `NULL` as null.

use mysql_async::consts::{ColumnFlags, ColumnType};
use mysql_async::{Column, Value as MyValue};
use serde_json::{Number, Value};

/// Largest integer every JSON reader keeps exact (2^53 − 1).
const MAX_SAFE: u64 = (1 << 53) - 1;

/// The `binary` character set: bytes, not text.
const BINARY_CHARSET: u16 = 63;

/// Converts one value of `column` to JSON; `json` says the catalog knows the column as JSON.
pub fn to_json(column: &Column, value: MyValue, json: bool) -> Value {
    use ColumnType::*;
    let ty = column.column_type();
    match value {
        MyValue::NULL => Value::Null,
        MyValue::Int(i) => int(i),
        MyValue::UInt(u) => uint(u),
        MyValue::Float(f) => float(f.to_string()),
        MyValue::Double(d) => float(d.to_string()),
        MyValue::Date(y, mo, d, h, mi, s, us) => match ty {
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => Value::String(format!("{y:04}-{mo:02}-{d:02}")),
            _ => {
                let mut out = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
                push_fraction(&mut out, us, column.decimals());
                Value::String(out)
            }
        },
        MyValue::Time(negative, days, h, mi, s, us) => {
            let hours = u64::from(days) * 24 + u64::from(h);
            let sign = if negative { "-" } else { "" };
            let mut out = format!("{sign}{hours:02}:{mi:02}:{s:02}");
            push_fraction(&mut out, us, column.decimals());
            Value::String(out)
        }
        MyValue::Bytes(bytes) => match ty {
            MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG | MYSQL_TYPE_LONGLONG
            | MYSQL_TYPE_YEAR => integer_text(&bytes),
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => decimal_text(&bytes),
            MYSQL_TYPE_FLOAT | MYSQL_TYPE_DOUBLE => float(String::from_utf8_lossy(&bytes).into_owned()),
            MYSQL_TYPE_BIT => bits(&bytes),
            // The text protocol separates date and time with a space.
            MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 | MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => {
                text_or_hex(&bytes).map_or_else(|| hex(&bytes), |s| Value::String(s.replacen(' ', "T", 1)))
            }
            // The text protocol sends dates and times in the binary character set: they are text.
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE | MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => {
                text_or_hex(&bytes).map_or_else(|| hex(&bytes), Value::String)
            }
            MYSQL_TYPE_JSON => json_text(&bytes),
            MYSQL_TYPE_GEOMETRY => hex(&bytes),
            _ if column.character_set() == BINARY_CHARSET && !is_enum_or_set(column) => hex(&bytes),
            _ if json => json_text(&bytes),
            _ => text_or_hex(&bytes).map_or_else(|| hex(&bytes), Value::String),
        },
    }
}

fn is_enum_or_set(column: &Column) -> bool {
    column.flags().intersects(ColumnFlags::ENUM_FLAG | ColumnFlags::SET_FLAG)
        || matches!(column.column_type(), ColumnType::MYSQL_TYPE_ENUM | ColumnType::MYSQL_TYPE_SET)
}

fn int(i: i64) -> Value {
    if i.unsigned_abs() <= MAX_SAFE {
        Value::from(i)
    } else {
        Value::String(i.to_string())
    }
}

fn uint(u: u64) -> Value {
    if u <= MAX_SAFE {
        Value::from(u)
    } else {
        Value::String(u.to_string())
    }
}

/// An integer in text form (text protocol).
fn integer_text(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(i) = text.parse::<i64>() {
        return int(i);
    }
    if let Ok(u) = text.parse::<u64>() {
        return uint(u);
    }
    Value::String(text.into_owned())
}

/// A `DECIMAL` as the server printed it: a number when an `f64` holds it exactly.
fn decimal_text(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let significant = text.trim_start_matches('-').trim_start_matches(['0', '.']).replace('.', "");
    let significant = significant.trim_end_matches('0');
    // Trailing zeros of an integer part are significant for its size, not its precision: count
    // them only after the point, so 100000000000000000000 (1e20) stays a number.
    if significant.len() <= 15 {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text)
}

/// A float from its shortest decimal form.
fn float(shortest: String) -> Value {
    shortest.parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::String(shortest), Value::Number)
}

/// A `BIT(n)` value: big-endian bytes, as an unsigned number.
fn bits(bytes: &[u8]) -> Value {
    if bytes.len() > 8 {
        return hex(bytes);
    }
    uint(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

fn json_text(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| text_or_hex(bytes).map_or_else(|| hex(bytes), Value::String))
}

fn text_or_hex(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

/// Bytes as `\x` hex, the PostgreSQL engine's `bytea` shape.
fn hex(bytes: &[u8]) -> Value {
    Value::String(format!("\\x{}", hex::encode(bytes)))
}

/// Appends `.ffffff` cut to the column's declared fraction digits (at most 6).
fn push_fraction(out: &mut String, micros: u32, decimals: u8) {
    let digits = usize::from(decimals.min(6));
    // An expression of unknown precision says 31 (`NOT_FIXED_DEC`): it gets all six.
    if digits == 0 {
        return;
    }
    let text = format!("{micros:06}");
    out.push('.');
    out.push_str(&text[..digits]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_exact() {
        assert_eq!(int(-5), Value::from(-5));
        assert_eq!(uint(MAX_SAFE), Value::from(MAX_SAFE));
        assert_eq!(uint(MAX_SAFE + 1), Value::String("9007199254740992".into()));
        assert_eq!(uint(u64::MAX), Value::String("18446744073709551615".into()));
        assert_eq!(integer_text(b"-9223372036854775808"), Value::String("-9223372036854775808".into()));
        assert_eq!(bits(&[0x02, 0x05]), Value::from(517));
    }

    #[test]
    fn decimals_become_numbers_only_when_exact() {
        assert_eq!(decimal_text(b"12.50"), serde_json::json!(12.5));
        assert_eq!(decimal_text(b"-0.000001"), serde_json::json!(-0.000001));
        let long = "12345678901234567890.123456789012345678901234567890";
        assert_eq!(decimal_text(long.as_bytes()), Value::String(long.into()));
        assert_eq!(decimal_text(b"1234567890123456"), Value::String("1234567890123456".into()));
    }

    #[test]
    fn fractions_follow_the_column() {
        let mut out = String::from("x");
        push_fraction(&mut out, 123_456, 6);
        push_fraction(&mut out, 120_000, 2);
        assert_eq!(out, "x.123456.12");
    }
}
