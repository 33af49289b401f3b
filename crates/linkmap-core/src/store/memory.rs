//! [`InMemoryStore`]: a [`ConfigStore`] in a mutex, honouring quotas, versions and ownership
//! exactly as the Postgres store must. Used by the service tests; available to other crates'
//! tests with feature `test-support`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{ConfigStore, InsertOutcome, UpdateOutcome};
use crate::error::StoreError;
use crate::ids::{LayoutId, Owner, QueryId};
use crate::layout::{Layout, LayoutDraft, LayoutSummary};
use crate::page::{PageRequest, Paged};
use crate::query::{QueryDraft, SavedQuery};
use crate::settings::DisplaySettings;

#[derive(Debug, Default)]
struct OwnerData {
    layouts: HashMap<LayoutId, Layout>,
    queries: HashMap<QueryId, SavedQuery>,
    settings: Option<(DisplaySettings, OffsetDateTime)>,
}

/// A [`ConfigStore`] held in memory.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    owners: Mutex<HashMap<Owner, OwnerData>>,
    unavailable: AtomicBool,
}

/// Stand-in for a driver error while the store is "down".
#[derive(Debug, thiserror::Error)]
#[error("in-memory store switched off")]
struct SwitchedOff;

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// While `true`, every call fails with [`StoreError::Unavailable`], as a store whose
    /// database is down does.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// How many layouts `owner` holds.
    pub fn layout_count(&self, owner: &Owner) -> usize {
        self.lock().get(owner).map_or(0, |d| d.layouts.len())
    }

    /// How many queries `owner` holds.
    pub fn query_count(&self, owner: &Owner) -> usize {
        self.lock().get(owner).map_or(0, |d| d.queries.len())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Owner, OwnerData>> {
        // Every write below completes or leaves the map untouched, so a poisoned lock still
        // guards consistent data.
        self.owners.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn available(&self) -> Result<MutexGuard<'_, HashMap<Owner, OwnerData>>, StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable(SwitchedOff));
        }
        Ok(self.lock())
    }
}

/// The page of `items` described by `page`, in list order, with the extra look-ahead row.
fn page_of<T: Paged + Clone>(items: impl Iterator<Item = T>, page: &PageRequest) -> Vec<T> {
    let mut rows: Vec<T> = items
        .filter(|i| {
            let c = i.cursor();
            page.after()
                .is_none_or(|after| after.is_before(c.updated_at, c.id))
        })
        .collect();
    // Newest first, then id descending: the reverse of the cursor's (updated_at, id) order.
    rows.sort_by_key(|i| std::cmp::Reverse(i.cursor()));
    rows.truncate(page.fetch_limit() as usize);
    rows
}

#[async_trait]
impl ConfigStore for InMemoryStore {
    async fn list_layouts(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> Result<Vec<LayoutSummary>, StoreError> {
        let owners = self.available()?;
        let Some(data) = owners.get(owner) else {
            return Ok(Vec::new());
        };
        Ok(page_of(data.layouts.values().map(Layout::summary), page))
    }

    async fn get_layout(&self, owner: &Owner, id: LayoutId) -> Result<Option<Layout>, StoreError> {
        let owners = self.available()?;
        Ok(owners.get(owner).and_then(|d| d.layouts.get(&id)).cloned())
    }

    async fn insert_layout(
        &self,
        owner: &Owner,
        layout: &Layout,
        quota: u32,
    ) -> Result<InsertOutcome, StoreError> {
        let mut owners = self.available()?;
        let data = owners.entry(owner.clone()).or_default();
        if data.layouts.len() >= quota as usize {
            return Ok(InsertOutcome::QuotaExceeded);
        }
        if data.layouts.contains_key(&layout.id) {
            return Err(StoreError::Corrupt("duplicate layout id".into()));
        }
        data.layouts.insert(layout.id, layout.clone());
        Ok(InsertOutcome::Inserted)
    }

    async fn update_layout(
        &self,
        owner: &Owner,
        id: LayoutId,
        draft: &LayoutDraft,
        expected_version: i64,
        now: OffsetDateTime,
    ) -> Result<UpdateOutcome<Layout>, StoreError> {
        let mut owners = self.available()?;
        let Some(stored) = owners.get_mut(owner).and_then(|d| d.layouts.get_mut(&id)) else {
            return Ok(UpdateOutcome::NotFound);
        };
        if stored.version != expected_version {
            return Ok(UpdateOutcome::VersionConflict {
                current: stored.version,
            });
        }
        stored.draft = draft.clone();
        stored.version = expected_version + 1;
        stored.updated_at = now;
        Ok(UpdateOutcome::Updated(stored.clone()))
    }

    async fn delete_layout(&self, owner: &Owner, id: LayoutId) -> Result<bool, StoreError> {
        let mut owners = self.available()?;
        Ok(owners
            .get_mut(owner)
            .is_some_and(|d| d.layouts.remove(&id).is_some()))
    }

    async fn list_queries(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> Result<Vec<SavedQuery>, StoreError> {
        let owners = self.available()?;
        let Some(data) = owners.get(owner) else {
            return Ok(Vec::new());
        };
        Ok(page_of(data.queries.values().cloned(), page))
    }

    async fn get_query(
        &self,
        owner: &Owner,
        id: QueryId,
    ) -> Result<Option<SavedQuery>, StoreError> {
        let owners = self.available()?;
        Ok(owners.get(owner).and_then(|d| d.queries.get(&id)).cloned())
    }

    async fn insert_query(
        &self,
        owner: &Owner,
        query: &SavedQuery,
        quota: u32,
    ) -> Result<InsertOutcome, StoreError> {
        let mut owners = self.available()?;
        let data = owners.entry(owner.clone()).or_default();
        if data.queries.len() >= quota as usize {
            return Ok(InsertOutcome::QuotaExceeded);
        }
        if data.queries.contains_key(&query.id) {
            return Err(StoreError::Corrupt("duplicate query id".into()));
        }
        data.queries.insert(query.id, query.clone());
        Ok(InsertOutcome::Inserted)
    }

    async fn update_query(
        &self,
        owner: &Owner,
        id: QueryId,
        draft: &QueryDraft,
        expected_version: i64,
        now: OffsetDateTime,
    ) -> Result<UpdateOutcome<SavedQuery>, StoreError> {
        let mut owners = self.available()?;
        let Some(stored) = owners.get_mut(owner).and_then(|d| d.queries.get_mut(&id)) else {
            return Ok(UpdateOutcome::NotFound);
        };
        if stored.version != expected_version {
            return Ok(UpdateOutcome::VersionConflict {
                current: stored.version,
            });
        }
        stored.name = draft.name.clone();
        stored.jql = draft.jql.clone();
        stored.version = expected_version + 1;
        stored.updated_at = now;
        Ok(UpdateOutcome::Updated(stored.clone()))
    }

    async fn delete_query(&self, owner: &Owner, id: QueryId) -> Result<bool, StoreError> {
        let mut owners = self.available()?;
        Ok(owners
            .get_mut(owner)
            .is_some_and(|d| d.queries.remove(&id).is_some()))
    }

    async fn get_settings(&self, owner: &Owner) -> Result<Option<DisplaySettings>, StoreError> {
        let owners = self.available()?;
        Ok(owners
            .get(owner)
            .and_then(|d| d.settings.as_ref())
            .map(|(s, _)| s.clone()))
    }

    async fn put_settings(
        &self,
        owner: &Owner,
        settings: &DisplaySettings,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut owners = self.available()?;
        owners.entry(owner.clone()).or_default().settings = Some((settings.clone(), now));
        Ok(())
    }
}
