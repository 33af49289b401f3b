//! [`PrivacyStore`] over PostgreSQL: export, erasure, closed-account erasure with tombstone, installation purge.
//!
//! Every erasure is one transaction that first locks the rows it will delete (so the counts it answers are exact
//! even while the user keeps writing), counts them, and deletes the parent rows; `ON DELETE CASCADE` takes the
//! rest, including rows of tables added later (the e2e uninstall test checks every table).

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Pool, Transaction};
use futures_util::StreamExt;
use linkmap_core::{
    AccountId, DataExport, DeletionCounts, DisplaySettings, ExportedSettings, InstallationId,
    Owner, PrivacyStore, StoreError,
};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::config_store::{
    layout_from_row, query_from_row, store_error, LAYOUT_COLUMNS, QUERY_COLUMNS,
};

/// Chunks of a streamed export waiting for the client (the channel's capacity). With [`CHUNK_BYTES`] and one
/// record being serialized, this bounds what one export holds in memory; see [`PgPrivacyStore::export_stream`].
const EXPORT_CHANNEL_CHUNKS: usize = 2;
/// A streamed export sends its bytes in chunks of about this size (one record more at most: a layout can be larger).
const CHUNK_BYTES: usize = 64 * 1024;
/// How long a streamed export waits for the client to take its next chunk before giving up, so a client that
/// stops reading does not keep a pooled connection and an open snapshot (which holds back vacuum) forever.
const STALLED_CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

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

    /// Starts exporting everything held about `owner` as a stream of compact JSON chunks (the document of
    /// [`PrivacyStore::export`], from one REPEATABLE READ read-only snapshot) on a spawned task that holds a pooled
    /// connection until the document is sent.
    ///
    /// Memory is bounded by about one record, whatever the user holds: the task reads rows through a `RowStream`
    /// (see [`stream_records`]), serializes one record at a time into a buffer flushed at [`CHUNK_BYTES`], and the
    /// channel holds [`EXPORT_CHANNEL_CHUNKS`] chunks; when the client reads slowly, `send` waits, so the task stops
    /// pulling rows and Postgres stops sending them. Only the settings document and the frame stay for the whole
    /// export. The task gives up when the client takes nothing for [`STALLED_CLIENT_TIMEOUT`].
    pub fn export_stream(
        &self,
        owner: Owner,
        now: OffsetDateTime,
    ) -> mpsc::Receiver<ExportMessage> {
        let (tx, rx) = mpsc::channel(EXPORT_CHANNEL_CHUNKS);
        tokio::spawn(run_export(self.pool.clone(), owner, now, tx));
        rx
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

/// What a streamed export sends, in order: the document's bytes, then [`ExportMessage::Done`] once it is complete;
/// or [`ExportMessage::Failed`] (nothing after it). A channel that closes without `Done` is a failed export too.
#[derive(Debug)]
pub enum ExportMessage {
    /// The next bytes of the compact JSON document.
    Bytes(Vec<u8>),
    /// The document is complete.
    Done,
    /// The export failed. Before any `Bytes`: nothing was sent, answer with an error response. After: the document
    /// is truncated and the transfer must be broken off (the task has logged the cause).
    Failed(StoreError),
}

/// Why a streamed export stopped early.
enum Abort {
    Store(StoreError),
    /// The receiver is gone (the client disconnected).
    Gone,
    /// The client took nothing for [`STALLED_CLIENT_TIMEOUT`].
    Stalled,
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// The export's output: a buffer of at most about [`CHUNK_BYTES`] in front of the bounded channel.
struct ChunkSink {
    tx: mpsc::Sender<ExportMessage>,
    buf: Vec<u8>,
    sent_any: bool,
}

impl ChunkSink {
    async fn send(&mut self, msg: ExportMessage) -> Result<(), Abort> {
        match tokio::time::timeout(STALLED_CLIENT_TIMEOUT, self.tx.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Abort::Gone),
            Err(_) => Err(Abort::Stalled),
        }
    }

    async fn flush(&mut self) -> Result<(), Abort> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.send(ExportMessage::Bytes(chunk)).await?;
        self.sent_any = true;
        Ok(())
    }

    /// Flushes once a chunk's worth is buffered.
    async fn maybe_flush(&mut self) -> Result<(), Abort> {
        if self.buf.len() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn push(&mut self, bytes: &[u8]) -> Result<(), Abort> {
        self.buf.extend_from_slice(bytes);
        self.maybe_flush().await
    }

    /// Serializes one record straight into the buffer (compact, exactly as `DataExport` serializes it).
    async fn push_json(&mut self, value: &impl Serialize) -> Result<(), Abort> {
        serde_json::to_writer(&mut self.buf, value).map_err(StoreError::other)?;
        self.maybe_flush().await
    }
}

/// Starts the one consistent snapshot an export reads.
async fn begin_snapshot(
    client: &mut deadpool_postgres::Object,
) -> Result<Transaction<'_>, StoreError> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(store_error)
}

