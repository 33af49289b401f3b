#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
// Tests may unwrap: a panic there is a failed test, which is the point.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod clock;
mod error;
mod geometry;
mod ids;
mod input;
mod layout;
mod limits;
pub mod page;
pub mod privacy;
mod query;
mod service;
mod settings;
mod source;
pub mod store;
mod text;
mod validation;

#[cfg(any(test, feature = "test-support"))]
pub use clock::ManualClock;
pub use clock::{to_storage_precision, Clock, SystemClock};
pub use error::{BoxError, ServiceError, StoreError};
pub use geometry::{
    check_coordinate, check_zoom, IssueId, NodeInput, NodePosition, Nodes, Viewport, ViewportInput,
};
pub use ids::{AccountId, InstallationId, LayoutId, Owner, QueryId};
pub use input::{parse_json, InputError};
pub use layout::{Layout, LayoutDraft, LayoutInput, LayoutSummary, LayoutUpdate};
pub use limits::*;
pub use page::{Cursor, Page, PageRequest, Paged};
pub use privacy::{DataExport, DeletionCounts, ExportedSettings, PrivacyStore};
pub use query::{QueryDraft, QueryInput, QueryUpdate, SavedQuery};
pub use service::ConfigService;
pub use settings::{
    Depth, DisplayOverrides, DisplayOverridesInput, DisplaySettings, LayoutAlgorithm,
    SettingsInput, Theme, TypeNameList,
};
pub use source::{IssueKey, LayoutSource, SourceInput, SprintId};
pub use store::{ConfigStore, InsertOutcome, UpdateOutcome};
pub use text::{Jql, LayoutName, QueryName, TypeName};
pub use validation::{ParseError, ValidationError, ValidationErrors, MAX_REPORTED_ERRORS};
