//! PostgreSQL values to JSON and JSON parameters to PostgreSQL, without precision loss.
//!
//! `tokio-postgres` always asks for results in binary format, so this module decodes the binary
//! wire format of the common types itself (the crate's own conversions need optional features and
//! would lose `numeric` precision). A type it does not know is reported as [`Decoded::NeedsText`];
//! the caller then asks the server for that value's text form (see `query.rs`), so every type the
//! server can print comes back faithfully.
//!
//! Mapping: `int2`/`int4`/`oid` are JSON numbers; `int8` and `numeric` are strings (JSON numbers
//! lose precision beyond 2^53); `float4`/`float8` are numbers, with `NaN`/`Infinity` as strings;
//! `bool`; `json`/`jsonb` as JSON; arrays as nested JSON arrays; `timestamptz` as RFC 3339 in UTC;
//! `timestamp`, `date` and `time` as ISO 8601 text; `bytea` as `\x` hex; `uuid`, text types and
//! enums as strings. Types decoded elsewhere come back as the server prints them (an array of
//! such a type as one PostgreSQL array literal); an anonymous record (`SELECT (a, b)`), which the
//! server cannot read back to print, is a JSON array of its fields.
//!
//! Parameters travel in text format: the server parses them with the declared type's own input
//! function, so any type can be bound without a Rust-side encoder.

use std::error::Error;

use serde_json::{Number, Value};
use time::{Date, Duration};
use tokio_postgres::types::{Format, FromSql, IsNull, Kind, ToSql, Type};

type BoxError = Box<dyn Error + Sync + Send>;

// Built-in type oids (stable since PostgreSQL 7; see pg_type.dat).
const BOOL: u32 = 16;
const BYTEA: u32 = 17;
const CHAR: u32 = 18;
const NAME: u32 = 19;
const INT8: u32 = 20;
const INT2: u32 = 21;
const INT4: u32 = 23;
const TEXT: u32 = 25;
const OID: u32 = 26;
const JSON: u32 = 114;
const FLOAT4: u32 = 700;
const FLOAT8: u32 = 701;
const UNKNOWN: u32 = 705;
const BPCHAR: u32 = 1042;
const VARCHAR: u32 = 1043;
const DATE: u32 = 1082;
const TIME: u32 = 1083;
const TIMESTAMP: u32 = 1114;
const TIMESTAMPTZ: u32 = 1184;
const NUMERIC: u32 = 1700;
const RECORD: u32 = 2249;
const UUID: u32 = 2950;
const JSONB: u32 = 3802;

/// A column value exactly as the server sent it; accepts every type.
pub struct RawValue<'a>(pub Option<&'a [u8]>);

