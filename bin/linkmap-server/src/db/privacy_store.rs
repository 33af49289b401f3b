//! [`PrivacyStore`] over PostgreSQL: export, erasure, closed-account erasure with tombstone, installation purge.
//!
//! Every erasure is one transaction that first locks the rows it will delete (so the counts it answers are exact
//! even while the user keeps writing), counts them, and deletes the parent rows; `ON DELETE CASCADE` takes the
//! rest, including rows of tables added later (the e2e uninstall test checks every table).

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Pool};
use linkmap_core::{
    AccountId, DataExport, DeletionCounts, DisplaySettings, ExportedSettings, InstallationId,
    Owner, PrivacyStore, StoreError,
};
use time::OffsetDateTime;
use tokio_postgres::types::ToSql;

use super::config_store::{
    layout_from_row, query_from_row, store_error, LAYOUT_COLUMNS, QUERY_COLUMNS,
};

/// The Postgres implementation of linkmap-core's privacy port.
#[derive(Debug, Clone)]
pub struct PgPrivacyStore {
    pool: Pool,
}

/// Which rows an erasure targets (a SQL condition on `installation_id`/`account_id`, parameters `$1`, `$2`).
#[derive(Clone, Copy)]
enum Scope {
    Owner,
    Account,
    Installation,
}

impl Scope {
    fn condition(self) -> &'static str {
        match self {
            Scope::Owner => "installation_id = $1 AND account_id = $2",
            Scope::Account => "account_id = $1",
            Scope::Installation => "installation_id = $1",
        }
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Locks, counts and deletes the rows of `scope` inside `tx`. Returns what was deleted.
async fn delete_scope(
    tx: &impl GenericClient,
    scope: Scope,
    params: &[&(dyn ToSql + Sync)],
) -> Result<DeletionCounts, StoreError> {
    let cond = scope.condition();
    // Lock the parents first: writers upsert (and so lock) the account row, or key-share the installation row,
    // before inserting children, so nothing new can appear under us until commit.
    let lock = match scope {
        Scope::Installation => {
            "SELECT 1 FROM installations WHERE installation_id = $1 FOR UPDATE".to_owned()
        }
        _ => format!("SELECT 1 FROM accounts WHERE {cond} FOR UPDATE"),
    };
    tx.query(&lock, params).await.map_err(store_error)?;
    let counts_sql = format!(
        "SELECT (SELECT count(*) FROM accounts WHERE {cond}), (SELECT count(*) FROM layouts WHERE {cond}), \
         (SELECT count(*) FROM saved_queries WHERE {cond}), (SELECT count(*) FROM display_settings WHERE {cond})"
    );
    let row = tx
        .query_one(&counts_sql, params)
        .await
        .map_err(store_error)?;
    let mut counts = DeletionCounts {
        installations: 0,
        accounts: count(row.try_get(0).map_err(store_error)?),
        layouts: count(row.try_get(1).map_err(store_error)?),
        queries: count(row.try_get(2).map_err(store_error)?),
        settings: count(row.try_get(3).map_err(store_error)?),
    };
    match scope {
        Scope::Installation => {
            // A Connect instance whose `installed` payload named this installation before it was registered
            // here is not linked (no cascade): it goes too (policy D1, Connect side).
            tx.execute(
                "DELETE FROM connect_instances WHERE payload_installation = $1",
                params,
            )
            .await
            .map_err(store_error)?;
            counts.installations = tx
                .execute(
                    "DELETE FROM installations WHERE installation_id = $1",
                    params,
                )
                .await
                .map_err(store_error)?;
        }
        _ => {
            tx.execute(&format!("DELETE FROM accounts WHERE {cond}"), params)
                .await
                .map_err(store_error)?;
        }
    }
    Ok(counts)
}

/// Erases an account everywhere inside the caller's transaction (the operator CLI audits in the same one).
pub(crate) async fn erase_account_in(
    tx: &impl GenericClient,
    account: &AccountId,
) -> Result<DeletionCounts, StoreError> {
    delete_scope(tx, Scope::Account, &[&account.as_str()]).await
}

/// Purges an installation inside the caller's transaction (the operator CLI audits in the same one).
pub(crate) async fn purge_installation_in(
    tx: &impl GenericClient,
    installation: &InstallationId,
) -> Result<DeletionCounts, StoreError> {
    delete_scope(tx, Scope::Installation, &[&installation.as_str()]).await
}

/// Erases closed accounts everywhere and tombstones them, inside the caller's transaction (the reconciliation job
/// commits this together with its progress, so a crash never repeats an erasure).
pub(crate) async fn erase_closed_in(
    tx: &impl GenericClient,
    accounts: &[String],
) -> Result<DeletionCounts, StoreError> {
    let mut total = DeletionCounts::default();
    for account in accounts {
        total = total + delete_scope(tx, Scope::Account, &[account]).await?;
    }
    tx.execute(
        "INSERT INTO closed_accounts (account_hash) SELECT account_tombstone_hash(x) FROM unnest($1::text[]) AS x \
         ON CONFLICT (account_hash) DO NOTHING",
        &[&accounts],
    )
    .await
    .map_err(store_error)?;
    Ok(total)
}

impl PgPrivacyStore {
    /// A store over `pool`.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    async fn in_transaction(
        &self,
        scope: Scope,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<DeletionCounts, StoreError> {
        let mut client = self.pool.get().await.map_err(store_error)?;
        let tx = client.transaction().await.map_err(store_error)?;
        let counts = delete_scope(&tx, scope, params).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(counts)
    }

