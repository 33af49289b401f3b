//! The storage port: [`ConfigStore`], which the server implements over Postgres.
//!
//! # Contract
//! - **Ownership.** Every call is scoped to one [`Owner`]: a store never reads, changes or
//!   deletes a record of another owner, and reports another owner's record exactly as a
//!   missing one (`None`, `NotFound`, `false`).
//! - **Atomic rules.** Quotas and versions are enforced *inside* the store call, in one
//!   statement or transaction, so two concurrent requests cannot both pass a check:
//!   [`ConfigStore::insert_layout`] stores only while the owner holds fewer than `quota`
//!   layouts; [`ConfigStore::update_layout`] changes the row only if its version equals
//!   `expected_version`, and then sets `version = expected_version + 1` and
//!   `updated_at = now`, keeping `created_at`.
//! - **No validation.** A store receives fully-built, validated records and returns them as
//!   they were stored; it re-checks rules only when reading (a row that breaks one is
//!   [`StoreError::Corrupt`]).
//! - **Lists** return at most [`PageRequest::fetch_limit`] rows (one more than asked, so the
//!   service can tell whether a next page exists) in the order described in [`crate::page`],
//!   starting strictly after [`PageRequest::after`]. Layout lists hold summaries only.
//! - **Time precision.** Timestamps handed to the store are already whole microseconds.
//!
//! `memory::InMemoryStore` (feature `test-support`) is the executable form of this contract.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::ids::{LayoutId, Owner, QueryId};
use crate::layout::{Layout, LayoutDraft, LayoutSummary};
use crate::page::PageRequest;
use crate::query::{QueryDraft, SavedQuery};
use crate::settings::DisplaySettings;

#[cfg(any(test, feature = "test-support"))]
pub mod memory;

/// What happened to an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored.
    Inserted,
    /// The owner already holds `quota` records of this kind; nothing was stored.
    QuotaExceeded,
}

/// What happened to a versioned update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome<T> {
    /// Changed; the record as now stored.
    Updated(T),
    /// No such record for this owner.
    NotFound,
    /// The stored version differs from the expected one; nothing was changed.
    VersionConflict {
        /// The stored version.
        current: i64,
    },
}

/// Persistent storage of users' own configuration. See the module docs for the contract.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// One page of the owner's layouts (up to `page.fetch_limit()` summaries, list order).
    async fn list_layouts(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> Result<Vec<LayoutSummary>, StoreError>;

    /// One layout of the owner.
    async fn get_layout(&self, owner: &Owner, id: LayoutId) -> Result<Option<Layout>, StoreError>;

    /// Stores a new layout unless the owner already holds `quota` layouts.
    async fn insert_layout(
        &self,
        owner: &Owner,
        layout: &Layout,
        quota: u32,
    ) -> Result<InsertOutcome, StoreError>;

    /// Replaces a layout's content if its version is `expected_version`; see the module docs.
    async fn update_layout(
        &self,
        owner: &Owner,
        id: LayoutId,
        draft: &LayoutDraft,
        expected_version: i64,
        now: OffsetDateTime,
    ) -> Result<UpdateOutcome<Layout>, StoreError>;

    /// Deletes a layout; `false` if the owner had no such layout.
    async fn delete_layout(&self, owner: &Owner, id: LayoutId) -> Result<bool, StoreError>;

    /// One page of the owner's saved queries (up to `page.fetch_limit()`, list order).
    async fn list_queries(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> Result<Vec<SavedQuery>, StoreError>;

    /// One saved query of the owner.
    async fn get_query(&self, owner: &Owner, id: QueryId)
        -> Result<Option<SavedQuery>, StoreError>;

    /// Stores a new query unless the owner already holds `quota` queries.
    async fn insert_query(
        &self,
        owner: &Owner,
        query: &SavedQuery,
        quota: u32,
    ) -> Result<InsertOutcome, StoreError>;

    /// Replaces a query's content if its version is `expected_version`; see the module docs.
    async fn update_query(
        &self,
        owner: &Owner,
        id: QueryId,
        draft: &QueryDraft,
        expected_version: i64,
        now: OffsetDateTime,
    ) -> Result<UpdateOutcome<SavedQuery>, StoreError>;

    /// Deletes a query; `false` if the owner had no such query.
    async fn delete_query(&self, owner: &Owner, id: QueryId) -> Result<bool, StoreError>;

    /// The owner's display settings, if ever saved.
    async fn get_settings(&self, owner: &Owner) -> Result<Option<DisplaySettings>, StoreError>;

    /// Creates or replaces the owner's display settings (an upsert; `now` is the row's
    /// `updated_at`).
    async fn put_settings(
        &self,
        owner: &Owner,
        settings: &DisplaySettings,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
}
