//! The daily account-closure reconciliation (policy D2, R4; FORGE-CONTRACT §5).
//!
//! One run reports every account id of one installation that is due (never reported, or reported longer ago than
//! the last `Cycle-Period`) to the Personal Data Reporting API, using the app system token the scheduled trigger
//! brought. The token lives only in memory, in the [`ReconcileRequest`] and this run.
//!
//! - **Streaming.** Due ids are read in keyset pages of [`MAX_ACCOUNTS_PER_REPORT`] (`account_id > cursor`), one
//!   page per request: memory does not grow with the number of accounts; n due ids make ceil(n/90) requests.
//! - **Resumable.** Each batch's outcome — erasure of closed accounts (everywhere, with a tombstone), the reporting
//!   state of the others, the run's counters — is committed in one transaction after the reply. A crash before it
//!   leaves the batch due (it is sent again, nothing was erased); after it, the batch is not due any more.
//! - **One worker per installation.** A session advisory lock on a dedicated connection (not a pooled one, so a
//!   crashed or aborted run can never leave it held: the connection closes with it). A second instance skips.
//! - **Bounded.** [`JobQueue`] is a bounded channel; at most `RECONCILIATION_CONCURRENCY` runs at once.
//! - **Logs** carry counts and reason codes only: no account id, no token.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Pool};
use forge_remote_auth::AppSystemToken;
use linkmap_core::privacy::reporting::{
    interpret, report_batches, ReportDecision, ReportEntry, ReportingClient,
    MAX_ACCOUNTS_PER_REPORT,
};
use linkmap_core::{AccountId, InstallationId, StoreError};
use time::OffsetDateTime;
use tokio::sync::{mpsc, Semaphore};

use crate::configuration::Secret;
use crate::db::config_store::store_error;
use crate::db::privacy_store::erase_closed_in;

/// First key of the advisory lock (the second is `hashtext(installation_id)`): "LMRE".
const LOCK_CLASS: i32 = 0x4C4D_5245;
/// Sends of one batch (first try plus retries after 429/503 or a transport failure) before the run stops.
const MAX_ATTEMPTS_PER_BATCH: u32 = 6;
/// Stop using a system token this long before it expires.
const TOKEN_MARGIN_SECONDS: i64 = 120;
/// A system token whose expiry cannot be read is used for at most this long ("valid for a min TTL of 2 hours").
const UNKNOWN_TOKEN_TTL_SECONDS: i64 = 2 * 3600;
/// Pending run requests per instance; beyond it the trigger answers 503 and Forge retries.
pub const QUEUE_CAPACITY: usize = 256;

/// Why a run could not be carried out at all (its state stays as committed).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The lock connection could not be opened.
    #[error("could not open the reconciliation lock connection")]
    Lock(#[source] tokio_postgres::Error),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every due id was reported.
    Completed,
    /// Stopped early (reason code, e.g. `http-400`); the rest stays due for the next run.
    Stopped(String),
    /// Another worker holds this installation; nothing was done.
    Busy,
}

/// What a run did. Counts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// How it ended.
    pub outcome: RunOutcome,
    /// Requests sent (retries included).
    pub requests: u32,
    /// Account ids reported in accepted batches.
    pub reported: u32,
    /// Accounts found closed (and erased everywhere).
    pub closed: u32,
    /// Accounts answered `updated`.
    pub updated: u32,
}

impl RunSummary {
    fn new() -> Self {
        Self {
            outcome: RunOutcome::Completed,
            requests: 0,
            reported: 0,
            closed: 0,
            updated: 0,
        }
    }
}

