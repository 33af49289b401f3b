//! [`ConfigStore`] over PostgreSQL: users' layouts, saved queries and display settings.
//!
//! Quotas and versions are enforced inside one transaction per call (see the trait's contract): creating a record
//! first upserts the owner's `accounts` row with `ON CONFLICT DO UPDATE`, which also row-locks it, so concurrent
//! creates by one user queue there and the count they check is exact.

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Pool};
use linkmap_core::{
    ConfigStore, Cursor, DisplaySettings, InsertOutcome, Jql, Layout, LayoutDraft, LayoutId,
    LayoutName, LayoutSource, LayoutSummary, Owner, PageRequest, QueryDraft, QueryId, QueryName,
    SavedQuery, StoreError, UpdateOutcome,
};
use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::types::Json;
use tokio_postgres::Row;
use uuid::Uuid;

/// Classifies a database failure: connection trouble is retryable (503), anything else is a bug or bad data (500).
pub(crate) trait IntoStoreError {
    /// The classified error.
    fn into_store_error(self) -> StoreError;
}

impl IntoStoreError for tokio_postgres::Error {
    fn into_store_error(self) -> StoreError {
        // No SQLSTATE means the failure was on the connection, not in a statement.
        if self.is_closed() || self.code().is_none() {
            StoreError::unavailable(self)
        } else {
            StoreError::other(self)
        }
    }
}

impl IntoStoreError for deadpool_postgres::PoolError {
    fn into_store_error(self) -> StoreError {
        match self {
            deadpool_postgres::PoolError::Backend(e) => e.into_store_error(),
            other => StoreError::unavailable(other),
        }
    }
}

/// Shorthand for `map_err`.
pub(crate) fn store_error(e: impl IntoStoreError) -> StoreError {
    e.into_store_error()
}

/// The layout columns a store keeps besides name and source: positions and view state only (policy N1).
#[derive(Debug, Serialize)]
struct LayoutBody<'a> {
    nodes: &'a linkmap_core::Nodes,
    viewport: &'a linkmap_core::Viewport,
    display: &'a Option<linkmap_core::DisplayOverrides>,
}

fn body_of(draft: &LayoutDraft) -> LayoutBody<'_> {
    LayoutBody {
        nodes: &draft.nodes,
        viewport: &draft.viewport,
        display: &draft.display,
    }
}

/// The Postgres implementation of linkmap-core's store.
#[derive(Debug, Clone)]
pub struct PgConfigStore {
    pool: Pool,
}

impl PgConfigStore {
    /// A store over `pool`.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(store_error)
    }
}

const UPSERT_AND_LOCK_ACCOUNT: &str = "INSERT INTO accounts (installation_id, account_id) VALUES ($1, $2) \
     ON CONFLICT (installation_id, account_id) DO UPDATE SET first_stored_at = accounts.first_stored_at";

/// Records the owner's account id (first time only) and locks its row until the transaction ends.
async fn lock_owner(tx: &impl GenericClient, owner: &Owner) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(UPSERT_AND_LOCK_ACCOUNT)
        .await
        .map_err(store_error)?;
    tx.execute(
        &stmt,
        &[&owner.installation.as_str(), &owner.account.as_str()],
    )
    .await
    .map_err(store_error)?;
    Ok(())
}

fn limit_param(page: &PageRequest) -> i64 {
    i64::from(page.fetch_limit())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} breaks a rule"))
}

fn summary_from_row(row: &Row) -> Result<LayoutSummary, StoreError> {
    let source: Json<LayoutSource> = row
        .try_get("source")
        .map_err(|_| corrupt("layout source"))?;
    let node_count: i32 = row.try_get("node_count").map_err(store_error)?;
    Ok(LayoutSummary {
        id: LayoutId(row.try_get("id").map_err(store_error)?),
        name: LayoutName::parse(row.try_get("name").map_err(store_error)?)
            .map_err(|_| corrupt("layout name"))?,
        source: source.0,
        node_count: usize::try_from(node_count).map_err(|_| corrupt("node count"))?,
        version: row.try_get("version").map_err(store_error)?,
        created_at: row.try_get("created_at").map_err(store_error)?,
        updated_at: row.try_get("updated_at").map_err(store_error)?,
    })
}

