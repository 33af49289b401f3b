//! Validation failures: one rule broken by one value ([`ParseError`]), placed at a field
//! ([`ValidationError`]), collected for a whole request ([`ValidationErrors`]).
//!
//! Messages are fixed `&'static str` texts written here, so a message can never echo the
//! submitted value (which could be JQL text or, worse, smuggled issue content).

use std::fmt;

use serde::Serialize;

/// At most this many errors are kept for one request; the rest are counted, not stored, so a
/// 5,000-node payload with every node wrong cannot produce a 10,000-entry response.
pub const MAX_REPORTED_ERRORS: usize = 50;

/// One value broke one rule; the caller knows which field it came from.
///
/// Returned by the `parse` constructors of the domain newtypes (`LayoutName::parse`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    reason: &'static str,
}

impl ParseError {
    /// A failure with a fixed, user-facing reason such as `"must not be empty"`.
    pub const fn new(reason: &'static str) -> Self {
        Self { reason }
    }

    /// The user-facing reason.
    pub const fn reason(&self) -> &'static str {
        self.reason
    }
}

/// One broken rule at one field path, e.g. `nodes[3].x`: `"must be between -1000000 and 1000000"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// Path of the offending field in the request body (`name`, `nodes[3].x`, `source.jql`),
    /// or a query parameter name (`limit`, `cursor`) or `id` for a path segment.
    pub field: String,
    /// Short fixed text; never contains the submitted value.
    pub message: &'static str,
}

impl ValidationError {
    /// An error at `field`.
    pub fn new(field: impl Into<String>, message: &'static str) -> Self {
        Self {
            field: field.into(),
            message,
        }
    }

    /// Places a [`ParseError`] at `field`.
    pub fn at(field: impl Into<String>, error: ParseError) -> Self {
        Self::new(field, error.reason())
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A non-empty list of [`ValidationError`]s: every rule a request broke, not just the first
/// (capped at [`MAX_REPORTED_ERRORS`]; [`ValidationErrors::total`] counts all of them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request broke {total} validation rule(s)")]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
    total: usize,
}

impl ValidationErrors {
    /// A list holding one error.
    pub fn single(field: impl Into<String>, message: &'static str) -> Self {
        Self {
            errors: vec![ValidationError::new(field, message)],
            total: 1,
        }
    }

    /// The reported errors, in the order they were found (at most [`MAX_REPORTED_ERRORS`]).
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }

    /// How many rules were broken in all, including the ones not kept.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether an error is reported at exactly `field`; handy in tests.
    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

impl From<ValidationError> for ValidationErrors {
    fn from(error: ValidationError) -> Self {
        Self {
            errors: vec![error],
            total: 1,
        }
    }
}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl Serialize for ValidationErrors {
    /// Serializes as the plain list of `{field, message}` objects, ready for a problem document.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.errors.serialize(serializer)
    }
}

/// Accumulates errors while a whole input is checked; see [`Collector::finish`].
#[derive(Debug, Default)]
pub(crate) struct Collector {
    errors: Vec<ValidationError>,
    total: usize,
}

impl Collector {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, field: impl Into<String>, message: &'static str) {
        self.total += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(ValidationError::new(field, message));
        }
    }

    /// Records the error of `result` at the field named by `field` (built lazily: most values
    /// are valid and need no path string), and returns the value if there was one.
    pub(crate) fn check<T>(
        &mut self,
        field: impl FnOnce() -> String,
        result: Result<T, ParseError>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.push(field(), e.reason());
                None
            }
        }
    }

    /// `Ok(value)` when nothing was recorded, else every recorded error.
    ///
    /// `value` is only consulted when nothing failed, and then every checked field was `Some`.
    pub(crate) fn finish<T>(
        self,
        value: impl FnOnce() -> Option<T>,
    ) -> Result<T, ValidationErrors> {
        if self.total == 0 {
            if let Some(v) = value() {
                return Ok(v);
            }
            // Unreachable by construction (no error recorded means every part parsed); report it
            // rather than panic.
            return Err(ValidationErrors::single("body", "is invalid"));
        }
        Err(ValidationErrors {
            errors: self.errors,
            total: self.total,
        })
    }
}

/// The `version` rule of a create (must be absent) or an update (a non-negative integer).
pub(crate) fn check_version(
    c: &mut Collector,
    version: Option<i64>,
    creating: bool,
) -> Option<i64> {
    match (creating, version) {
        (true, None) => Some(0),
        (true, Some(_)) => {
            c.push("version", "must not be set when creating");
            None
        }
        (false, None) => {
            c.push("version", "is required");
            None
        }
        (false, Some(v)) if v < 0 => {
            c.push("version", "must be a non-negative integer");
            None
        }
        (false, Some(v)) => Some(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_keeps_at_most_the_reporting_cap_but_counts_everything() {
        let mut c = Collector::new();
        for i in 0..(MAX_REPORTED_ERRORS + 10) {
            c.push(format!("nodes[{i}].x"), "is wrong");
        }
        let errs = c.finish(|| Some(())).unwrap_err();
        assert_eq!(errs.errors().len(), MAX_REPORTED_ERRORS);
        assert_eq!(errs.total(), MAX_REPORTED_ERRORS + 10);
    }

    #[test]
    fn an_empty_collector_yields_the_value() {
        assert_eq!(Collector::new().finish(|| Some(7)), Ok(7));
    }

    #[test]
    fn validation_errors_serialize_as_a_list_of_field_and_message() {
        let errs = ValidationErrors::single("name", "must not be empty");
        let json = serde_json::to_value(&errs).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"field": "name", "message": "must not be empty"}])
        );
    }
}