    /// The installations holding data of `account` (for the operator export).
    pub async fn installations_of(
        &self,
        account: &AccountId,
    ) -> Result<Vec<InstallationId>, StoreError> {
        let client = self.pool.get().await.map_err(store_error)?;
        let rows = client
            .query(
                "SELECT installation_id FROM accounts WHERE account_id = $1 ORDER BY installation_id",
                &[&account.as_str()],
            )
            .await
            .map_err(store_error)?;
        rows.iter()
            .map(|r| {
                let raw: String = r.try_get(0).map_err(store_error)?;
                InstallationId::parse(&raw)
                    .map_err(|_| StoreError::Corrupt("stored installation id".into()))
            })
            .collect()
    }
}

#[async_trait]
impl PrivacyStore for PgPrivacyStore {
    async fn export(&self, owner: &Owner, now: OffsetDateTime) -> Result<DataExport, StoreError> {
        let mut client = self.pool.get().await.map_err(store_error)?;
        // One consistent snapshot of the user's records.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(store_error)?;
        let inst = owner.installation.as_str();
        let acct = owner.account.as_str();
        let mut doc = DataExport::empty(owner, now);
        let first = tx
            .query_opt(
                "SELECT first_stored_at FROM accounts WHERE installation_id = $1 AND account_id = $2",
                &[&inst, &acct],
            )
            .await
            .map_err(store_error)?;
        let Some(first) = first else {
            return Ok(doc);
        };
        doc.first_stored_at = Some(first.try_get(0).map_err(store_error)?);
        let layouts = tx
            .query(
                &format!(
                    "SELECT {LAYOUT_COLUMNS} FROM layouts WHERE installation_id = $1 AND account_id = $2 \
                     ORDER BY created_at, id"
                ),
                &[&inst, &acct],
            )
            .await
            .map_err(store_error)?;
        doc.layouts = layouts
            .iter()
            .map(layout_from_row)
            .collect::<Result<_, _>>()?;
        let queries = tx
            .query(
                &format!(
                    "SELECT {QUERY_COLUMNS} FROM saved_queries WHERE installation_id = $1 AND account_id = $2 \
                     ORDER BY created_at, id"
                ),
                &[&inst, &acct],
            )
            .await
            .map_err(store_error)?;
        doc.queries = queries
            .iter()
            .map(query_from_row)
            .collect::<Result<_, _>>()?;
        let settings = tx
            .query_opt(
                "SELECT settings, updated_at FROM display_settings WHERE installation_id = $1 AND account_id = $2",
                &[&inst, &acct],
            )
            .await
            .map_err(store_error)?;
        if let Some(row) = settings {
            let document: serde_json::Value = row.try_get(0).map_err(store_error)?;
            doc.settings = Some(ExportedSettings {
                settings: DisplaySettings::from_document(&document)?,
                updated_at: row.try_get(1).map_err(store_error)?,
            });
        }
        tx.commit().await.map_err(store_error)?;
        Ok(doc)
    }

    async fn erase_owner(&self, owner: &Owner) -> Result<DeletionCounts, StoreError> {
        self.in_transaction(
            Scope::Owner,
            &[&owner.installation.as_str(), &owner.account.as_str()],
        )
        .await
    }

    async fn erase_account(&self, account: &AccountId) -> Result<DeletionCounts, StoreError> {
        self.in_transaction(Scope::Account, &[&account.as_str()])
            .await
    }

    async fn erase_closed_account(
        &self,
        account: &AccountId,
    ) -> Result<DeletionCounts, StoreError> {
        let mut client = self.pool.get().await.map_err(store_error)?;
        let tx = client.transaction().await.map_err(store_error)?;
        let counts = erase_closed_in(&tx, &[account.as_str().to_owned()]).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(counts)
    }

    async fn purge_installation(
        &self,
        installation: &InstallationId,
    ) -> Result<DeletionCounts, StoreError> {
        self.in_transaction(Scope::Installation, &[&installation.as_str()])
            .await
    }
}