pub(crate) fn layout_from_row(row: &Row) -> Result<Layout, StoreError> {
    let source: serde_json::Value = row.try_get("source").map_err(store_error)?;
    let body: serde_json::Value = row.try_get("body").map_err(store_error)?;
    let draft = LayoutDraft::from_stored(
        row.try_get("name").map_err(store_error)?,
        &source,
        body.get("nodes").ok_or_else(|| corrupt("layout nodes"))?,
        body.get("viewport")
            .ok_or_else(|| corrupt("layout viewport"))?,
        body.get("display"),
    )?;
    Ok(Layout {
        id: LayoutId(row.try_get("id").map_err(store_error)?),
        draft,
        version: row.try_get("version").map_err(store_error)?,
        created_at: row.try_get("created_at").map_err(store_error)?,
        updated_at: row.try_get("updated_at").map_err(store_error)?,
    })
}

pub(crate) fn query_from_row(row: &Row) -> Result<SavedQuery, StoreError> {
    Ok(SavedQuery {
        id: QueryId(row.try_get("id").map_err(store_error)?),
        name: QueryName::parse(row.try_get("name").map_err(store_error)?)
            .map_err(|_| corrupt("query name"))?,
        jql: Jql::parse(row.try_get("jql").map_err(store_error)?)
            .map_err(|_| corrupt("query jql"))?,
        version: row.try_get("version").map_err(store_error)?,
        created_at: row.try_get("created_at").map_err(store_error)?,
        updated_at: row.try_get("updated_at").map_err(store_error)?,
    })
}

/// Runs a keyset-paged list: the first page and later pages are separate statements so both use the index
/// `(installation_id, account_id, updated_at DESC, id DESC)` without an `OR` that defeats it.
async fn list_rows(
    client: &deadpool_postgres::Object,
    columns: &str,
    table: &str,
    owner: &Owner,
    page: &PageRequest,
) -> Result<Vec<Row>, StoreError> {
    let limit = limit_param(page);
    let inst = owner.installation.as_str();
    let acct = owner.account.as_str();
    match page.after() {
        None => {
            let sql = format!(
                "SELECT {columns} FROM {table} WHERE installation_id = $1 AND account_id = $2 \
                 ORDER BY updated_at DESC, id DESC LIMIT $3"
            );
            let stmt = client.prepare_cached(&sql).await.map_err(store_error)?;
            client
                .query(&stmt, &[&inst, &acct, &limit])
                .await
                .map_err(store_error)
        }
        Some(Cursor { updated_at, id, .. }) => {
            let sql = format!(
                "SELECT {columns} FROM {table} WHERE installation_id = $1 AND account_id = $2 \
                 AND (updated_at, id) < ($3, $4) ORDER BY updated_at DESC, id DESC LIMIT $5"
            );
            let stmt = client.prepare_cached(&sql).await.map_err(store_error)?;
            client
                .query(&stmt, &[&inst, &acct, updated_at, id, &limit])
                .await
                .map_err(store_error)
        }
    }
}

const SUMMARY_COLUMNS: &str = "id, name, source, node_count, version, created_at, updated_at";
pub(crate) const LAYOUT_COLUMNS: &str = "id, name, source, body, version, created_at, updated_at";
pub(crate) const QUERY_COLUMNS: &str = "id, name, jql, version, created_at, updated_at";

/// What differs between the two versioned record kinds when an update misses.
/// One record of `owner` by id; another owner's record reads as missing.
async fn get_owned_row(
    client: &deadpool_postgres::Object,
    columns: &str,
    table: &str,
    owner: &Owner,
    id: Uuid,
) -> Result<Option<Row>, StoreError> {
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE id = $1 AND installation_id = $2 AND account_id = $3"
    );
    let stmt = client.prepare_cached(&sql).await.map_err(store_error)?;
    client
        .query_opt(
            &stmt,
            &[&id, &owner.installation.as_str(), &owner.account.as_str()],
        )
        .await
        .map_err(store_error)
}

async fn miss_outcome<T>(
    client: &deadpool_postgres::Object,
    table: &str,
    owner: &Owner,
    id: Uuid,
) -> Result<UpdateOutcome<T>, StoreError> {
    let sql = format!(
        "SELECT version FROM {table} WHERE id = $1 AND installation_id = $2 AND account_id = $3"
    );
    let stmt = client.prepare_cached(&sql).await.map_err(store_error)?;
    let row = client
        .query_opt(
            &stmt,
            &[&id, &owner.installation.as_str(), &owner.account.as_str()],
        )
        .await
        .map_err(store_error)?;
    Ok(match row {
        None => UpdateOutcome::NotFound,
        Some(r) => UpdateOutcome::VersionConflict {
            current: r.try_get(0).map_err(store_error)?,
        },
    })
}

