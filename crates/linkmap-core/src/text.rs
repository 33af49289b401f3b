//! User-written text: names ([`LayoutName`], [`QueryName`], [`TypeName`]) and [`Jql`].
//!
//! All are trimmed, bounded and free of control characters. Their `Debug` output is redacted:
//! names and JQL are the user's own words and must not end up in logs (policy C4).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_JQL_BYTES, MAX_NAME_CHARS, MAX_TYPE_NAME_CHARS};
use crate::validation::ParseError;

/// Bidirectional-text controls: they reorder what is displayed around them, so a name could show as something it
/// is not (`abc\u{202E}txt.exe` displays as `abcexe.txt`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Unicode noncharacters and the deprecated zero-width no-break space (a stray byte-order mark): never text.
fn is_non_text(c: char) -> bool {
    let u = u32::from(c);
    c == '\u{FEFF}' || (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE
}

/// Characters that render as nothing. A name made only of these looks empty; inside a name they are fine (emoji
/// sequences join with U+200D).
fn is_invisible(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{180E}')
}

/// The rules every piece of user text shares: no bidi controls, no noncharacters.
fn check_displayable(s: &str) -> Result<(), ParseError> {
    if s.chars().any(is_bidi_control) {
        return Err(ParseError::new(
            "must not contain text-direction control characters",
        ));
    }
    if s.chars().any(is_non_text) {
        return Err(ParseError::new(
            "must not contain Unicode noncharacters or byte-order marks",
        ));
    }
    Ok(())
}

/// Trims `s` and checks it is 1..=`max_chars` characters with no control characters.
fn parse_trimmed_name(
    s: &str,
    max_chars: usize,
    too_long: &'static str,
) -> Result<String, ParseError> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(ParseError::new("must not be empty"));
    }
    // `chars().count()` stops being cheap on huge input; the byte length bounds it first
    // (a char is at most 4 bytes).
    if trimmed.len() > max_chars * 4 || trimmed.chars().count() > max_chars {
        return Err(ParseError::new(too_long));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ParseError::new("must not contain control characters"));
    }
    check_displayable(trimmed)?;
    if trimmed.chars().all(is_invisible) {
        return Err(ParseError::new("must contain a visible character"));
    }
    Ok(trimmed.to_owned())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $too_long:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Trims `s` and checks the rules; the stored value is the trimmed text.
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                parse_trimmed_name(s, $max, $too_long).map(Self)
            }

            /// The trimmed text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<{} chars>)"), self.0.chars().count())
            }
        }
    };
}

name_type!(
    /// A layout's name: 1–100 characters after trimming, no control characters.
    LayoutName,
    MAX_NAME_CHARS,
    "must be at most 100 characters"
);
name_type!(
    /// A saved query's name: same rules as [`LayoutName`].
    QueryName,
    MAX_NAME_CHARS,
    "must be at most 100 characters"
);
name_type!(
    /// A Jira link-type or issue-type name in display settings: 1–60 characters after
    /// trimming, no control characters.
    TypeName,
    MAX_TYPE_NAME_CHARS,
    "must be at most 60 characters"
);

/// A JQL query: not blank, at most 4,096 bytes after trimming, no control characters other than
/// tab and newline.
///
/// LinkMap never parses JQL; Jira does, with the user's own permissions. This type only bounds
/// it. Its `Debug` prints only the length: JQL text must not be logged (policy C4).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Jql(String);

