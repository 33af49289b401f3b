//! Display settings: one document per user per installation ([`DisplaySettings`]), and the
//! per-layout subset a layout may override ([`DisplayOverrides`]).
//!
//! # Room to grow
//! The server stores [`DisplaySettings`] as one JSONB document ([`DisplaySettings::to_document`]
//! / [`DisplaySettings::from_document`]), not one column per field. A new setting is a new field
//! here with a default: documents written before it exist still read (the missing field takes
//! its default), so no SQL migration is needed per field. Unknown fields in a *stored* document
//! (written by a newer version, then rolled back) are ignored; unknown fields in a *request* are
//! always refused.
//!
//! # PUT is a full replace
//! `PUT /settings` must carry every field ([`SettingsInput`]); a missing one is a validation
//! error ("is required"), never silently defaulted, so a client built against an older field
//! list cannot reset settings it does not know about without saying so. When a field is added,
//! it is added to [`SettingsInput`] as optional (absent = default) so old clients keep working.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::input::{parse_json, InputError};
use crate::limits::{MAX_DEPTH, MAX_TYPE_NAMES, MIN_DEPTH};
use crate::text::TypeName;
use crate::validation::{Collector, ParseError, ValidationErrors};

/// Colour theme of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    /// Light colours.
    Light,
    /// Dark colours.
    Dark,
    /// Follow Jira's theme.
    #[default]
    Auto,
}

impl Theme {
    /// Parses `light`, `dark` or `auto`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "light" => Ok(Self::Light),
            "dark" => Ok(Self::Dark),
            "auto" => Ok(Self::Auto),
            _ => Err(ParseError::new("must be one of light, dark, auto")),
        }
    }
}

/// How nodes are placed when they are not pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LayoutAlgorithm {
    /// Force-directed.
    #[default]
    Force,
    /// Layered, following link direction.
    Hierarchical,
    /// Rings around the root issue.
    Radial,
}

impl LayoutAlgorithm {
    /// Parses `force`, `hierarchical` or `radial`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "force" => Ok(Self::Force),
            "hierarchical" => Ok(Self::Hierarchical),
            "radial" => Ok(Self::Radial),
            _ => Err(ParseError::new(
                "must be one of force, hierarchical, radial",
            )),
        }
    }
}

/// How many link hops from the starting issues the map follows: 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Depth(u8);

impl Depth {
    /// Checks `1 <= depth <= 5`.
    pub fn parse(depth: i64) -> Result<Self, ParseError> {
        if (i64::from(MIN_DEPTH)..=i64::from(MAX_DEPTH)).contains(&depth) {
            // In range 1..=5, so it fits a u8.
            Ok(Self(depth as u8))
        } else {
            Err(ParseError::new("must be between 1 and 5"))
        }
    }

    /// The depth.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Depth {
    fn default() -> Self {
        Self(2)
    }
}

impl TryFrom<i64> for Depth {
    type Error = ParseError;

    fn try_from(depth: i64) -> Result<Self, Self::Error> {
        Self::parse(depth)
    }
}

impl From<Depth> for u8 {
    fn from(d: Depth) -> u8 {
        d.0
    }
}

/// A list of Jira link-type or issue-type names: at most 50, each a [`TypeName`], no
/// duplicates (compared after trimming, case-sensitively, as Jira names are).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<TypeName>", into = "Vec<TypeName>")]
pub struct TypeNameList(Vec<TypeName>);

impl TypeNameList {
    /// Checks the count and uniqueness of already-parsed names.
    pub fn new(names: Vec<TypeName>) -> Result<Self, ParseError> {
        if names.len() > MAX_TYPE_NAMES {
            return Err(ParseError::new("must hold at most 50 names"));
        }
        let mut seen = HashSet::with_capacity(names.len());
        if !names.iter().all(|n| seen.insert(n.as_str())) {
            return Err(ParseError::new("must not contain duplicates"));
        }
        Ok(Self(names))
    }

    /// The names, in the user's order.
    pub fn as_slice(&self) -> &[TypeName] {
        &self.0
    }

    /// Whether the list is empty (meaning: show every type).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<TypeName>> for TypeNameList {
    type Error = ParseError;

    fn try_from(names: Vec<TypeName>) -> Result<Self, Self::Error> {
        Self::new(names)
    }
}

impl From<TypeNameList> for Vec<TypeName> {
    fn from(l: TypeNameList) -> Self {
        l.0
    }
}