/// When the owner's account row was first stored; `None`: nothing is held about them.
async fn first_stored_at(
    tx: &Transaction<'_>,
    owner: &Owner,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT first_stored_at FROM accounts WHERE installation_id = $1 AND account_id = $2",
            &[&owner.installation.as_str(), &owner.account.as_str()],
        )
        .await
        .map_err(store_error)?;
    row.map(|r| r.try_get(0).map_err(store_error)).transpose()
}

/// The owner's saved display settings, if any.
async fn settings_of(
    tx: &Transaction<'_>,
    owner: &Owner,
) -> Result<Option<ExportedSettings>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT settings, updated_at FROM display_settings WHERE installation_id = $1 AND account_id = $2",
            &[&owner.installation.as_str(), &owner.account.as_str()],
        )
        .await
        .map_err(store_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let document: serde_json::Value = row.try_get(0).map_err(store_error)?;
    Ok(Some(ExportedSettings {
        settings: DisplaySettings::from_document(&document)?,
        updated_at: row.try_get(1).map_err(store_error)?,
    }))
}

/// The owner's layouts (`$1` installation, `$2` account), oldest first.
fn layouts_sql() -> String {
    format!(
        "SELECT {LAYOUT_COLUMNS} FROM layouts WHERE installation_id = $1 AND account_id = $2 ORDER BY created_at, id"
    )
}

/// The owner's saved queries (`$1` installation, `$2` account), oldest first.
fn queries_sql() -> String {
    format!(
        "SELECT {QUERY_COLUMNS} FROM saved_queries WHERE installation_id = $1 AND account_id = $2 \
         ORDER BY created_at, id"
    )
}

/// Streams the rows of `sql` for `owner` into `out` as comma-separated JSON records, mapped by `map` (the same
/// row mappers the rest of the store uses). Rows arrive through a `RowStream`: tokio-postgres hands the connection's
/// messages over a channel of one batch, so while `out` waits for the client the connection stops reading the
/// socket and the server waits; nothing piles up here. Returns how many records were written.
async fn stream_records<T: Serialize>(
    tx: &Transaction<'_>,
    sql: &str,
    owner: &Owner,
    map: fn(&Row) -> Result<T, StoreError>,
    out: &mut ChunkSink,
) -> Result<u64, Abort> {
    let rows = tx
        .query_raw(sql, [owner.installation.as_str(), owner.account.as_str()])
        .await
        .map_err(store_error)?;
    let mut rows = std::pin::pin!(rows);
    let mut n = 0u64;
    while let Some(row) = rows.next().await {
        let record = map(&row.map_err(store_error)?)?;
        if n > 0 {
            out.buf.push(b',');
        }
        out.push_json(&record).await?;
        n += 1;
    }
    Ok(n)
}

/// Where the streamed collections go in a serialized [`DataExport`] whose `layouts` and `queries` are empty.
///
/// Every field before `layouts` is a string or `null`, and inside a JSON string every `"` is escaped, so the first
/// occurrence of these bytes is the structural one.
const COLLECTIONS_HOLE: &[u8] = br#","layouts":[],"queries":[],"#;