impl Jql {
    /// Trims `s` and checks the rules; the stored value is the trimmed text.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(ParseError::new("must not be empty"));
        }
        if trimmed.len() > MAX_JQL_BYTES {
            return Err(ParseError::new("must be at most 4096 bytes"));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\t' && c != '\n')
        {
            return Err(ParseError::new(
                "must not contain control characters other than tab and newline",
            ));
        }
        check_displayable(trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The trimmed JQL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Jql {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Jql {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Jql> for String {
    fn from(j: Jql) -> String {
        j.0
    }
}

impl fmt::Debug for Jql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jql(<{} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_refuse_direction_controls_noncharacters_and_invisible_only_text() {
        for bad in [
            "abc\u{202E}txt.exe",
            "\u{2066}x\u{2069}",
            "left\u{200F}",
            "\u{FEFF}name",
            "x\u{FFFF}",
            "x\u{FDD0}",
            "\u{200B}\u{200B}",
            "\u{2060}",
        ] {
            assert!(LayoutName::parse(bad).is_err(), "{bad:?} was accepted");
            assert!(TypeName::parse(bad).is_err(), "{bad:?} was accepted");
        }
        // Joiners inside visible text are fine: emoji sequences need them.
        assert!(LayoutName::parse("family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}").is_ok());
        assert!(
            LayoutName::parse("\u{05E9}\u{05DC}\u{05D5}\u{05DD} map").is_ok(),
            "right-to-left letters are text"
        );
    }

    #[test]
    fn jql_refuses_direction_controls() {
        assert!(Jql::parse("project = A \u{202E} AND x = y").is_err());
        assert!(Jql::parse("summary ~ \"\u{05E9}\u{05DC}\u{05D5}\u{05DD}\"").is_ok());
    }

    use super::*;

    #[test]
    fn layout_name_is_trimmed() {
        assert_eq!(
            LayoutName::parse("  Sprint map \t").unwrap().as_str(),
            "Sprint map"
        );
    }

    #[test]
    fn layout_name_of_exactly_100_chars_is_accepted_and_101_refused() {
        // Multi-byte characters: the rule counts characters, not bytes.
        let at_limit = "é".repeat(MAX_NAME_CHARS);
        assert!(LayoutName::parse(&at_limit).is_ok());
        let past = "é".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            LayoutName::parse(&past).unwrap_err().reason(),
            "must be at most 100 characters"
        );
    }

    #[test]
    fn surrounding_whitespace_does_not_count_towards_the_name_limit() {
        let padded = format!("  {}  ", "a".repeat(MAX_NAME_CHARS));
        assert!(QueryName::parse(&padded).is_ok());
    }

    #[test]
    fn blank_names_are_refused() {
        for bad in ["", " ", "\t\n ", "\u{3000}"] {
            assert_eq!(
                LayoutName::parse(bad).unwrap_err().reason(),
                "must not be empty",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_with_control_characters_are_refused() {
        for bad in ["a\u{0}b", "a\nb", "a\tb", "a\u{7f}b", "a\u{9b}b", "a\rb"] {
            assert_eq!(
                QueryName::parse(bad).unwrap_err().reason(),
                "must not contain control characters",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn type_name_of_exactly_60_chars_is_accepted_and_61_refused() {
        assert!(TypeName::parse(&"x".repeat(MAX_TYPE_NAME_CHARS)).is_ok());
        assert!(TypeName::parse(&"x".repeat(MAX_TYPE_NAME_CHARS + 1)).is_err());
        assert!(TypeName::parse("").is_err());
        assert!(TypeName::parse("a\u{1}").is_err());
    }

    #[test]
    fn jql_of_exactly_4096_bytes_is_accepted_and_4097_refused() {
        assert!(Jql::parse(&"a".repeat(MAX_JQL_BYTES)).is_ok());
        assert_eq!(
            Jql::parse(&"a".repeat(MAX_JQL_BYTES + 1))
                .unwrap_err()
                .reason(),
            "must be at most 4096 bytes"
        );
        // Bytes, not characters: 2,048 two-byte characters fill it exactly.
        assert!(Jql::parse(&"é".repeat(MAX_JQL_BYTES / 2)).is_ok());
        assert!(Jql::parse(&format!("{}a", "é".repeat(MAX_JQL_BYTES / 2))).is_err());
    }

    #[test]
    fn jql_allows_tab_and_newline_but_no_other_control_character() {
        assert!(Jql::parse("project = X\n\tAND status = Done").is_ok());
        for bad in ["project = X\u{0}", "a\rb", "a\u{1b}b", "a\u{7f}"] {
            assert!(Jql::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn blank_jql_is_refused() {
        assert!(Jql::parse("  \n").is_err());
    }

    #[test]
    fn debug_output_never_contains_the_text() {
        let jql = Jql::parse("summary ~ secret").unwrap();
        let name = LayoutName::parse("Secret project").unwrap();
        assert!(!format!("{jql:?}").contains("secret"));
        assert!(!format!("{name:?}").contains("Secret"));
    }

    #[test]
    fn deserializing_checks_the_rules() {
        assert!(serde_json::from_str::<LayoutName>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<LayoutName>("\"\"").is_err());
        assert!(serde_json::from_str::<Jql>("\" \"").is_err());
    }
}