async fn delete_row(
    client: &deadpool_postgres::Object,
    table: &str,
    owner: &Owner,
    id: Uuid,
) -> Result<bool, StoreError> {
    let sql =
        format!("DELETE FROM {table} WHERE id = $1 AND installation_id = $2 AND account_id = $3");
    let stmt = client.prepare_cached(&sql).await.map_err(store_error)?;
    let n = client
        .execute(
            &stmt,
            &[&id, &owner.installation.as_str(), &owner.account.as_str()],
        )
        .await
        .map_err(store_error)?;
    Ok(n == 1)
}

/// Inserts one record in a transaction that first records and locks the owner's account row, so the quota check
/// in `sql` (an `INSERT … SELECT … WHERE (SELECT count(*) …) < quota`) sees every concurrent create of that owner.
async fn insert_within_quota(
    store: &PgConfigStore,
    owner: &Owner,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<InsertOutcome, StoreError> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(store_error)?;
    lock_owner(&tx, owner).await?;
    let stmt = tx.prepare_cached(sql).await.map_err(store_error)?;
    if tx.execute(&stmt, params).await.map_err(store_error)? == 0 {
        // Nothing to keep: dropping the transaction rolls back the account row if it was new.
        return Ok(InsertOutcome::QuotaExceeded);
    }
    tx.commit().await.map_err(store_error)?;
    Ok(InsertOutcome::Inserted)
}

#[async_trait]
impl ConfigStore for PgConfigStore {
    async fn list_layouts(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> Result<Vec<LayoutSummary>, StoreError> {
        let client = self.client().await?;
        let rows = list_rows(&client, SUMMARY_COLUMNS, "layouts", owner, page).await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn get_layout(&self, owner: &Owner, id: LayoutId) -> Result<Option<Layout>, StoreError> {
        let client = self.client().await?;
        let row = get_owned_row(&client, LAYOUT_COLUMNS, "layouts", owner, id.0).await?;
        row.as_ref().map(layout_from_row).transpose()
    }

    async fn insert_layout(
        &self,
        owner: &Owner,
        layout: &Layout,
        quota: u32,
    ) -> Result<InsertOutcome, StoreError> {
        let node_count =
            i32::try_from(layout.draft.nodes.len()).map_err(|_| corrupt("node count"))?;
        insert_within_quota(
            self,
            owner,
            "INSERT INTO layouts (id, installation_id, account_id, name, source, body, node_count, version, \
             created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
             WHERE (SELECT count(*) FROM layouts WHERE installation_id = $2 AND account_id = $3) < $11",
            &[
                &layout.id.0,
                &owner.installation.as_str(),
                &owner.account.as_str(),
                &layout.draft.name.as_str(),
                &Json(&layout.draft.source),
                &Json(body_of(&layout.draft)),
                &node_count,
                &layout.version,
                &layout.created_at,
                &layout.updated_at,
                &i64::from(quota),
            ],
        )
        .await
    }

    async fn update_layout(
        &self,
        owner: &Owner,
        id: LayoutId,
        draft: &LayoutDraft,
        expected_version: i64,
        now: OffsetDateTime,
    ) -> Result<UpdateOutcome<Layout>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE layouts SET name = $4, source = $5, body = $6, node_count = $7, version = version + 1, \
                 updated_at = $8 \
                 WHERE id = $1 AND installation_id = $2 AND account_id = $3 AND version = $9 \
                 RETURNING version, created_at",
            )
            .await
            .map_err(store_error)?;
        let node_count = i32::try_from(draft.nodes.len()).map_err(|_| corrupt("node count"))?;
        let row = client
            .query_opt(
                &stmt,
                &[
                    &id.0,
                    &owner.installation.as_str(),
                    &owner.account.as_str(),
                    &draft.name.as_str(),
                    &Json(&draft.source),
                    &Json(body_of(draft)),
                    &node_count,
                    &now,
                    &expected_version,
                ],
            )
            .await
            .map_err(store_error)?;
        match row {
            Some(r) => Ok(UpdateOutcome::Updated(Layout {
                id,
                draft: draft.clone(),
                version: r.try_get(0).map_err(store_error)?,
                created_at: r.try_get(1).map_err(store_error)?,
                updated_at: now,
            })),
            None => miss_outcome(&client, "layouts", owner, id.0).await,
        }
    }