/// Writes the export of `owner` to `out`: the same document as [`PrivacyStore::export`], compact, from one snapshot.
///
/// The small parts (account row, settings) are read first, so the usual failures (database down) happen before
/// any byte is sent. The document's frame is `DataExport`'s own serialization with empty collections, split at
/// [`COLLECTIONS_HOLE`]; the layouts and queries are streamed into the hole one record at a time.
async fn write_export(
    pool: &Pool,
    owner: &Owner,
    now: OffsetDateTime,
    out: &mut ChunkSink,
) -> Result<DeletionCounts, Abort> {
    let mut client = pool.get().await.map_err(store_error)?;
    let tx = begin_snapshot(&mut client).await?;
    let mut doc = DataExport::empty(owner, now);
    doc.first_stored_at = first_stored_at(&tx, owner).await?;
    if doc.first_stored_at.is_none() {
        // Nothing is held (and nothing can be: every record hangs off the account row).
        out.push_json(&doc).await?;
        out.flush().await?;
        return Ok(DeletionCounts::default());
    }
    doc.settings = settings_of(&tx, owner).await?;
    let mut counts = doc.counts();
    let frame = serde_json::to_vec(&doc).map_err(StoreError::other)?;
    let at = frame
        .windows(COLLECTIONS_HOLE.len())
        .position(|w| w == COLLECTIONS_HOLE)
        .ok_or_else(|| StoreError::other("the export frame has no place for its collections"))?;
    let (head, tail) = (&frame[..at], &frame[at + COLLECTIONS_HOLE.len()..]);
    out.push(head).await?;
    out.push(br#","layouts":["#).await?;
    counts.layouts = stream_records(&tx, &layouts_sql(), owner, layout_from_row, out).await?;
    out.push(br#"],"queries":["#).await?;
    counts.queries = stream_records(&tx, &queries_sql(), owner, query_from_row, out).await?;
    out.push(b"],").await?;
    out.push(tail).await?;
    tx.commit().await.map_err(store_error)?;
    out.flush().await?;
    Ok(counts)
}

/// The export task: runs [`write_export`], then ends the channel with `Done` or `Failed`, and logs (counts and
/// causes only, never ids).
async fn run_export(
    pool: Pool,
    owner: Owner,
    now: OffsetDateTime,
    tx: mpsc::Sender<ExportMessage>,
) {
    let mut out = ChunkSink {
        tx,
        buf: Vec::with_capacity(CHUNK_BYTES),
        sent_any: false,
    };
    match write_export(&pool, &owner, now, &mut out).await {
        Ok(counts) => {
            if out.send(ExportMessage::Done).await.is_ok() {
                tracing::info!(
                    layouts = counts.layouts,
                    queries = counts.queries,
                    settings = counts.settings,
                    "data export sent"
                );
            }
        }
        Err(Abort::Store(e)) => {
            if out.sent_any {
                // The client gets a broken transfer; the cause is only here.
                let cause = std::error::Error::source(&e).map(ToString::to_string);
                tracing::error!(error = %e, cause = ?cause, "data export failed mid-stream");
            }
            // Before the first byte the handler answers (and logs) the error itself.
            let _ = out.send(ExportMessage::Failed(e)).await;
        }
        Err(Abort::Gone) => tracing::info!("data export abandoned: the client went away"),
        Err(Abort::Stalled) => tracing::warn!("data export abandoned: the client stopped reading"),
    }
}

#[async_trait]
impl PrivacyStore for PgPrivacyStore {
    /// The whole document in memory: only the operator CLI uses this (one user, on the operator's machine);
    /// `GET /me/data` streams through [`PgPrivacyStore::export_stream`] instead.
    async fn export(&self, owner: &Owner, now: OffsetDateTime) -> Result<DataExport, StoreError> {
        let mut client = self.pool.get().await.map_err(store_error)?;
        let tx = begin_snapshot(&mut client).await?;
        let mut doc = DataExport::empty(owner, now);
        let Some(first) = first_stored_at(&tx, owner).await? else {
            return Ok(doc);
        };
        doc.first_stored_at = Some(first);
        let (inst, acct) = (owner.installation.as_str(), owner.account.as_str());
        doc.layouts = tx
            .query(&layouts_sql(), &[&inst, &acct])
            .await
            .map_err(store_error)?
            .iter()
            .map(layout_from_row)
            .collect::<Result<_, _>>()?;
        doc.queries = tx
            .query(&queries_sql(), &[&inst, &acct])
            .await
            .map_err(store_error)?
            .iter()
            .map(query_from_row)
            .collect::<Result<_, _>>()?;
        doc.settings = settings_of(&tx, owner).await?;
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
