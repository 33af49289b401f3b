//! Saved layouts: the user-editable part ([`LayoutDraft`]), the stored record ([`Layout`]),
//! the list entry ([`LayoutSummary`]), and request bodies ([`LayoutInput`], [`LayoutUpdate`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::geometry::{check_nodes, NodeInput, Nodes, Viewport, ViewportInput};
use crate::ids::LayoutId;
use crate::input::{parse_json, InputError};
use crate::settings::{DisplayOverrides, DisplayOverridesInput};
use crate::source::{LayoutSource, SourceInput};
use crate::text::LayoutName;
use crate::validation::{check_version, Collector, ValidationErrors};

/// The part of a layout the user edits; every field already validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutDraft {
    /// Display name.
    pub name: LayoutName,
    /// Which issues are mapped.
    pub source: LayoutSource,
    /// Where issues sit.
    pub nodes: Nodes,
    /// What part of the map is visible.
    pub viewport: Viewport,
    /// Display settings this layout overrides (`null` = none).
    pub display: Option<DisplayOverrides>,
}

impl LayoutDraft {
    /// Parses a `POST /layouts` body. A `version` in it is refused: a new layout has none.
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: LayoutInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }

    /// Rebuilds a draft from the columns a store keeps, re-checking every rule (a row that
    /// breaks one is [`StoreError::Corrupt`]). `nodes`, `viewport` and `display` are the JSON
    /// written from the draft's fields with `serde_json::to_value`.
    pub fn from_stored(
        name: &str,
        source: &serde_json::Value,
        nodes: &serde_json::Value,
        viewport: &serde_json::Value,
        display: Option<&serde_json::Value>,
    ) -> Result<Self, StoreError> {
        fn corrupt(what: &str) -> StoreError {
            StoreError::Corrupt(format!("stored layout {what} breaks a rule"))
        }
        Ok(Self {
            name: LayoutName::parse(name).map_err(|_| corrupt("name"))?,
            source: LayoutSource::deserialize(source).map_err(|_| corrupt("source"))?,
            nodes: Nodes::deserialize(nodes).map_err(|_| corrupt("nodes"))?,
            viewport: Viewport::deserialize(viewport).map_err(|_| corrupt("viewport"))?,
            display: match display {
                None | Some(serde_json::Value::Null) => None,
                Some(d) => Some(DisplayOverrides::deserialize(d).map_err(|_| corrupt("display"))?),
            },
        })
    }
}

/// Raw layout body of `POST /layouts` and `PUT /layouts/{id}`. Unknown fields are refused at
/// every level (policy N1).
///
/// `name`, `source`, `nodes` and `viewport` are required; `display` may be absent or `null`.
/// `version` must be absent on POST and present on PUT.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutInput {
    /// Display name.
    pub name: String,
    /// Which issues are mapped.
    pub source: SourceInput,
    /// Where issues sit.
    pub nodes: Vec<NodeInput>,
    /// What part of the map is visible.
    pub viewport: ViewportInput,
    /// Display overrides.
    pub display: Option<DisplayOverridesInput>,
    /// The version the client last read (PUT only).
    pub version: Option<i64>,
}

impl LayoutInput {
    fn check_draft(self, c: &mut Collector) -> Option<LayoutDraft> {
        let name = c.check(|| "name".into(), LayoutName::parse(&self.name));
        let source = self.source.check(c);
        let nodes = check_nodes(c, self.nodes);
        let viewport = self.viewport.check(c);
        let display = match self.display {
            None => Some(None),
            Some(d) => d.check(c, "display").map(Some),
        };
        Some(LayoutDraft {
            name: name?,
            source: source?,
            nodes: nodes?,
            viewport: viewport?,
            display: display?,
        })
    }
}

impl TryFrom<LayoutInput> for LayoutDraft {
    type Error = ValidationErrors;

    /// The POST rules: a `version` is refused.
    fn try_from(input: LayoutInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        check_version(&mut c, input.version, true);
        let draft = input.check_draft(&mut c);
        c.finish(|| draft)
    }
}

/// A validated `PUT /layouts/{id}` body: the new content and the version it was based on.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutUpdate {
    /// The new content.
    pub draft: LayoutDraft,
    /// The version the client last read; a stale one is a conflict.
    pub version: i64,
}

impl LayoutUpdate {
    /// Parses a `PUT /layouts/{id}` body, which must carry a non-negative integer `version`.
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: LayoutInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }
}

impl TryFrom<LayoutInput> for LayoutUpdate {
    type Error = ValidationErrors;

    fn try_from(mut input: LayoutInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        let version = check_version(&mut c, input.version.take(), false);
        let draft = input.check_draft(&mut c);
        c.finish(|| {
            Some(Self {
                draft: draft?,
                version: version?,
            })
        })
    }
}

/// A stored layout. JSON (response body):
/// `{"id":"…","name":"…","source":{…},"nodes":[…],"viewport":{…},"display":null,"version":1,
/// "createdAt":"2026-03-01T10:00:00Z","updatedAt":"2026-03-01T10:00:00Z"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// The layout's id.
    pub id: LayoutId,
    /// The user-editable content.
    #[serde(flatten)]
    pub draft: LayoutDraft,
    /// Optimistic-concurrency version: 1 on creation, +1 on every update.
    pub version: i64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Layout {
    /// The list entry for this layout.
    pub fn summary(&self) -> LayoutSummary {
        LayoutSummary {
            id: self.id,
            name: self.draft.name.clone(),
            source: self.draft.source.clone(),
            node_count: self.draft.nodes.len(),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A layout in a list: no nodes, so a page of 100 stays small. JSON:
/// `{"id":"…","name":"…","source":{…},"nodeCount":12,"version":3,"createdAt":"…","updatedAt":"…"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutSummary {
    /// The layout's id.
    pub id: LayoutId,
    /// Display name.
    pub name: LayoutName,
    /// Which issues are mapped.
    pub source: LayoutSource,
    /// How many nodes the layout holds.
    pub node_count: usize,
    /// Current version.
    pub version: i64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}
