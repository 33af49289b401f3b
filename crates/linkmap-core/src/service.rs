//! [`ConfigService`]: the use cases of a user's own configuration, over a [`ConfigStore`] and a
//! [`Clock`].
//!
//! The service builds complete records (ids, versions, timestamps) and turns store outcomes
//! into [`ServiceError`]s; the store enforces quotas and versions atomically.
//!
//! Tracing spans carry only non-personal fields (record ids, counts, versions) — never the
//! owner, names or JQL (policy C4).

use std::sync::Arc;

use crate::clock::{to_storage_precision, Clock, SystemClock};
use crate::error::ServiceError;
use crate::ids::{LayoutId, Owner, QueryId};
use crate::layout::{Layout, LayoutDraft, LayoutSummary};
use crate::limits::{MAX_LAYOUTS_PER_USER, MAX_QUERIES_PER_USER};
use crate::page::{Page, PageRequest};
use crate::query::{QueryDraft, SavedQuery};
use crate::settings::DisplaySettings;
use crate::store::{ConfigStore, InsertOutcome, UpdateOutcome};

/// The configuration use cases. Cheap to clone (the store is shared through an [`Arc`]).
///
/// `S` may be unsized: `ConfigService<dyn ConfigStore>` works as well as
/// `ConfigService<PgStore>`.
#[derive(Debug)]
pub struct ConfigService<S: ConfigStore + ?Sized, C: Clock = SystemClock> {
    store: Arc<S>,
    clock: C,
}

impl<S: ConfigStore + ?Sized, C: Clock + Clone> Clone for ConfigService<S, C> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            clock: self.clock.clone(),
        }
    }
}

impl<S: ConfigStore + ?Sized> ConfigService<S, SystemClock> {
    /// A service on the system clock.
    pub fn new(store: Arc<S>) -> Self {
        Self::with_clock(store, SystemClock)
    }
}

/// Maps a store's update outcome to the service's result.
fn into_result<T>(outcome: UpdateOutcome<T>) -> Result<T, ServiceError> {
    match outcome {
        UpdateOutcome::Updated(record) => Ok(record),
        UpdateOutcome::NotFound => Err(ServiceError::NotFound),
        UpdateOutcome::VersionConflict { current } => {
            Err(ServiceError::VersionConflict { current })
        }
    }
}

impl<S: ConfigStore + ?Sized, C: Clock> ConfigService<S, C> {
    /// A service on the given clock.
    pub fn with_clock(store: Arc<S>, clock: C) -> Self {
        Self { store, clock }
    }