impl<'a> FromSql<'a> for RawValue<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Self(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Self(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A value's bytes resent as they came, for asking the server to print a type we cannot decode.
#[derive(Debug)]
pub struct ResendValue<'a>(pub &'a [u8]);

impl ToSql for ResendValue<'_> {
    fn to_sql(&self, _: &Type, out: &mut tokio_postgres::types::private::BytesMut) -> Result<IsNull, BoxError> {
        // `private::BytesMut` is `bytes::BytesMut`, re-exported; `to_sql_checked!` names it the same way.
        out.extend_from_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A parameter in PostgreSQL's text format (or NULL); the server parses it as the declared type.
#[derive(Debug)]
pub struct TextParam(pub Option<String>);

impl ToSql for TextParam {
    fn to_sql(&self, _: &Type, out: &mut tokio_postgres::types::private::BytesMut) -> Result<IsNull, BoxError> {
        match &self.0 {
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> Format {
        Format::Text
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Converts a JSON parameter into the text the server parses as `ty`. `Err` says why it cannot be bound.
pub fn text_param(value: &Value, ty: &Type) -> Result<TextParam, String> {
    let base = base_type(ty);
    let text = match value {
        Value::Null => return Ok(TextParam(None)),
        // Strings go verbatim, as node-postgres sends them: a `jsonb` parameter takes JSON text.
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Object(_) if is_json(base) => value.to_string(),
        Value::Array(items) if matches!(base.kind(), Kind::Array(_)) => array_literal(items, base)?,
        Value::Array(_) => return Err(format!("a JSON array cannot be bound to a parameter of type {}", ty.name())),
        Value::Object(_) => {
            return Err(format!("a JSON object can only be bound to a json or jsonb parameter, not {}", ty.name()))
        }
    };
    Ok(TextParam(Some(text)))
}

/// Follows domains to the type they are built on.
fn base_type(ty: &Type) -> &Type {
    match ty.kind() {
        Kind::Domain(inner) => base_type(inner),
        _ => ty,
    }
}

fn is_json(ty: &Type) -> bool {
    matches!(ty.oid(), JSON | JSONB)
}

/// Builds an array literal (`{1,"a b",NULL,{2,3}}`) from a JSON array for an array-typed parameter.
fn array_literal(items: &[Value], ty: &Type) -> Result<String, String> {
    let element = match ty.kind() {
        Kind::Array(element) => base_type(element),
        _ => ty,
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        parts.push(match item {
            Value::Null => "NULL".to_string(),
            Value::Array(inner) if !is_json(element) => array_literal(inner, ty)?,
            Value::String(s) => quote_element(s),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => quote_element(&other.to_string()),
        });
    }
    Ok(format!("{{{}}}", parts.join(",")))
}

fn quote_element(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The outcome of decoding one non-NULL value.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// The JSON value.
    Json(Value),
    /// This type's binary form is not decoded here: ask the server for its text form.
    NeedsText,
}

/// Decodes a NULL-able binary value of type `ty`.
pub fn decode(ty: &Type, raw: Option<&[u8]>) -> Decoded {
    match raw {
        None => Decoded::Json(Value::Null),
        Some(bytes) => match decode_value(ty, bytes) {
            Some(value) => Decoded::Json(value),
            None => Decoded::NeedsText,
        },
    }
}

/// `None` when the type is not decoded here or the bytes are outside what we render (e.g. BC dates).
fn decode_value(ty: &Type, raw: &[u8]) -> Option<Value> {
    match ty.kind() {
        Kind::Domain(inner) => return decode_value(inner, raw),
        // An enum's binary form is its label.
        Kind::Enum(_) => return utf8(raw),
        Kind::Array(element) => return decode_array(element, raw),
        _ => {}
    }
    match ty.oid() {
        BOOL => Some(Value::Bool(*raw.first()? != 0)),
        INT2 => Some(Value::from(i16::from_be_bytes(raw.try_into().ok()?))),
        INT4 => Some(Value::from(i32::from_be_bytes(raw.try_into().ok()?))),
        OID => Some(Value::from(u32::from_be_bytes(raw.try_into().ok()?))),
        INT8 => Some(Value::String(i64::from_be_bytes(raw.try_into().ok()?).to_string())),
        FLOAT4 => Some(float(f32::from_be_bytes(raw.try_into().ok()?).to_string())),
        FLOAT8 => Some(float(f64::from_be_bytes(raw.try_into().ok()?).to_string())),
        NUMERIC => numeric(raw).map(Value::String),
        TEXT | VARCHAR | BPCHAR | NAME | CHAR | UNKNOWN => utf8(raw),
        JSON => json(raw),
        // jsonb's binary form is a version byte (1) followed by the JSON text.
        JSONB => match raw.split_first() {
            Some((1, text)) => json(text),
            _ => None,
        },
        BYTEA => Some(Value::String(format!("\\x{}", hex::encode(raw)))),
        UUID => Some(Value::String(uuid::Uuid::from_slice(raw).ok()?.hyphenated().to_string())),
        TIMESTAMPTZ => timestamp(i64::from_be_bytes(raw.try_into().ok()?), "Z"),
        TIMESTAMP => timestamp(i64::from_be_bytes(raw.try_into().ok()?), ""),
        DATE => date(i32::from_be_bytes(raw.try_into().ok()?)),
        TIME => time_of_day(i64::from_be_bytes(raw.try_into().ok()?)).map(Value::String),
        RECORD => decode_record(raw),
        _ => None,
    }
}

fn utf8(raw: &[u8]) -> Option<Value> {
    std::str::from_utf8(raw).ok().map(|s| Value::String(s.to_string()))
}

fn json(raw: &[u8]) -> Option<Value> {
    serde_json::from_slice(raw).ok()
}

/// A float as a JSON number from its shortest decimal form (so `float4` 1.1 stays 1.1), or the
/// strings `NaN`, `Infinity`, `-Infinity` JSON cannot carry as numbers.
fn float(shortest: String) -> Value {
    match shortest.as_str() {
        "NaN" => Value::String("NaN".into()),
        "inf" => Value::String("Infinity".into()),
        "-inf" => Value::String("-Infinity".into()),
        text => text.parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::String(shortest), Value::Number),
    }
}

/// Decodes PostgreSQL's binary NUMERIC: digit count, weight (of the first base-10000 digit),
/// sign, display scale, then the base-10000 digits. Exact: it only rearranges decimal digits.
pub fn numeric(raw: &[u8]) -> Option<String> {
    let word = |i: usize| raw.get(2 * i..2 * i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let ndigits = usize::from(word(0)?);
    let weight = i64::from(word(1)? as i16);
    let sign = word(2)?;
    let dscale = usize::from(word(3)?);
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        _ => return None,
    }
    let digits = (0..ndigits).map(|i| word(4 + i).filter(|d| *d < 10_000)).collect::<Option<Vec<u16>>>()?;
    let digit_at = |i: i64| usize::try_from(i).ok().and_then(|i| digits.get(i)).copied().unwrap_or(0);
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                out.push_str(&digit_at(0).to_string());
            } else {
                out.push_str(&format!("{:04}", digit_at(i)));
            }
        }
    }
    if dscale > 0 {
        let mut fraction = String::with_capacity(dscale + 4);
        let mut i = weight + 1;
        while fraction.len() < dscale {
            fraction.push_str(&format!("{:04}", digit_at(i)));
            i += 1;
        }
        fraction.truncate(dscale);
        out.push('.');
        out.push_str(&fraction);
    }
    Some(out)
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// PostgreSQL's epoch for dates and timestamps.
const EPOCH: Date = time::macros::date!(2000 - 01 - 01);

/// Microseconds since 2000-01-01 as `YYYY-MM-DDTHH:MM:SS[.ffffff]` plus `suffix`; years outside
/// 1..=9999 fall back to the server's text form.
fn timestamp(micros: i64, suffix: &str) -> Option<Value> {
    match micros {
        i64::MAX => return Some(Value::String("infinity".into())),
        i64::MIN => return Some(Value::String("-infinity".into())),
        _ => {}
    }
    let day = EPOCH.checked_add(Duration::days(micros.div_euclid(MICROS_PER_DAY)))?;
    if !(1..=9999).contains(&day.year()) {
        return None;
    }
    let time = time_of_day(micros.rem_euclid(MICROS_PER_DAY))?;
    Some(Value::String(format!("{}T{time}{suffix}", iso_date(day))))
}

fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Days since 2000-01-01 as `YYYY-MM-DD`.
fn date(days: i32) -> Option<Value> {
    match days {
        i32::MAX => return Some(Value::String("infinity".into())),
        i32::MIN => return Some(Value::String("-infinity".into())),
        _ => {}
    }
    let d = EPOCH.checked_add(Duration::days(i64::from(days)))?;
    (1..=9999).contains(&d.year()).then(|| Value::String(iso_date(d)))
}

/// Microseconds since midnight as `HH:MM:SS[.ffffff]`, trailing zeros of the fraction dropped as
/// PostgreSQL prints them.
fn time_of_day(micros: i64) -> Option<String> {
    if !(0..=MICROS_PER_DAY).contains(&micros) {
        return None;
    }
    let (secs, frac) = (micros / 1_000_000, micros % 1_000_000);
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac > 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    Some(out)
}

/// Binary array: dimensions, a has-NULL flag, the element oid, each dimension's length and lower
/// bound, then every element as a length (-1 for NULL) and its bytes. Becomes nested JSON arrays.
fn decode_array(element: &Type, raw: &[u8]) -> Option<Value> {
    let int = |at: usize| raw.get(at..at + 4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let ndim = usize::try_from(int(0)?).ok()?;
    if ndim == 0 {
        return Some(Value::Array(Vec::new()));
    }
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        dims.push(usize::try_from(int(12 + 8 * d)?).ok()?);
    }
    let mut at = 12 + 8 * ndim;
    let total = dims.iter().try_fold(1usize, |acc, d| acc.checked_mul(*d))?;
    let mut flat = Vec::with_capacity(total.min(1 << 16));
    for _ in 0..total {
        let len = int(at)?;
        at += 4;
        if len < 0 {
            flat.push(Value::Null);
        } else {
            let len = usize::try_from(len).ok()?;
            flat.push(decode_value(element, raw.get(at..at + len)?)?);
            at += len;
        }
    }
    Some(nest(&dims, &mut flat.into_iter()))
}

/// An anonymous record (`SELECT (a, b)`) has no text form the server can read back, so it becomes
/// a JSON array of its fields: a count, then each field's type oid, length (-1 for NULL) and bytes.
fn decode_record(raw: &[u8]) -> Option<Value> {
    let int = |at: usize| raw.get(at..at + 4).map(|b| [b[0], b[1], b[2], b[3]]);
    let count = usize::try_from(i32::from_be_bytes(int(0)?)).ok()?;
    let mut at = 4;
    let mut fields = Vec::with_capacity(count.min(1 << 10));
    for _ in 0..count {
        let ty = Type::from_oid(u32::from_be_bytes(int(at)?));
        let len = i32::from_be_bytes(int(at + 4)?);
        at += 8;
        if len < 0 {
            fields.push(Value::Null);
            continue;
        }
        let len = usize::try_from(len).ok()?;
        // Only built-in field types are known by oid alone.
        fields.push(decode_value(&ty?, raw.get(at..at + len)?)?);
        at += len;
    }
    Some(Value::Array(fields))
}

fn nest(dims: &[usize], flat: &mut impl Iterator<Item = Value>) -> Value {
    match dims.split_first() {
        Some((n, [])) => Value::Array(flat.take(*n).collect()),
        Some((n, rest)) => Value::Array((0..*n).map(|_| nest(rest, flat)).collect()),
        None => Value::Array(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(ndigits: u16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        for w in [ndigits, weight as u16, sign, dscale].iter().chain(digits) {
            out.extend_from_slice(&w.to_be_bytes());
        }
        out
    }

    #[test]
    fn numeric_is_exact() {
        // 123456789012345678901234567890.12345 = 12|3456|7890|1234|5678|9012|3456|7890 . 1234|5000
        let raw = numeric_bytes(10, 7, 0, 5, &[12, 3456, 7890, 1234, 5678, 9012, 3456, 7890, 1234, 5000]);
        assert_eq!(numeric(&raw).as_deref(), Some("123456789012345678901234567890.12345"));
        // -0.0001234 = weight -1: 0.|0001|2340
        let raw = numeric_bytes(2, -1, 0x4000, 7, &[1, 2340]);
        assert_eq!(numeric(&raw).as_deref(), Some("-0.0001234"));
        // 10000 with no stored trailing digits, scale 2
        let raw = numeric_bytes(1, 1, 0, 2, &[1]);
        assert_eq!(numeric(&raw).as_deref(), Some("10000.00"));
        assert_eq!(numeric(&numeric_bytes(0, 0, 0, 0, &[])).as_deref(), Some("0"));
        assert_eq!(numeric(&numeric_bytes(0, 0, 0xC000, 0, &[])).as_deref(), Some("NaN"));
    }

    #[test]
    fn times_print_like_postgres() {
        assert_eq!(time_of_day(3_723_500_000).as_deref(), Some("01:02:03.5"));
        assert_eq!(timestamp(0, "Z"), Some(Value::String("2000-01-01T00:00:00Z".into())));
        assert_eq!(timestamp(-1, ""), Some(Value::String("1999-12-31T23:59:59.999999".into())));
        assert_eq!(date(-1), Some(Value::String("1999-12-31".into())));
    }

    #[test]
    fn floats_keep_their_shortest_form() {
        assert_eq!(float(1.1f32.to_string()), serde_json::json!(1.1));
        assert_eq!(float(f64::NAN.to_string()), Value::String("NaN".into()));
        assert_eq!(float(f64::NEG_INFINITY.to_string()), Value::String("-Infinity".into()));
    }

    #[test]
    fn array_parameters_become_literals() {
        let ty = Type::TEXT_ARRAY;
        let literal = text_param(&serde_json::json!(["a b", "q\"x", null, 1]), &ty).unwrap().0;
        assert_eq!(literal.as_deref(), Some(r#"{"a b","q\"x",NULL,1}"#));
        let nested = text_param(&serde_json::json!([[1, 2], [3, 4]]), &Type::INT4_ARRAY).unwrap().0;
        assert_eq!(nested.as_deref(), Some("{{1,2},{3,4}}"));
        assert!(text_param(&serde_json::json!({"a": 1}), &Type::INT4).is_err());
    }
}
