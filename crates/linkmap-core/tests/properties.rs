//! Properties that must hold for any input, not just the examples in the unit tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linkmap_core::{
    check_coordinate, check_zoom, parse_json, AccountId, Cursor, InputError, IssueKey, Jql,
    LayoutDraft, LayoutInput, LayoutName, PageRequest, QueryInput, SettingsInput, MAX_COORDINATE,
    MAX_JQL_BYTES, MAX_NAME_CHARS, MAX_ZOOM, MIN_ZOOM,
};
use proptest::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

/// Arbitrary JSON values, a few levels deep, with the field names our inputs use mixed in so
/// the parser gets past the first key.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("source".to_owned()),
        Just("nodes".to_owned()),
        Just("viewport".to_owned()),
        Just("issueId".to_owned()),
        Just("x".to_owned()),
        Just("zoom".to_owned()),
        Just("type".to_owned()),
        Just("version".to_owned()),
        "[a-zA-Z]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Characters that render as nothing (see `text.rs`).
fn invisible(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{180E}')
}

/// An independent statement of the display rules in `text.rs`: bidi controls, noncharacters and the BOM.
fn bidi_or_non_text(c: char) -> bool {
    let u = u32::from(c);
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        || (0xFDD0..=0xFDEF).contains(&u)
        || (u & 0xFFFE) == 0xFFFE
}

proptest! {
    #[test]
    fn any_string_is_either_a_valid_name_or_refused(s in "\\PC{0,120}|.{0,120}|[ \\t\\n\\x00-\\x1f]{0,5}[a-z]{0,110}") {
        match LayoutName::parse(&s) {
            Ok(name) => {
                let n = name.as_str();
                prop_assert!(!n.is_empty());
                prop_assert_eq!(n, n.trim());
                prop_assert!(n.chars().count() <= MAX_NAME_CHARS);
                prop_assert!(!n.chars().any(char::is_control));
                prop_assert_eq!(n, s.trim());
            }
            Err(_) => {
                let t = s.trim();
                prop_assert!(
                    t.is_empty()
                        || t.chars().count() > MAX_NAME_CHARS
                        || t.chars().any(char::is_control)
                        || t.chars().any(bidi_or_non_text)
                        || t.chars().all(invisible)
                );
            }
        }
    }

    #[test]
    fn any_string_is_either_valid_jql_or_refused(s in ".{0,64}|[a-z \\t\\n\\r\\x00]{0,64}") {
        match Jql::parse(&s) {
            Ok(j) => {
                prop_assert!(!j.as_str().trim().is_empty());
                prop_assert!(j.as_str().len() <= MAX_JQL_BYTES);
                prop_assert!(!j.as_str().chars().any(|c| c.is_control() && c != '\t' && c != '\n'));
            }
            Err(_) => {
                let t = s.trim();
                prop_assert!(
                    t.is_empty()
                        || t.chars().any(|c| c.is_control() && c != '\t' && c != '\n')
                        || t.chars().any(bidi_or_non_text)
                );
            }
        }
    }

    #[test]
    fn account_ids_are_accepted_exactly_when_they_match_the_rules(s in "[A-Za-z0-9:_-]{0,130}|.{0,20}|unknown") {
        let expected = !s.is_empty()
            && s.len() <= 128
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_:-".contains(&b))
            && !s.eq_ignore_ascii_case("unknown");
        prop_assert_eq!(AccountId::parse(&s).is_ok(), expected);
    }

    #[test]
    fn account_id_debug_never_shows_the_id(s in "[A-Za-z0-9]{8,128}") {
        let id = AccountId::parse(&s).unwrap();
        let printed = format!("{:?}", id);
        prop_assert!(!printed.contains(&s));
    }

    #[test]
    fn issue_keys_that_parse_have_the_jira_shape(s in "[A-Z][A-Z0-9_]{0,6}-[0-9]{1,4}|.{0,12}") {
        if let Ok(k) = IssueKey::parse(&s) {
            let (p, n) = k.as_str().rsplit_once('-').unwrap();
            prop_assert!(p.starts_with(|c: char| c.is_ascii_uppercase()));
            prop_assert!(!n.starts_with('0') && n.parse::<u64>().unwrap() > 0);
        }
    }

    #[test]
    fn a_coordinate_is_accepted_exactly_when_finite_and_within_1e6(v in any::<f64>()) {
        prop_assert_eq!(check_coordinate(v).is_ok(), v.is_finite() && v.abs() <= MAX_COORDINATE);
    }

    #[test]
    fn coordinates_near_the_bound_are_classified_exactly(v in -2e6f64..2e6) {
        prop_assert_eq!(check_coordinate(v).is_ok(), (-1e6..=1e6).contains(&v));
    }

    #[test]
    fn a_zoom_is_accepted_exactly_when_within_its_bounds(v in prop_oneof![any::<f64>(), -1.0f64..25.0]) {
        prop_assert_eq!(check_zoom(v).is_ok(), v.is_finite() && (MIN_ZOOM..=MAX_ZOOM).contains(&v));
    }

    #[test]
    fn cursors_round_trip(nanos in -1_000_000_000_000_000_000i128..4_000_000_000_000_000_000i128, id in any::<u128>()) {
        let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
        let c = Cursor::new(t, Uuid::from_u128(id));
        prop_assert_eq!(Cursor::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn garbage_cursors_never_panic_and_are_refused_on_field_cursor(s in ".{0,200}") {
        if let Err(e) = PageRequest::from_query(None, Some(&s)) {
            prop_assert!(e.has("cursor"));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_input_parsers(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_json::<LayoutInput>(&bytes);
        let _ = parse_json::<QueryInput>(&bytes);
        let _ = parse_json::<SettingsInput>(&bytes);
        let _ = LayoutDraft::from_json(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_and_is_refused_with_a_named_field(v in json_value()) {
        let text = v.to_string();
        match LayoutDraft::from_json(text.as_bytes()) {
            Ok(_) => {}
            // Serializing a Value always gives well-formed JSON, except for non-finite floats
            // (written as null) — so never Malformed.
            Err(InputError::Malformed) => prop_assert!(false, "well-formed JSON reported malformed: {text}"),
            Err(InputError::Invalid(e)) => {
                prop_assert!(!e.errors().is_empty());
                prop_assert!(e.errors().iter().all(|e| !e.field.is_empty() && !e.message.is_empty()));
            }
        }
    }
}