/// Runs reconciliations against one database and one reporting API.
#[derive(Debug)]
pub struct Reconciler {
    pool: Pool,
    database_url: Secret,
    client: Arc<dyn ReportingClient>,
    max_retry_after: Duration,
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Reconciler {
    /// A reconciler over `pool` (the lock uses its own connection to `database_url`).
    pub fn new(
        pool: Pool,
        database_url: Secret,
        client: Arc<dyn ReportingClient>,
        max_retry_after: Duration,
    ) -> Self {
        Self {
            pool,
            database_url,
            client,
            max_retry_after,
        }
    }

    /// Reports the installation's due account ids with `token`. See the module docs.
    pub async fn run(
        &self,
        installation: &InstallationId,
        token: &AppSystemToken,
    ) -> Result<RunSummary, ReconcileError> {
        let started = OffsetDateTime::now_utc().unix_timestamp();
        let token_deadline = token
            .expires_at()
            .unwrap_or(started + UNKNOWN_TOKEN_TTL_SECONDS)
            - TOKEN_MARGIN_SECONDS;
        let inst = installation.as_str();

        let (lock, connection) =
            tokio_postgres::connect(self.database_url.expose(), tokio_postgres::NoTls)
                .await
                .map_err(ReconcileError::Lock)?;
        tokio::spawn(connection);
        let locked: bool = lock
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&LOCK_CLASS, &inst],
            )
            .await
            .map_err(store_error)?
            .try_get(0)
            .map_err(store_error)?;
        if !locked {
            tracing::info!("reconciliation skipped: another worker holds this installation");
            let mut s = RunSummary::new();
            s.outcome = RunOutcome::Busy;
            return Ok(s);
        }
        let result = self.locked_run(inst, token, token_deadline).await;
        // Dropping `lock` closes its connection, which releases the lock anyway; unlocking first is tidier.
        let _ = lock
            .execute(
                "SELECT pg_advisory_unlock($1, hashtext($2))",
                &[&LOCK_CLASS, &inst],
            )
            .await;
        result
    }

    async fn locked_run(
        &self,
        inst: &str,
        token: &AppSystemToken,
        token_deadline: i64,
    ) -> Result<RunSummary, ReconcileError> {
        let mut client = self.pool.get().await.map_err(store_error)?;
        // Runs of this installation still marked running died (we hold the lock): mark them.
        client
            .execute(
                "UPDATE reconciliation_runs SET state = 'abandoned', finished_at = now() \
                 WHERE installation_id = $1 AND state = 'running'",
                &[&inst],
            )
            .await
            .map_err(store_error)?;
        let run_id: i64 = client
            .query_one(
                "INSERT INTO reconciliation_runs (installation_id) VALUES ($1) RETURNING id",
                &[&inst],
            )
            .await
            .map_err(store_error)?
            .try_get(0)
            .map_err(store_error)?;
        // A closed account stored again after its erasure (a request that was in flight) goes at once, unreported.
        client
            .execute(
                "DELETE FROM accounts a WHERE a.installation_id = $1 AND EXISTS \
                 (SELECT 1 FROM closed_accounts c WHERE c.account_hash = account_tombstone_hash(a.account_id))",
                &[&inst],
            )
            .await
            .map_err(store_error)?;

        let mut summary = RunSummary::new();
        let mut cursor = String::new();
        let outcome = loop {
            if OffsetDateTime::now_utc().unix_timestamp() >= token_deadline {
                break RunOutcome::Stopped("token-expired".into());
            }
            let entries = due_page(&client, inst, &cursor).await?;
            let Some(last) = entries.last() else {
                break RunOutcome::Completed;
            };
            cursor = last.account.as_str().to_owned();
            // A page is at most one batch; `report_batches` is the same rule the unit tests prove at scale.
            let mut stopped = None;
            for batch in report_batches(entries) {
                match self.send_batch(token.secret(), &batch, &mut summary).await {
                    Ok((closed, updated, cycle)) => {
                        let tx = client.transaction().await.map_err(store_error)?;
                        commit_batch(&tx, inst, &batch, &closed, &updated, cycle).await?;
                        summary.reported += u32::try_from(batch.len()).unwrap_or(u32::MAX);
                        summary.closed += u32::try_from(closed.len()).unwrap_or(u32::MAX);
                        summary.updated += u32::try_from(updated.len()).unwrap_or(u32::MAX);
                        save_progress(&tx, run_id, &summary, None).await?;
                        tx.commit().await.map_err(store_error)?;
                    }
                    Err(reason) => {
                        stopped = Some(reason);
                        break;
                    }
                }
            }
            if let Some(reason) = stopped {
                break RunOutcome::Stopped(reason);
            }
        };
        summary.outcome = outcome;
        save_progress(&client, run_id, &summary, Some(&summary.outcome)).await?;
        match &summary.outcome {
            RunOutcome::Stopped(reason) => tracing::warn!(
                run = run_id,
                reason = %reason,
                requests = summary.requests,
                reported = summary.reported,
                closed = summary.closed,
                "reconciliation stopped; the remaining accounts stay due"
            ),
            _ => tracing::info!(
                run = run_id,
                requests = summary.requests,
                reported = summary.reported,
                closed = summary.closed,
                updated = summary.updated,
                "reconciliation completed"
            ),
        }
        Ok(summary)
    }

    /// Sends one batch until it is accepted (closed, updated, cycle) or the run must stop (reason code).
    async fn send_batch(
        &self,
        bearer: &str,
        batch: &linkmap_core::privacy::reporting::ReportBatch,
        summary: &mut RunSummary,
    ) -> Result<(Vec<AccountId>, Vec<AccountId>, Duration), String> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            summary.requests += 1;
            let wait = match self.client.send(bearer, batch.to_body()).await {
                Ok(reply) => match interpret(&reply, batch, self.max_retry_after) {
                    ReportDecision::Accepted {
                        closed,
                        updated,
                        cycle,
                        ..
                    } => return Ok((closed, updated, cycle)),
                    ReportDecision::Stop(reason) => return Err(reason.code()),
                    ReportDecision::Retry(wait) => wait,
                },
                Err(e) => {
                    tracing::warn!(error = %e, "reporting request failed");
                    Duration::from_secs(1).min(self.max_retry_after)
                }
            };
            if attempts >= MAX_ATTEMPTS_PER_BATCH {
                return Err("retries-exhausted".into());
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// One page of due account ids after `cursor`, oldest key first, never a tombstoned one.
async fn due_page(
    client: &impl GenericClient,
    inst: &str,
    cursor: &str,
) -> Result<Vec<ReportEntry>, StoreError> {
    let limit = i64::try_from(MAX_ACCOUNTS_PER_REPORT).unwrap_or(90);
    let stmt = client
        .prepare_cached(
            "SELECT a.account_id, a.first_stored_at FROM accounts a \
             LEFT JOIN account_reporting r ON r.installation_id = a.installation_id AND r.account_id = a.account_id \
             WHERE a.installation_id = $1 AND a.account_id > $2 \
               AND (r.next_due_at IS NULL OR r.next_due_at <= now()) \
               AND NOT EXISTS (SELECT 1 FROM closed_accounts c \
                               WHERE c.account_hash = account_tombstone_hash(a.account_id)) \
             ORDER BY a.account_id LIMIT $3",
        )
        .await
        .map_err(store_error)?;
    let rows = client
        .query(&stmt, &[&inst, &cursor, &limit])
        .await
        .map_err(store_error)?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let raw: String = row.try_get(0).map_err(store_error)?;
        let account = AccountId::parse(&raw)
            .map_err(|_| StoreError::Corrupt("stored account id breaks a rule".into()))?;
        entries.push(ReportEntry {
            account,
            first_stored_at: row.try_get(1).map_err(store_error)?,
        });
    }
    Ok(entries)
}

