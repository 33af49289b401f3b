//! Operator commands (`linkmap-server admin …`) for requests that arrive by email (policy D3, U4).
//!
//! Every command writes exactly one record to the append-only `audit_log`: who (`--operator`, else the OS user),
//! when, what, a keyed hash (HMAC-SHA256 with `AUDIT_HASH_KEY`) of the account or installation concerned — never
//! the raw id — and the counts affected. Destructive commands write the record in the same transaction as the
//! deletion, so there is no erasure without its record; reads write it before printing anything.

use std::io::Write;

use hmac::{Hmac, Mac};
use linkmap_core::{AccountId, DeletionCounts, InstallationId, Owner, PrivacyStore, StoreError};
use serde_json::{json, Value};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::configuration::{AdminSettings, Secret};
use crate::db::config_store::store_error;
use crate::db::privacy_store::{erase_account_in, purge_installation_in, PgPrivacyStore};
use crate::db::{self, DbSetupError};

/// Longest operator name or reason stored.
const MAX_OPERATOR_CHARS: usize = 100;
const MAX_REASON_CHARS: usize = 500;
/// Rows `admin jobs` prints.
const JOBS_SHOWN: i64 = 100;

/// An operator command, parsed and validated.
#[derive(Debug, Clone)]
pub enum AdminCommand {
    /// Print everything held about an account (in one installation, or all).
    Export {
        /// The account.
        account: AccountId,
        /// Only this installation.
        installation: Option<InstallationId>,
    },
    /// Erase an account in every installation.
    Erase {
        /// The account.
        account: AccountId,
        /// Why (e.g. the ticket of the emailed request).
        reason: String,
    },
    /// Delete everything of an installation.
    PurgeInstallation {
        /// The installation.
        installation: InstallationId,
        /// Why.
        reason: String,
    },
    /// Print audit records, oldest first.
    Audit {
        /// Only records at or after this time.
        since: Option<OffsetDateTime>,
    },
    /// Print the latest reconciliation runs (counts only).
    Jobs,
}

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A command-line value is unusable (exit code 2).
    #[error("invalid {0}")]
    Usage(&'static str),
    /// The database could not be set up.
    #[error(transparent)]
    Setup(#[from] DbSetupError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output could not be written.
    #[error("could not write the output")]
    Output(#[from] std::io::Error),
}

impl AdminError {
    /// True for errors the operator caused (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Usage(_))
    }
}

/// Parses `--account` (never echoed back in errors).
pub fn parse_account(raw: &str) -> Result<AccountId, AdminError> {
    AccountId::parse(raw.trim())
        .map_err(|_| AdminError::Usage("--account (not an Atlassian account id)"))
}

/// Parses `--installation` (an installation ARI, or its bare UUID).
pub fn parse_installation(raw: &str) -> Result<InstallationId, AdminError> {
    let raw = raw.trim();
    InstallationId::parse(raw)
        .or_else(|_| InstallationId::parse(&format!("ari:cloud:ecosystem::installation/{raw}")))
        .map_err(|_| AdminError::Usage("--installation (not an installation ARI or UUID)"))
}

/// Checks `--reason`.
pub fn parse_reason(raw: &str) -> Result<String, AdminError> {
    let r = raw.trim();
    if r.is_empty() || r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control) {
        return Err(AdminError::Usage(
            "--reason (1 to 500 printable characters)",
        ));
    }
    Ok(r.to_owned())
}

/// Parses `--since`: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp.
pub fn parse_since(raw: &str) -> Result<OffsetDateTime, AdminError> {
    let raw = raw.trim();
    let bad = AdminError::Usage("--since (YYYY-MM-DD or RFC 3339)");
    if let Ok(t) = OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let date = time::Date::parse(
        raw,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| bad)?;
    Ok(date.midnight().assume_utc())
}

/// The operator: `--operator`, else `$USER`, else `$LOGNAME`.
pub fn resolve_operator(
    flag: Option<&str>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, AdminError> {
    let name = flag
        .map(str::to_owned)
        .or_else(|| lookup("USER"))
        .or_else(|| lookup("LOGNAME"))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or(AdminError::Usage(
            "operator: pass --operator NAME (no $USER or $LOGNAME is set)",
        ))?;
    if name.chars().count() > MAX_OPERATOR_CHARS || name.chars().any(char::is_control) {
        return Err(AdminError::Usage(
            "--operator (1 to 100 printable characters)",
        ));
    }
    Ok(name)
}

/// Keyed hash (hex HMAC-SHA256) of an id, with a domain label so account and installation hashes never collide.
pub fn keyed_hash(key: &Secret, domain: &str, id: &str) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) else {
        return String::new();
    };
    mac.update(domain.as_bytes());
    mac.update(b":");
    mac.update(id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One audit record to write.
struct Record<'a> {
    action: &'static str,
    account_hash: Option<String>,
    installation_hash: Option<String>,
    reason: Option<&'a str>,
    counts: Value,
}

