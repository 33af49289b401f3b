//! Request bodies: JSON bytes → raw input structs, with errors the server can answer with.
//!
//! Two kinds of failure, because they get different HTTP answers:
//! - [`InputError::Malformed`]: not JSON at all (syntax error, truncated, trailing bytes, not
//!   UTF-8) → `400 Bad Request`.
//! - [`InputError::Invalid`]: JSON of the wrong shape (unknown field, missing field, wrong type)
//!   or breaking a rule → `422 Unprocessable Content`, with the field path named.
//!
//! Messages are our own short texts; serde's messages are never passed on, since they quote
//! the submitted value (`invalid type: string "…"`).

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::validation::{ValidationError, ValidationErrors};

/// Longest field path reported. An unknown field's name comes from the client, so it is
/// bounded (and stripped of control characters) before it is echoed in an error.
const MAX_FIELD_PATH_CHARS: usize = 128;

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The body is not well-formed JSON (→ 400).
    #[error("the request body is not well-formed JSON")]
    Malformed,
    /// The body is JSON but has the wrong shape or breaks a rule (→ 422).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
}

/// Parses `body` as JSON into `T`, naming the field path of a shape error.
///
/// `T` is one of the raw input types ([`crate::LayoutInput`], [`crate::QueryInput`],
/// [`crate::SettingsInput`]); each refuses unknown fields at every level.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, InputError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        classify(&path, e.into_inner())
    })?;
    // Trailing bytes after the value (`{}{}`, `{} x`) make the body malformed.
    de.end().map_err(|_| InputError::Malformed)?;
    Ok(value)
}

fn classify(path: &str, error: serde_json::Error) -> InputError {
    match error.classify() {
        Category::Data => {}
        Category::Syntax | Category::Eof | Category::Io => return InputError::Malformed,
    }
    // serde_json only offers the message text to tell shape errors apart. The prefixes below
    // are those of serde's `de::Error` constructors; anything else gets a generic message.
    let text = error.to_string();
    let (field, message) = if text.starts_with("unknown field") {
        // The path already ends with the unknown key itself (serde_path_to_error records keys).
        (display_path(path), "unknown field")
    } else if let Some(rest) = text.strip_prefix("missing field `") {
        // The missing field's name is ours (a struct field), so it is safe to repeat.
        let name = rest.split('`').next().unwrap_or_default();
        (join(path, name), "is required")
    } else if text.starts_with("duplicate field") {
        (display_path(path), "is given more than once")
    } else if text.starts_with("invalid type") || text.starts_with("invalid length") {
        (display_path(path), "has the wrong type")
    } else if text.starts_with("unknown variant") {
        (display_path(path), "is not one of the allowed values")
    } else {
        (display_path(path), "has an invalid value")
    };
    InputError::Invalid(ValidationError::new(field, message).into())
}

/// serde_path_to_error writes the root as `.`; we call it `body`.
fn display_path(path: &str) -> String {
    if path == "." || path.is_empty() {
        return "body".to_owned();
    }
    sanitize(path)
}

fn join(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        sanitize(name)
    } else {
        sanitize(&format!("{path}.{name}"))
    }
}

fn sanitize(path: &str) -> String {
    let mut out: String = path
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_PATH_CHARS)
        .collect();
    if path
        .chars()
        .filter(|c| !c.is_control())
        .nth(MAX_FIELD_PATH_CHARS)
        .is_some()
    {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // Fields exist to be deserialized.
    struct Point {
        x: f64,
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        points: Vec<Point>,
    }

    fn invalid(body: &str) -> ValidationError {
        match parse_json::<Doc>(body.as_bytes()) {
            Err(InputError::Invalid(e)) => e.errors()[0].clone(),
            other => panic!("expected Invalid for {body}, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed() {
        for body in [
            "",
            "{",
            "nope",
            "{\"points\":[}",
            "{\"points\":[]} {}",
            "{\"points\":[]}x",
            "\u{0}",
        ] {
            assert_eq!(
                parse_json::<Doc>(body.as_bytes()).unwrap_err(),
                InputError::Malformed,
                "{body:?}"
            );
        }
        assert_eq!(
            parse_json::<Doc>(&[0xff, 0xfe]).unwrap_err(),
            InputError::Malformed
        );
    }

    #[test]
    fn a_wrong_type_is_named_by_its_path() {
        let e = invalid(r#"{"points":[{"x":1,"tags":[]},{"x":"secret","tags":[]}]}"#);
        assert_eq!(e.field, "points[1].x");
        assert_eq!(e.message, "has the wrong type");
    }

    #[test]
    fn an_unknown_field_is_named_by_its_own_path() {
        let e = invalid(r#"{"points":[],"summary":"x"}"#);
        assert_eq!((e.field.as_str(), e.message), ("summary", "unknown field"));
        let e = invalid(r#"{"points":[{"x":1,"tags":[],"summary":"x"}]}"#);
        assert_eq!(e.field, "points[0].summary");
    }

    #[test]
    fn a_missing_field_is_named_with_its_parent_path() {
        assert_eq!(invalid(r#"{}"#).field, "points");
        let e = invalid(r#"{"points":[{"x":1}]}"#);
        assert_eq!(
            (e.field.as_str(), e.message),
            ("points[0].tags", "is required")
        );
    }

    #[test]
    fn a_body_of_the_wrong_type_is_reported_at_body() {
        assert_eq!(invalid("[]").field, "body");
        assert_eq!(invalid("42").field, "body");
    }

    #[test]
    fn duplicate_fields_are_refused() {
        assert_eq!(
            invalid(r#"{"points":[],"points":[]}"#).message,
            "is given more than once"
        );
    }

    #[test]
    fn messages_never_echo_the_submitted_value() {
        for body in [
            r#"{"points":[{"x":"SECRET","tags":[]}]}"#,
            r#"{"points":"SECRET"}"#,
            r#"{"points":[{"x":1,"tags":"SECRET"}]}"#,
        ] {
            let e = invalid(body);
            assert!(
                !e.field.contains("SECRET") && !e.message.contains("SECRET"),
                "{e:?}"
            );
        }
    }

    #[test]
    fn huge_or_control_laden_unknown_keys_are_bounded_in_the_report() {
        let key = format!("a\u{1b}{}", "k".repeat(10_000));
        let e = invalid(&format!(
            r#"{{"points":[],"{}":1}}"#,
            key.replace('\u{1b}', "\\u001b")
        ));
        assert!(e.field.chars().count() <= MAX_FIELD_PATH_CHARS + 1);
        assert!(!e.field.contains('\u{1b}'));
    }
}