/// Erases the batch's closed accounts everywhere (tombstoned) and records the others as reported until `cycle`.
async fn commit_batch(
    tx: &impl GenericClient,
    inst: &str,
    batch: &linkmap_core::privacy::reporting::ReportBatch,
    closed: &[AccountId],
    updated: &[AccountId],
    cycle: Duration,
) -> Result<(), StoreError> {
    let closed: Vec<String> = closed.iter().map(|a| a.as_str().to_owned()).collect();
    if !closed.is_empty() {
        erase_closed_in(tx, &closed).await?;
    }
    let (mut ids, mut states) = (Vec::new(), Vec::new());
    for e in batch.entries() {
        let id = e.account.as_str();
        if closed.iter().any(|c| c == id) {
            continue;
        }
        ids.push(id.to_owned());
        states.push(if updated.iter().any(|u| u.as_str() == id) {
            "updated"
        } else {
            "reported"
        });
    }
    let secs = cycle.as_secs_f64();
    tx.execute(
        "INSERT INTO account_reporting (installation_id, account_id, last_reported_at, next_due_at, last_status) \
         SELECT $1, x.id, now(), now() + make_interval(secs => $3), x.st \
         FROM unnest($2::text[], $4::text[]) AS x(id, st) \
         WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.installation_id = $1 AND a.account_id = x.id) \
         ON CONFLICT (installation_id, account_id) DO UPDATE SET last_reported_at = EXCLUDED.last_reported_at, \
         next_due_at = EXCLUDED.next_due_at, last_status = EXCLUDED.last_status",
        &[&inst, &ids, &secs, &states],
    )
    .await
    .map_err(store_error)?;
    Ok(())
}