async fn write_record(
    client: &impl deadpool_postgres::GenericClient,
    operator: &str,
    r: Record<'_>,
) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO audit_log (operator, action, account_hash, installation_hash, reason, counts) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &operator,
                &r.action,
                &r.account_hash,
                &r.installation_hash,
                &r.reason,
                &r.counts,
            ],
        )
        .await
        .map_err(store_error)?;
    Ok(())
}

fn counts_json(c: &DeletionCounts) -> Value {
    serde_json::to_value(c).unwrap_or_else(|_| json!({}))
}

/// Runs one command against the database of `settings`, writing its output to `out`.
pub async fn run(
    settings: &AdminSettings,
    operator: &str,
    command: AdminCommand,
    out: &mut (impl Write + Send),
) -> Result<(), AdminError> {
    let pool = db::build_pool(settings.database_url.expose(), 2)?;
    db::migrate(&pool).await?;
    let key = &settings.audit_hash_key;
    let account_hash = |a: &AccountId| Some(keyed_hash(key, "account", a.as_str()));
    let installation_hash = |i: &InstallationId| Some(keyed_hash(key, "installation", i.as_str()));
    let mut client = pool.get().await.map_err(store_error)?;
    match command {
        AdminCommand::Export {
            account,
            installation,
        } => {
            let store = PgPrivacyStore::new(pool.clone());
            let installations = match &installation {
                Some(i) => vec![i.clone()],
                None => store.installations_of(&account).await?,
            };
            let now = linkmap_core::to_storage_precision(OffsetDateTime::now_utc());
            let mut docs = Vec::new();
            let mut total = DeletionCounts::default();
            for i in installations {
                let doc = store.export(&Owner::new(i, account.clone()), now).await?;
                total = total + doc.counts();
                docs.push(doc);
            }
            write_record(
                &client,
                operator,
                Record {
                    action: "export",
                    account_hash: account_hash(&account),
                    installation_hash: installation.as_ref().and_then(installation_hash),
                    reason: None,
                    counts: counts_json(&total),
                },
            )
            .await?;
            let body = serde_json::to_vec_pretty(&json!({ "exports": docs }))
                .map_err(|e| AdminError::Store(StoreError::other(e)))?;
            out.write_all(&body)?;
            out.write_all(b"\n")?;
        }
        AdminCommand::Erase { account, reason } => {
            let tx = client.transaction().await.map_err(store_error)?;
            let counts = erase_account_in(&tx, &account).await?;
            write_record(
                &tx,
                operator,
                Record {
                    action: "erase",
                    account_hash: account_hash(&account),
                    installation_hash: None,
                    reason: Some(&reason),
                    counts: counts_json(&counts),
                },
            )
            .await?;
            tx.commit().await.map_err(store_error)?;
            writeln!(out, "{}", json!({ "deleted": counts }))?;
        }
        AdminCommand::PurgeInstallation {
            installation,
            reason,
        } => {
            let tx = client.transaction().await.map_err(store_error)?;
            let counts = purge_installation_in(&tx, &installation).await?;
            write_record(
                &tx,
                operator,
                Record {
                    action: "purge-installation",
                    account_hash: None,
                    installation_hash: installation_hash(&installation),
                    reason: Some(&reason),
                    counts: counts_json(&counts),
                },
            )
            .await?;
            tx.commit().await.map_err(store_error)?;
            writeln!(out, "{}", json!({ "deleted": counts }))?;
        }
        AdminCommand::Audit { since } => {
            let tx = client.transaction().await.map_err(store_error)?;
            // Reading the audit is an operator action too: its own record comes first, and is printed.
            let shown: i64 = tx
                .query_one(
                    "SELECT count(*) + 1 FROM audit_log WHERE $1::timestamptz IS NULL OR at >= $1",
                    &[&since],
                )
                .await
                .map_err(store_error)?
                .try_get(0)
                .map_err(store_error)?;
            write_record(
                &tx,
                operator,
                Record {
                    action: "audit",
                    account_hash: None,
                    installation_hash: None,
                    reason: None,
                    counts: json!({ "records": shown }),
                },
            )
            .await?;
            let rows = tx
                .query(
                    "SELECT id, at, operator, action, account_hash, installation_hash, reason, counts \
                     FROM audit_log WHERE $1::timestamptz IS NULL OR at >= $1 ORDER BY id",
                    &[&since],
                )
                .await
                .map_err(store_error)?;
            tx.commit().await.map_err(store_error)?;
            for r in rows {
                let at: OffsetDateTime = r.try_get(1).map_err(store_error)?;
                let line = json!({
                    "id": r.try_get::<_, i64>(0).map_err(store_error)?,
                    "at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "operator": r.try_get::<_, String>(2).map_err(store_error)?,
                    "action": r.try_get::<_, String>(3).map_err(store_error)?,
                    "accountHash": r.try_get::<_, Option<String>>(4).map_err(store_error)?,
                    "installationHash": r.try_get::<_, Option<String>>(5).map_err(store_error)?,
                    "reason": r.try_get::<_, Option<String>>(6).map_err(store_error)?,
                    "counts": r.try_get::<_, Value>(7).map_err(store_error)?,
                });
                writeln!(out, "{line}")?;
            }
        }
        AdminCommand::Jobs => {
            let tx = client.transaction().await.map_err(store_error)?;
            let rows = tx
                .query(
                    "SELECT id, installation_id, started_at, finished_at, state, stop_reason, requests, reported, \
                     closed, updated FROM reconciliation_runs ORDER BY id DESC LIMIT $1",
                    &[&JOBS_SHOWN],
                )
                .await
                .map_err(store_error)?;
            write_record(
                &tx,
                operator,
                Record {
                    action: "jobs",
                    account_hash: None,
                    installation_hash: None,
                    reason: None,
                    counts: json!({ "runs": rows.len() }),
                },
            )
            .await?;
            tx.commit().await.map_err(store_error)?;
            let fmt = |t: Option<OffsetDateTime>| {
                t.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
            };
            for r in rows {
                let line = json!({
                    "id": r.try_get::<_, i64>(0).map_err(store_error)?,
                    "installationId": r.try_get::<_, String>(1).map_err(store_error)?,
                    "startedAt": fmt(r.try_get(2).map_err(store_error)?),
                    "finishedAt": fmt(r.try_get(3).map_err(store_error)?),
                    "state": r.try_get::<_, String>(4).map_err(store_error)?,
                    "stopReason": r.try_get::<_, Option<String>>(5).map_err(store_error)?,
                    "requests": r.try_get::<_, i32>(6).map_err(store_error)?,
                    "reported": r.try_get::<_, i32>(7).map_err(store_error)?,
                    "closed": r.try_get::<_, i32>(8).map_err(store_error)?,
                    "updated": r.try_get::<_, i32>(9).map_err(store_error)?,
                });
                writeln!(out, "{line}")?;
            }
        }
    }
    pool.close();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_are_hex_keyed_and_domain_separated() {
        let k1 = Secret::new("k".repeat(32));
        let k2 = Secret::new("j".repeat(32));
        let h = keyed_hash(&k1, "account", "557058:abc");
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!h.contains("557058"));
        assert_eq!(h, keyed_hash(&k1, "account", "557058:abc"));
        assert_ne!(h, keyed_hash(&k2, "account", "557058:abc"));
        assert_ne!(h, keyed_hash(&k1, "installation", "557058:abc"));
    }

    #[test]
    fn operator_comes_from_the_flag_then_user_then_logname() {
        let env = |k: &str| match k {
            "USER" => Some("alice".to_owned()),
            "LOGNAME" => Some("alice2".to_owned()),
            _ => None,
        };
        assert_eq!(resolve_operator(Some("bob"), env).unwrap(), "bob");
        assert_eq!(resolve_operator(None, env).unwrap(), "alice");
        assert_eq!(
            resolve_operator(None, |k| (k == "LOGNAME").then(|| "carol".to_owned())).unwrap(),
            "carol"
        );
        assert!(resolve_operator(None, |_| None).unwrap_err().is_usage());
        assert!(resolve_operator(Some("a\nb"), env).is_err());
    }

    #[test]
    fn inputs_are_checked() {
        assert!(parse_account("unknown").is_err());
        assert!(parse_account("557058:abc").is_ok());
        let ari = "ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5";
        assert_eq!(parse_installation(ari).unwrap().as_str(), ari);
        assert_eq!(
            parse_installation("0a3a7799-53ae-4a5b-9e7e-03338980abb5")
                .unwrap()
                .as_str(),
            ari
        );
        assert!(parse_installation("nope").is_err());
        assert!(parse_reason("  ").is_err());
        assert!(parse_reason(&"x".repeat(501)).is_err());
        assert_eq!(parse_reason(" ticket 42 ").unwrap(), "ticket 42");
        assert_eq!(
            parse_since("2026-03-01").unwrap(),
            time::macros::datetime!(2026-03-01 0:00 UTC)
        );
        assert!(parse_since("2026-03-01T10:00:00Z").is_ok());
        assert!(parse_since("yesterday").is_err());
    }
}