/// A user's display settings; one per (installation, account).
///
/// Serializes as camelCase JSON, which is both the API response and the stored document:
/// `{"theme":"auto","layoutAlgorithm":"force","linkTypes":[],"issueTypes":[],"depth":2,"showResolved":true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisplaySettings {
    /// Colour theme.
    pub theme: Theme,
    /// Placement of unpinned nodes.
    pub layout_algorithm: LayoutAlgorithm,
    /// Link types shown; empty = all.
    pub link_types: TypeNameList,
    /// Issue types shown; empty = all.
    pub issue_types: TypeNameList,
    /// Link hops followed.
    pub depth: Depth,
    /// Whether resolved issues are drawn.
    pub show_resolved: bool,
}

impl Default for DisplaySettings {
    /// `auto`, `force`, all link types, all issue types, depth 2, resolved issues shown.
    fn default() -> Self {
        Self {
            theme: Theme::Auto,
            layout_algorithm: LayoutAlgorithm::Force,
            link_types: TypeNameList::default(),
            issue_types: TypeNameList::default(),
            depth: Depth::default(),
            show_resolved: true,
        }
    }
}

/// The lenient storage form: missing fields take their defaults (fields added after the
/// document was written), unknown fields are ignored (written by a newer version).
#[derive(Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct StoredSettings {
    theme: Theme,
    layout_algorithm: LayoutAlgorithm,
    link_types: TypeNameList,
    issue_types: TypeNameList,
    depth: Depth,
    show_resolved: bool,
}

impl Default for StoredSettings {
    fn default() -> Self {
        let d = DisplaySettings::default();
        Self {
            theme: d.theme,
            layout_algorithm: d.layout_algorithm,
            link_types: d.link_types,
            issue_types: d.issue_types,
            depth: d.depth,
            show_resolved: d.show_resolved,
        }
    }
}

impl DisplaySettings {
    /// Parses a `PUT /settings` body: malformed JSON, a wrong shape or a broken rule are
    /// reported as [`InputError`].
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: SettingsInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }

    /// The JSON document to store (one JSONB column).
    pub fn to_document(&self) -> serde_json::Value {
        // Serializing plain enums, strings, integers and bools cannot fail; fall back to null
        // rather than panic, which `from_document` reads back as defaults.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a stored document (see the module docs on room to grow). A document that breaks a
    /// rule is reported as [`StoreError::Corrupt`].
    pub fn from_document(document: &serde_json::Value) -> Result<Self, StoreError> {
        if document.is_null() {
            return Ok(Self::default());
        }
        let s = StoredSettings::deserialize(document)
            .map_err(|_| StoreError::Corrupt("display settings document breaks a rule".into()))?;
        Ok(Self {
            theme: s.theme,
            layout_algorithm: s.layout_algorithm,
            link_types: s.link_types,
            issue_types: s.issue_types,
            depth: s.depth,
            show_resolved: s.show_resolved,
        })
    }

    /// These settings with a layout's overrides applied.
    pub fn with_overrides(&self, o: &DisplayOverrides) -> Self {
        Self {
            theme: o.theme.unwrap_or(self.theme),
            layout_algorithm: o.layout_algorithm.unwrap_or(self.layout_algorithm),
            link_types: o
                .link_types
                .clone()
                .unwrap_or_else(|| self.link_types.clone()),
            issue_types: o
                .issue_types
                .clone()
                .unwrap_or_else(|| self.issue_types.clone()),
            depth: o.depth.unwrap_or(self.depth),
            show_resolved: o.show_resolved.unwrap_or(self.show_resolved),
        }
    }
}

/// The display settings a layout overrides; every field optional (absent = use the user's
/// settings). Absent fields are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisplayOverrides {
    /// Overrides [`DisplaySettings::theme`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    /// Overrides [`DisplaySettings::layout_algorithm`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_algorithm: Option<LayoutAlgorithm>,
    /// Overrides [`DisplaySettings::link_types`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_types: Option<TypeNameList>,
    /// Overrides [`DisplaySettings::issue_types`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_types: Option<TypeNameList>,
    /// Overrides [`DisplaySettings::depth`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<Depth>,
    /// Overrides [`DisplaySettings::show_resolved`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_resolved: Option<bool>,
}

/// Raw `PUT /settings` body. Every field is required; unknown fields are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsInput {
    /// `light` | `dark` | `auto`.
    pub theme: String,
    /// `force` | `hierarchical` | `radial`.
    pub layout_algorithm: String,
    /// Link type names.
    pub link_types: Vec<String>,
    /// Issue type names.
    pub issue_types: Vec<String>,
    /// 1–5.
    pub depth: i64,
    /// Whether resolved issues are drawn.
    pub show_resolved: bool,
}