    async fn delete_layout(&self, owner: &Owner, id: LayoutId) -> Result<bool, StoreError> {
        let client = self.client().await?;
        delete_row(&client, "layouts", owner, id.0).await
    }

    async fn list_queries(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> Result<Vec<SavedQuery>, StoreError> {
        let client = self.client().await?;
        let rows = list_rows(&client, QUERY_COLUMNS, "saved_queries", owner, page).await?;
        rows.iter().map(query_from_row).collect()
    }

    async fn get_query(
        &self,
        owner: &Owner,
        id: QueryId,
    ) -> Result<Option<SavedQuery>, StoreError> {
        let client = self.client().await?;
        let row = get_owned_row(&client, QUERY_COLUMNS, "saved_queries", owner, id.0).await?;
        row.as_ref().map(query_from_row).transpose()
    }

    async fn insert_query(
        &self,
        owner: &Owner,
        query: &SavedQuery,
        quota: u32,
    ) -> Result<InsertOutcome, StoreError> {
        insert_within_quota(
            self,
            owner,
            "INSERT INTO saved_queries (id, installation_id, account_id, name, jql, version, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
             WHERE (SELECT count(*) FROM saved_queries WHERE installation_id = $2 AND account_id = $3) < $9",
            &[
                &query.id.0,
                &owner.installation.as_str(),
                &owner.account.as_str(),
                &query.name.as_str(),
                &query.jql.as_str(),
                &query.version,
                &query.created_at,
                &query.updated_at,
                &i64::from(quota),
            ],
        )
        .await
    }

    async fn update_query(
        &self,
        owner: &Owner,
        id: QueryId,
        draft: &QueryDraft,
        expected_version: i64,
        now: OffsetDateTime,
    ) -> Result<UpdateOutcome<SavedQuery>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE saved_queries SET name = $4, jql = $5, version = version + 1, updated_at = $6 \
                 WHERE id = $1 AND installation_id = $2 AND account_id = $3 AND version = $7 \
                 RETURNING version, created_at",
            )
            .await
            .map_err(store_error)?;
        let row = client
            .query_opt(
                &stmt,
                &[
                    &id.0,
                    &owner.installation.as_str(),
                    &owner.account.as_str(),
                    &draft.name.as_str(),
                    &draft.jql.as_str(),
                    &now,
                    &expected_version,
                ],
            )
            .await
            .map_err(store_error)?;
        match row {
            Some(r) => Ok(UpdateOutcome::Updated(SavedQuery {
                id,
                name: draft.name.clone(),
                jql: draft.jql.clone(),
                version: r.try_get(0).map_err(store_error)?,
                created_at: r.try_get(1).map_err(store_error)?,
                updated_at: now,
            })),
            None => miss_outcome(&client, "saved_queries", owner, id.0).await,
        }
    }

    async fn delete_query(&self, owner: &Owner, id: QueryId) -> Result<bool, StoreError> {
        let client = self.client().await?;
        delete_row(&client, "saved_queries", owner, id.0).await
    }

    async fn get_settings(&self, owner: &Owner) -> Result<Option<DisplaySettings>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT settings FROM display_settings WHERE installation_id = $1 AND account_id = $2")
            .await
            .map_err(store_error)?;
        let row = client
            .query_opt(
                &stmt,
                &[&owner.installation.as_str(), &owner.account.as_str()],
            )
            .await
            .map_err(store_error)?;
        match row {
            None => Ok(None),
            Some(r) => {
                let doc: serde_json::Value = r.try_get(0).map_err(store_error)?;
                DisplaySettings::from_document(&doc).map(Some)
            }
        }
    }

    async fn put_settings(
        &self,
        owner: &Owner,
        settings: &DisplaySettings,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(store_error)?;
        lock_owner(&tx, owner).await?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO display_settings (installation_id, account_id, settings, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (installation_id, account_id) \
                 DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at",
            )
            .await
            .map_err(store_error)?;
        tx.execute(
            &stmt,
            &[
                &owner.installation.as_str(),
                &owner.account.as_str(),
                &settings.to_document(),
                &now,
            ],
        )
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }
}
