//! Where things are on the map: node positions ([`NodePosition`], [`Nodes`]) and the
//! [`Viewport`].
//!
//! A node stores only a Jira issue *id* and coordinates — never a key, summary or any other
//! issue content (policy N1); the UI fetches the rest from Jira with the user's own token.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_COORDINATE, MAX_ISSUE_ID_DIGITS, MAX_NODES, MAX_ZOOM, MIN_ZOOM};
use crate::validation::{Collector, ParseError};

/// Checks a map coordinate: finite and within ±1e6 (inclusive).
pub fn check_coordinate(v: f64) -> Result<f64, ParseError> {
    if !v.is_finite() {
        return Err(ParseError::new("must be a finite number"));
    }
    if v.abs() > MAX_COORDINATE {
        return Err(ParseError::new("must be between -1000000 and 1000000"));
    }
    Ok(v)
}

/// Checks a zoom factor: finite and within 0.05–20 (inclusive).
pub fn check_zoom(v: f64) -> Result<f64, ParseError> {
    if !v.is_finite() {
        return Err(ParseError::new("must be a finite number"));
    }
    if !(MIN_ZOOM..=MAX_ZOOM).contains(&v) {
        return Err(ParseError::new("must be between 0.05 and 20"));
    }
    Ok(v)
}

/// A Jira issue id: a decimal string of 1–18 digits with no leading zero (`"10001"`).
///
/// Canonical form matters: `"042"` and `"42"` would otherwise be two nodes for one issue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IssueId(String);