/// Raw `display` object of a layout body. Every field optional; unknown fields are refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisplayOverridesInput {
    /// `light` | `dark` | `auto`.
    pub theme: Option<String>,
    /// `force` | `hierarchical` | `radial`.
    pub layout_algorithm: Option<String>,
    /// Link type names.
    pub link_types: Option<Vec<String>>,
    /// Issue type names.
    pub issue_types: Option<Vec<String>>,
    /// 1–5.
    pub depth: Option<i64>,
    /// Whether resolved issues are drawn.
    pub show_resolved: Option<bool>,
}

/// Checks a list of type names, reporting each bad name at `field[i]` and list-level problems
/// at `field`.
fn check_type_names(c: &mut Collector, field: &str, raw: Vec<String>) -> Option<TypeNameList> {
    if raw.len() > MAX_TYPE_NAMES {
        // Do not look at the names: the list is refused anyway, and this bounds the work.
        c.push(field, "must hold at most 50 names");
        return None;
    }
    let mut names = Vec::with_capacity(raw.len());
    let mut ok = true;
    for (i, s) in raw.iter().enumerate() {
        match c.check(|| format!("{field}[{i}]"), TypeName::parse(s)) {
            Some(n) => names.push(n),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    c.check(|| field.to_owned(), TypeNameList::new(names))
}

impl TryFrom<SettingsInput> for DisplaySettings {
    type Error = ValidationErrors;

    fn try_from(input: SettingsInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        let theme = c.check(|| "theme".into(), Theme::parse(&input.theme));
        let layout_algorithm = c.check(
            || "layoutAlgorithm".into(),
            LayoutAlgorithm::parse(&input.layout_algorithm),
        );
        let link_types = check_type_names(&mut c, "linkTypes", input.link_types);
        let issue_types = check_type_names(&mut c, "issueTypes", input.issue_types);
        let depth = c.check(|| "depth".into(), Depth::parse(input.depth));
        c.finish(|| {
            Some(Self {
                theme: theme?,
                layout_algorithm: layout_algorithm?,
                link_types: link_types?,
                issue_types: issue_types?,
                depth: depth?,
                show_resolved: input.show_resolved,
            })
        })
    }
}

impl DisplayOverridesInput {
    /// Validates into `c`, naming fields under `prefix` (e.g. `display`).
    pub(crate) fn check(self, c: &mut Collector, prefix: &str) -> Option<DisplayOverrides> {
        let theme = self
            .theme
            .and_then(|t| c.check(|| format!("{prefix}.theme"), Theme::parse(&t)));
        let layout_algorithm = self.layout_algorithm.and_then(|a| {
            c.check(
                || format!("{prefix}.layoutAlgorithm"),
                LayoutAlgorithm::parse(&a),
            )
        });
        let link_types = self
            .link_types
            .map(|l| check_type_names(c, &format!("{prefix}.linkTypes"), l));
        let issue_types = self
            .issue_types
            .map(|l| check_type_names(c, &format!("{prefix}.issueTypes"), l));
        let depth = self
            .depth
            .and_then(|d| c.check(|| format!("{prefix}.depth"), Depth::parse(d)));
        // Partial results are fine: the caller's `Collector::finish` discards them on any error.
        Some(DisplayOverrides {
            theme,
            layout_algorithm,
            link_types: link_types.flatten(),
            issue_types: issue_types.flatten(),
            depth,
            show_resolved: self.show_resolved,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(body: serde_json::Value) -> Result<DisplaySettings, InputError> {
        DisplaySettings::from_json(body.to_string().as_bytes())
    }

    fn full() -> serde_json::Value {
        json!({
            "theme": "dark",
            "layoutAlgorithm": "radial",
            "linkTypes": ["Blocks", "Relates"],
            "issueTypes": ["Bug"],
            "depth": 3,
            "showResolved": false
        })
    }

    fn invalid_fields(r: Result<DisplaySettings, InputError>) -> Vec<String> {
        match r {
            Err(InputError::Invalid(e)) => e.errors().iter().map(|e| e.field.clone()).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_auto_force_empty_empty_2_true() {
        let d = DisplaySettings::default();
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!({"theme":"auto","layoutAlgorithm":"force","linkTypes":[],"issueTypes":[],"depth":2,"showResolved":true})
        );
    }

    #[test]
    fn a_full_body_parses_and_serializes_back_to_the_same_json() {
        let s = settings(full()).unwrap();
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(s.depth.get(), 3);
        assert_eq!(serde_json::to_value(&s).unwrap(), full());
    }

    #[test]
    fn every_field_is_required_on_put() {
        for field in [
            "theme",
            "layoutAlgorithm",
            "linkTypes",
            "issueTypes",
            "depth",
            "showResolved",
        ] {
            let mut body = full();
            body.as_object_mut().unwrap().remove(field);
            match settings(body) {
                Err(InputError::Invalid(e)) => {
                    assert_eq!(e.errors()[0].field, field);
                    assert_eq!(e.errors()[0].message, "is required");
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_enum_values_are_refused() {
        let mut body = full();
        body["theme"] = json!("purple");
        body["layoutAlgorithm"] = json!("Force");
        assert_eq!(invalid_fields(settings(body)), ["theme", "layoutAlgorithm"]);
    }

    #[test]
    fn depth_1_and_5_are_accepted_and_0_and_6_refused() {
        for (d, ok) in [
            (0, false),
            (1, true),
            (5, true),
            (6, false),
            (-1, false),
            (i64::MAX, false),
        ] {
            let mut body = full();
            body["depth"] = json!(d);
            assert_eq!(settings(body).is_ok(), ok, "depth {d}");
        }
    }

    #[test]
    fn fifty_type_names_are_accepted_and_fifty_one_refused() {
        let names = |n: usize| (0..n).map(|i| format!("type {i}")).collect::<Vec<_>>();
        let mut body = full();
        body["linkTypes"] = json!(names(MAX_TYPE_NAMES));
        assert!(settings(body.clone()).is_ok());
        body["linkTypes"] = json!(names(MAX_TYPE_NAMES + 1));
        assert_eq!(invalid_fields(settings(body)), ["linkTypes"]);
    }

    #[test]
    fn bad_type_names_are_reported_with_their_index() {
        let mut body = full();
        body["issueTypes"] = json!(["Bug", "", "x".repeat(61), "a\u{0}b"]);
        assert_eq!(
            invalid_fields(settings(body)),
            ["issueTypes[1]", "issueTypes[2]", "issueTypes[3]"]
        );
    }

    #[test]
    fn duplicate_type_names_are_refused_even_when_they_differ_only_by_padding() {
        let mut body = full();
        body["linkTypes"] = json!(["Blocks", " Blocks "]);
        assert_eq!(invalid_fields(settings(body)), ["linkTypes"]);
    }

    #[test]
    fn all_errors_are_reported_not_just_the_first() {
        let body = json!({
            "theme": "x", "layoutAlgorithm": "y", "linkTypes": [""], "issueTypes": [""],
            "depth": 9, "showResolved": true
        });
        assert_eq!(
            invalid_fields(settings(body)),
            [
                "theme",
                "layoutAlgorithm",
                "linkTypes[0]",
                "issueTypes[0]",
                "depth"
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        for smuggled in [
            "summary",
            "description",
            "comment",
            "attachment",
            "accountId",
        ] {
            let mut body = full();
            body[smuggled] = json!("x");
            assert_eq!(invalid_fields(settings(body)), [smuggled]);
        }
    }

    #[test]
    fn stored_documents_missing_newer_fields_read_with_defaults() {
        let s = DisplaySettings::from_document(&json!({"theme": "dark"})).unwrap();
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(s.depth.get(), 2);
        assert!(s.show_resolved);
    }

    #[test]
    fn stored_documents_with_fields_from_a_newer_version_still_read() {
        let s = DisplaySettings::from_document(&json!({"depth": 4, "futureField": 1})).unwrap();
        assert_eq!(s.depth.get(), 4);
    }

    #[test]
    fn a_stored_document_that_breaks_a_rule_is_corrupt() {
        assert!(matches!(
            DisplaySettings::from_document(&json!({"depth": 9})),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn documents_round_trip() {
        let s = settings(full()).unwrap();
        assert_eq!(DisplaySettings::from_document(&s.to_document()).unwrap(), s);
    }

    #[test]
    fn overrides_replace_only_the_fields_they_set() {
        let base = DisplaySettings::default();
        let o = DisplayOverrides {
            depth: Some(Depth::parse(5).unwrap()),
            ..Default::default()
        };
        let eff = base.with_overrides(&o);
        assert_eq!(eff.depth.get(), 5);
        assert_eq!(eff.theme, base.theme);
    }
}