async fn save_progress(
    client: &impl GenericClient,
    run_id: i64,
    s: &RunSummary,
    finished: Option<&RunOutcome>,
) -> Result<(), StoreError> {
    let (state, reason): (Option<&str>, Option<&str>) = match finished {
        None => (None, None),
        Some(RunOutcome::Completed | RunOutcome::Busy) => (Some("completed"), None),
        Some(RunOutcome::Stopped(r)) => (Some("stopped"), Some(r.as_str())),
    };
    client
        .execute(
            "UPDATE reconciliation_runs SET requests = $2, reported = $3, closed = $4, updated = $5, \
             state = coalesce($6, state), stop_reason = coalesce($7, stop_reason), \
             finished_at = CASE WHEN $6::text IS NULL THEN NULL ELSE now() END WHERE id = $1",
            &[
                &run_id,
                &to_i32(s.requests),
                &to_i32(s.reported),
                &to_i32(s.closed),
                &to_i32(s.updated),
                &state,
                &reason,
            ],
        )
        .await
        .map_err(store_error)?;
    Ok(())
}

/// A run to do: the installation and the system token its trigger brought (memory only; `Debug` redacts it).
#[derive(Debug)]
pub struct ReconcileRequest {
    /// The installation (from the verified FIT).
    pub installation: InstallationId,
    /// The app system token.
    pub token: AppSystemToken,
}

/// The queue is full; the trigger should be retried later.
#[derive(Debug, thiserror::Error)]
#[error("the reconciliation queue is full")]
pub struct QueueFull;

/// Hands runs from request handlers to background tasks: bounded queue, bounded concurrency.
#[derive(Debug, Clone)]
pub struct JobQueue {
    tx: mpsc::Sender<ReconcileRequest>,
}

impl JobQueue {
    /// Starts the dispatcher on the current Tokio runtime.
    pub fn start(reconciler: Arc<Reconciler>, concurrency: usize) -> Self {
        let (tx, mut rx) = mpsc::channel::<ReconcileRequest>(QUEUE_CAPACITY);
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        tokio::spawn(async move {
            while let Some(req) = rx.recv().await {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let reconciler = Arc::clone(&reconciler);
                tokio::spawn(async move {
                    if let Err(e) = reconciler.run(&req.installation, &req.token).await {
                        tracing::error!(error = %e, "reconciliation failed; the accounts stay due");
                    }
                    drop(permit);
                });
            }
        });
        Self { tx }
    }

    /// Queues a run without waiting.
    pub fn submit(&self, req: ReconcileRequest) -> Result<(), QueueFull> {
        self.tx.try_send(req).map_err(|_| QueueFull)
    }
}