impl IssueId {
    /// Parses a Jira issue id.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() || s.len() > MAX_ISSUE_ID_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new(
                "must be a numeric string of 1 to 18 digits",
            ));
        }
        if s.starts_with('0') {
            return Err(ParseError::new(
                "must be a positive number without leading zeros",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IssueId {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IssueId> for String {
    fn from(id: IssueId) -> String {
        id.0
    }
}

impl fmt::Display for IssueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where one issue sits on the map. JSON: `{"issueId":"10001","x":12.5,"y":-40,"pinned":true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "NodeInput")]
pub struct NodePosition {
    issue_id: IssueId,
    x: f64,
    y: f64,
    pinned: bool,
}

impl NodePosition {
    /// A position; `x` and `y` must pass [`check_coordinate`].
    pub fn new(issue_id: IssueId, x: f64, y: f64, pinned: bool) -> Result<Self, ParseError> {
        Ok(Self {
            issue_id,
            x: check_coordinate(x)?,
            y: check_coordinate(y)?,
            pinned,
        })
    }

    /// The issue drawn here.
    pub fn issue_id(&self) -> &IssueId {
        &self.issue_id
    }

    /// Horizontal position.
    pub fn x(&self) -> f64 {
        self.x
    }

    /// Vertical position.
    pub fn y(&self) -> f64 {
        self.y
    }

    /// Whether the user fixed this node in place (the layout algorithm must not move it).
    pub fn pinned(&self) -> bool {
        self.pinned
    }
}

/// Raw node of a layout body. `pinned` may be left out (= `false`), which keeps a 5,000-node
/// body small; unknown fields are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeInput {
    /// Jira issue id, as a string of digits.
    pub issue_id: String,
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
    /// Whether the node is fixed in place.
    #[serde(default)]
    pub pinned: bool,
}

impl NodeInput {
    /// Validates into `c`, naming fields under `prefix` (e.g. `nodes[3]`).
    pub(crate) fn check(self, c: &mut Collector, prefix: &str) -> Option<NodePosition> {
        let issue_id = c.check(
            || format!("{prefix}.issueId"),
            IssueId::parse(&self.issue_id),
        );
        let x = c.check(|| format!("{prefix}.x"), check_coordinate(self.x));
        let y = c.check(|| format!("{prefix}.y"), check_coordinate(self.y));
        Some(NodePosition {
            issue_id: issue_id?,
            x: x?,
            y: y?,
            pinned: self.pinned,
        })
    }
}

impl TryFrom<NodeInput> for NodePosition {
    type Error = ParseError;

    fn try_from(n: NodeInput) -> Result<Self, Self::Error> {
        Self::new(IssueId::parse(&n.issue_id)?, n.x, n.y, n.pinned)
    }
}

/// The nodes of one layout: at most 5,000, each issue at most once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<NodePosition>", into = "Vec<NodePosition>")]
pub struct Nodes(Vec<NodePosition>);

impl Nodes {
    /// Checks the count and that no issue appears twice.
    pub fn new(nodes: Vec<NodePosition>) -> Result<Self, ParseError> {
        if nodes.len() > MAX_NODES {
            return Err(ParseError::new("must hold at most 5000 nodes"));
        }
        let mut seen = HashSet::with_capacity(nodes.len());
        if !nodes.iter().all(|n| seen.insert(n.issue_id.as_str())) {
            return Err(ParseError::new("must not place the same issue twice"));
        }
        Ok(Self(nodes))
    }

    /// The nodes, in the client's order.
    pub fn as_slice(&self) -> &[NodePosition] {
        &self.0
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<NodePosition>> for Nodes {
    type Error = ParseError;

    fn try_from(nodes: Vec<NodePosition>) -> Result<Self, Self::Error> {
        Self::new(nodes)
    }
}

impl From<Nodes> for Vec<NodePosition> {
    fn from(n: Nodes) -> Self {
        n.0
    }
}

/// Checks a list of raw nodes, naming bad ones `nodes[i].field` and duplicates `nodes[i].issueId`.
pub(crate) fn check_nodes(c: &mut Collector, raw: Vec<NodeInput>) -> Option<Nodes> {
    if raw.len() > MAX_NODES {
        // Refused whatever the nodes hold; skipping them bounds the work.
        c.push("nodes", "must hold at most 5000 nodes");
        return None;
    }
    let mut nodes = Vec::with_capacity(raw.len());
    let mut seen = HashSet::with_capacity(raw.len());
    let mut ok = true;
    for (i, n) in raw.into_iter().enumerate() {
        let prefix = format!("nodes[{i}]");
        match n.check(c, &prefix) {
            Some(node) => {
                if !seen.insert(node.issue_id.clone()) {
                    c.push(
                        format!("{prefix}.issueId"),
                        "must not place the same issue twice",
                    );
                    ok = false;
                }
                nodes.push(node);
            }
            None => ok = false,
        }
    }
    ok.then_some(Nodes(nodes))
}

/// The visible part of the map. JSON: `{"x":0,"y":0,"zoom":1}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ViewportInput")]
pub struct Viewport {
    x: f64,
    y: f64,
    zoom: f64,
}

impl Viewport {
    /// A viewport; `x`, `y` must pass [`check_coordinate`] and `zoom` [`check_zoom`].
    pub fn new(x: f64, y: f64, zoom: f64) -> Result<Self, ParseError> {
        Ok(Self {
            x: check_coordinate(x)?,
            y: check_coordinate(y)?,
            zoom: check_zoom(zoom)?,
        })
    }

    /// Horizontal centre.
    pub fn x(&self) -> f64 {
        self.x
    }

    /// Vertical centre.
    pub fn y(&self) -> f64 {
        self.y
    }

    /// Zoom factor.
    pub fn zoom(&self) -> f64 {
        self.zoom
    }
}

impl Default for Viewport {
    fn default() -> Self {
        Self {
            x: 0.0,
            y: 0.0,
            zoom: 1.0,
        }
    }
}

/// Raw viewport of a layout body; all fields required, unknown fields refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewportInput {
    /// Horizontal centre.
    pub x: f64,
    /// Vertical centre.
    pub y: f64,
    /// Zoom factor.
    pub zoom: f64,
}

impl ViewportInput {
    pub(crate) fn check(self, c: &mut Collector) -> Option<Viewport> {
        let x = c.check(|| "viewport.x".into(), check_coordinate(self.x));
        let y = c.check(|| "viewport.y".into(), check_coordinate(self.y));
        let zoom = c.check(|| "viewport.zoom".into(), check_zoom(self.zoom));
        Some(Viewport {
            x: x?,
            y: y?,
            zoom: zoom?,
        })
    }
}

impl TryFrom<ViewportInput> for Viewport {
    type Error = ParseError;

    fn try_from(v: ViewportInput) -> Result<Self, Self::Error> {
        Self::new(v.x, v.y, v.zoom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_at_plus_minus_1e6_are_accepted_and_just_past_refused() {
        assert!(check_coordinate(MAX_COORDINATE).is_ok());
        assert!(check_coordinate(-MAX_COORDINATE).is_ok());
        assert!(check_coordinate(1_000_000.000_001).is_err());
        assert!(check_coordinate(-1_000_000.000_001).is_err());
        assert!(check_coordinate(0.0).is_ok());
    }

    #[test]
    fn non_finite_coordinates_are_refused() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                check_coordinate(v).unwrap_err().reason(),
                "must be a finite number"
            );
            assert!(check_zoom(v).is_err());
        }
    }

    #[test]
    fn zoom_bounds_are_inclusive() {
        assert!(check_zoom(MIN_ZOOM).is_ok());
        assert!(check_zoom(MAX_ZOOM).is_ok());
        assert!(check_zoom(0.049_999).is_err());
        assert!(check_zoom(20.000_001).is_err());
        assert!(check_zoom(0.0).is_err());
        assert!(check_zoom(-1.0).is_err());
    }

    #[test]
    fn issue_ids_of_1_and_18_digits_are_accepted_and_19_refused() {
        assert!(IssueId::parse("1").is_ok());
        assert!(IssueId::parse(&"9".repeat(MAX_ISSUE_ID_DIGITS)).is_ok());
        assert!(IssueId::parse(&"9".repeat(MAX_ISSUE_ID_DIGITS + 1)).is_err());
    }

    #[test]
    fn issue_ids_that_are_not_canonical_numbers_are_refused() {
        for bad in ["", "0", "042", "-1", "+1", "1.0", "PRJ-1", " 1", "1 ", "١"] {
            assert!(IssueId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn node_position_checks_its_coordinates() {
        let id = IssueId::parse("10001").unwrap();
        assert!(NodePosition::new(id.clone(), 1.0, 2.0, false).is_ok());
        assert!(NodePosition::new(id.clone(), f64::NAN, 2.0, false).is_err());
        assert!(NodePosition::new(id, 1.0, 2e6, false).is_err());
    }

    fn node(id: &str) -> NodePosition {
        NodePosition::new(IssueId::parse(id).unwrap(), 0.0, 0.0, false).unwrap()
    }

    #[test]
    fn five_thousand_nodes_are_accepted_and_5001_refused() {
        let many = |n: usize| (1..=n).map(|i| node(&i.to_string())).collect::<Vec<_>>();
        assert_eq!(Nodes::new(many(MAX_NODES)).unwrap().len(), MAX_NODES);
        assert!(Nodes::new(many(MAX_NODES + 1)).is_err());
    }

    #[test]
    fn an_issue_placed_twice_is_refused() {
        assert_eq!(
            Nodes::new(vec![node("1"), node("2"), node("1")])
                .unwrap_err()
                .reason(),
            "must not place the same issue twice"
        );
    }

    #[test]
    fn node_json_leaves_out_nothing_and_reads_pinned_as_optional() {
        let n: NodePosition = serde_json::from_str(r#"{"issueId":"7","x":1.5,"y":-2}"#).unwrap();
        assert!(!n.pinned());
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            serde_json::json!({"issueId":"7","x":1.5,"y":-2.0,"pinned":false})
        );
    }

    #[test]
    fn viewport_checks_every_field() {
        assert!(Viewport::new(0.0, 0.0, 1.0).is_ok());
        assert!(Viewport::new(2e6, 0.0, 1.0).is_err());
        assert!(Viewport::new(0.0, -2e6, 1.0).is_err());
        assert!(Viewport::new(0.0, 0.0, 21.0).is_err());
    }
}