    /// The store, e.g. for a readiness check.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    fn now(&self) -> time::OffsetDateTime {
        to_storage_precision(self.clock.now())
    }

    /// One page of the owner's layouts, newest first.
    #[tracing::instrument(skip_all, fields(limit = page.limit(), returned = tracing::field::Empty))]
    pub async fn list_layouts(
        &self,
        owner: &Owner,
        page: PageRequest,
    ) -> Result<Page<LayoutSummary>, ServiceError> {
        let rows = self.store.list_layouts(owner, &page).await?;
        let page = Page::from_rows(rows, &page);
        tracing::Span::current().record("returned", page.items.len());
        Ok(page)
    }

    /// Creates a layout: a new id, version 1, both timestamps now.
    #[tracing::instrument(skip_all, fields(layout.id = tracing::field::Empty, nodes = draft.nodes.len()))]
    pub async fn create_layout(
        &self,
        owner: &Owner,
        draft: LayoutDraft,
    ) -> Result<Layout, ServiceError> {
        let now = self.now();
        let layout = Layout {
            id: LayoutId::new_random(),
            draft,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tracing::Span::current().record("layout.id", tracing::field::display(layout.id));
        match self
            .store
            .insert_layout(owner, &layout, MAX_LAYOUTS_PER_USER)
            .await?
        {
            InsertOutcome::Inserted => Ok(layout),
            InsertOutcome::QuotaExceeded => Err(ServiceError::QuotaExceeded {
                limit: MAX_LAYOUTS_PER_USER,
            }),
        }
    }

    /// One layout of the owner; [`ServiceError::NotFound`] also for another user's layout.
    #[tracing::instrument(skip_all, fields(layout.id = %id))]
    pub async fn get_layout(&self, owner: &Owner, id: LayoutId) -> Result<Layout, ServiceError> {
        self.store
            .get_layout(owner, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Replaces a layout's content if `expected_version` is current: version + 1,
    /// `updated_at` = now, `created_at` kept.
    #[tracing::instrument(skip_all, fields(layout.id = %id, expected_version = expected_version, nodes = draft.nodes.len()))]
    pub async fn update_layout(
        &self,
        owner: &Owner,
        id: LayoutId,
        draft: LayoutDraft,
        expected_version: i64,
    ) -> Result<Layout, ServiceError> {
        let now = self.now();
        let outcome = self
            .store
            .update_layout(owner, id, &draft, expected_version, now)
            .await?;
        into_result(outcome)
    }

    /// Deletes a layout; [`ServiceError::NotFound`] if the owner has no such layout.
    #[tracing::instrument(skip_all, fields(layout.id = %id))]
    pub async fn delete_layout(&self, owner: &Owner, id: LayoutId) -> Result<(), ServiceError> {
        if self.store.delete_layout(owner, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// One page of the owner's saved queries, newest first.
    #[tracing::instrument(skip_all, fields(limit = page.limit(), returned = tracing::field::Empty))]
    pub async fn list_queries(
        &self,
        owner: &Owner,
        page: PageRequest,
    ) -> Result<Page<SavedQuery>, ServiceError> {
        let rows = self.store.list_queries(owner, &page).await?;
        let page = Page::from_rows(rows, &page);
        tracing::Span::current().record("returned", page.items.len());
        Ok(page)
    }

    /// Saves a query: a new id, version 1, both timestamps now.
    #[tracing::instrument(skip_all, fields(query.id = tracing::field::Empty))]
    pub async fn create_query(
        &self,
        owner: &Owner,
        draft: QueryDraft,
    ) -> Result<SavedQuery, ServiceError> {
        let now = self.now();
        let query = SavedQuery {
            id: QueryId::new_random(),
            name: draft.name,
            jql: draft.jql,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tracing::Span::current().record("query.id", tracing::field::display(query.id));
        match self
            .store
            .insert_query(owner, &query, MAX_QUERIES_PER_USER)
            .await?
        {
            InsertOutcome::Inserted => Ok(query),
            InsertOutcome::QuotaExceeded => Err(ServiceError::QuotaExceeded {
                limit: MAX_QUERIES_PER_USER,
            }),
        }
    }

    /// One saved query of the owner; [`ServiceError::NotFound`] also for another user's.
    #[tracing::instrument(skip_all, fields(query.id = %id))]
    pub async fn get_query(&self, owner: &Owner, id: QueryId) -> Result<SavedQuery, ServiceError> {
        self.store
            .get_query(owner, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Replaces a query's content if `expected_version` is current.
    #[tracing::instrument(skip_all, fields(query.id = %id, expected_version = expected_version))]
    pub async fn update_query(
        &self,
        owner: &Owner,
        id: QueryId,
        draft: QueryDraft,
        expected_version: i64,
    ) -> Result<SavedQuery, ServiceError> {
        let now = self.now();
        let outcome = self
            .store
            .update_query(owner, id, &draft, expected_version, now)
            .await?;
        into_result(outcome)
    }

    /// Deletes a query; [`ServiceError::NotFound`] if the owner has no such query.
    #[tracing::instrument(skip_all, fields(query.id = %id))]
    pub async fn delete_query(&self, owner: &Owner, id: QueryId) -> Result<(), ServiceError> {
        if self.store.delete_query(owner, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// The owner's display settings, or the defaults if none were saved.
    #[tracing::instrument(skip_all)]
    pub async fn get_settings(&self, owner: &Owner) -> Result<DisplaySettings, ServiceError> {
        Ok(self.store.get_settings(owner).await?.unwrap_or_default())
    }

    /// Replaces the owner's display settings; returns what was stored.
    #[tracing::instrument(skip_all)]
    pub async fn put_settings(
        &self,
        owner: &Owner,
        settings: DisplaySettings,
    ) -> Result<DisplaySettings, ServiceError> {
        let now = self.now();
        self.store.put_settings(owner, &settings, now).await?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests;
