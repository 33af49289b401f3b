//! Atlassian's Personal Data Reporting API (policy D2, R4; FORGE-CONTRACT §5), as pure rules:
//! batching ([`report_batches`], at most [`MAX_ACCOUNTS_PER_REPORT`] per request), the request
//! body ([`ReportBatch::to_body`]), how to read a reply ([`interpret`]) and the `Cycle-Period`
//! header ([`parse_cycle_period`]). The server sends the requests through a [`ReportingClient`].

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ids::AccountId;

/// The API takes at most 90 accounts per request.
pub const MAX_ACCOUNTS_PER_REPORT: usize = 90;
/// How long an id stays "reported" when the reply names no cycle.
pub const DEFAULT_CYCLE: Duration = Duration::from_secs(7 * 24 * 3600);
/// The shortest cycle we accept from a header (a shorter one would only poll Atlassian harder).
pub const MIN_CYCLE: Duration = Duration::from_secs(3600);
/// The longest cycle we accept (beyond it closed accounts would keep their data too long).
pub const MAX_CYCLE: Duration = Duration::from_secs(30 * 24 * 3600);
/// The wait after a 429/503 that says nothing usable in `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// One account id to report, with when we first stored it (the API's `updatedAt`: the oldest
/// retrieval time of the data we hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEntry {
    /// The account.
    pub account: AccountId,
    /// When we first stored it.
    pub first_stored_at: OffsetDateTime,
}

/// A non-empty batch of at most [`MAX_ACCOUNTS_PER_REPORT`] entries: one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportBatch(Vec<ReportEntry>);

/// A batch that cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// No entries.
    #[error("a report batch must not be empty")]
    Empty,
    /// More than [`MAX_ACCOUNTS_PER_REPORT`] entries.
    #[error("a report batch holds at most 90 accounts")]
    TooLarge,
}

impl ReportBatch {
    /// Checks the size rule.
    pub fn new(entries: Vec<ReportEntry>) -> Result<Self, BatchError> {
        match entries.len() {
            0 => Err(BatchError::Empty),
            n if n > MAX_ACCOUNTS_PER_REPORT => Err(BatchError::TooLarge),
            _ => Ok(Self(entries)),
        }
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[ReportEntry] {
        &self.0
    }

    /// How many accounts the batch holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true (batches are non-empty); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The request body: `{"accounts":[{"accountId":"…","updatedAt":"<RFC 3339>"}…]}`.
    /// It holds account ids: send it to Atlassian only, never log it.
    pub fn to_body(&self) -> Vec<u8> {
        let accounts: Vec<serde_json::Value> = self
            .0
            .iter()
            .map(|e| {
                serde_json::json!({
                    "accountId": e.account.as_str(),
                    "updatedAt": rfc3339(e.first_stored_at),
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({ "accounts": accounts })).unwrap_or_default()
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        // Only years outside 0..=9999 fail; our timestamps come from the database clock.
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Splits a stream of entries into batches of at most 90, lazily: memory holds one batch,
/// whatever the stream's length, and n entries make exactly ceil(n / 90) batches.
pub fn report_batches<I>(entries: I) -> ReportBatches<I::IntoIter>
where
    I: IntoIterator<Item = ReportEntry>,
{
    ReportBatches(entries.into_iter())
}

/// The iterator of [`report_batches`].
#[derive(Debug)]
pub struct ReportBatches<I>(I);

impl<I: Iterator<Item = ReportEntry>> Iterator for ReportBatches<I> {
    type Item = ReportBatch;

    fn next(&mut self) -> Option<ReportBatch> {
        let chunk: Vec<ReportEntry> = self.0.by_ref().take(MAX_ACCOUNTS_PER_REPORT).collect();
        ReportBatch::new(chunk).ok()
    }
}

/// Parses a `Cycle-Period` value. Its format is UNCONFIRMED (FORGE-CONTRACT §5), so both
/// plausible forms are accepted: an ISO-8601 duration (`P7D`, `PT24H`, `P1DT12H`, `P2W`,
/// `PT90M`, `PT3600S`; no years or months, which have no fixed length) or a whole number of
/// seconds. The result is clamped to [`MIN_CYCLE`]..=[`MAX_CYCLE`].
pub fn parse_cycle_period(value: &str) -> Option<Duration> {
    let v = value.trim();
    let secs = if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
        v.parse::<u64>().ok()?
    } else {
        iso8601_seconds(v)?
    };
    Some(Duration::from_secs(secs).clamp(MIN_CYCLE, MAX_CYCLE))
}

/// The cycle a reply asks for: its `Cycle-Period` when readable, else [`DEFAULT_CYCLE`].
pub fn cycle_or_default(header: Option<&str>) -> Duration {
    header.and_then(parse_cycle_period).unwrap_or(DEFAULT_CYCLE)
}

fn iso8601_seconds(v: &str) -> Option<u64> {
    let rest = v.strip_prefix(['P', 'p'])?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.find(['T', 't']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut total: u64 = 0;
    let mut add = |part: &str, units: &[(char, u64)]| -> Option<()> {
        let mut number = String::new();
        let mut last_unit = None::<usize>;
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let idx = units.iter().position(|(u, _)| u.eq_ignore_ascii_case(&c))?;
            // Units in order, each at most once, each with a number.
            if last_unit.is_some_and(|l| idx <= l) || number.is_empty() {
                return None;
            }
            last_unit = Some(idx);
            let n: u64 = number.parse().ok()?;
            total = total.checked_add(n.checked_mul(units[idx].1)?)?;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    add(date, &[('W', 7 * 86_400), ('D', 86_400)])?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        add(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    Some(total)
}

/// The `Retry-After` wait of a 429/503: whole seconds (the form the API documents), else
/// [`DEFAULT_RETRY_AFTER`]; never more than `max`.
pub fn retry_after(header: Option<&str>, max: Duration) -> Duration {
    header
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RETRY_AFTER)
        .min(max)
}

/// What the reporting API answered, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportReply {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The `Cycle-Period` header, if any.
    pub cycle_period: Option<String>,
    /// The body (may hold account ids: never log it).
    pub body: Vec<u8>,
}

/// Why a run stops. Holds no account id: safe to log and store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StopReason {
    /// An error status (400, 401, 403, 500, or one the contract does not list).
    #[error("reporting API answered HTTP {0}")]
    Status(u16),
    /// A 200 whose body is not `{"accounts":[{"accountId","status"}…]}`: we cannot know which
    /// accounts are closed, so nothing is recorded and the batch stays due.
    #[error("reporting API answered 200 with a malformed body")]
    MalformedBody,
}

impl StopReason {
    /// A short code for the job table (`http-400`, `malformed-body`).
    pub fn code(&self) -> String {
        match self {
            Self::Status(s) => format!("http-{s}"),
            Self::MalformedBody => "malformed-body".to_owned(),
        }
    }
}

/// What to do with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportDecision {
    /// The batch is done: erase `closed` everywhere, record the rest as reported until `cycle`
    /// has passed.
    Accepted {
        /// Accounts of the batch that are closed.
        closed: Vec<AccountId>,
        /// Accounts of the batch whose data changed (nothing to do beyond recording it).
        updated: Vec<AccountId>,
        /// When the batch's ids are due again.
        cycle: Duration,
        /// Entries of the reply that named no account of the batch, or an unknown status.
        ignored: usize,
    },
    /// Wait this long and send the same batch again (429, 503).
    Retry(Duration),
    /// Stop the run; the batch and the rest stay due.
    Stop(StopReason),
}

#[derive(Deserialize)]
struct ReplyBody {
    accounts: Vec<ReplyAccount>,
}

#[derive(Deserialize)]
struct ReplyAccount {
    #[serde(rename = "accountId")]
    account_id: String,
    status: String,
}

/// Reads a reply to `batch`. Only accounts of the batch can come out as closed or updated: an
/// id the reply names but we did not send is ignored, so a confused reply cannot erase anyone
/// else's data.
pub fn interpret(reply: &ReportReply, batch: &ReportBatch, max_wait: Duration) -> ReportDecision {
    let cycle = cycle_or_default(reply.cycle_period.as_deref());
    match reply.status {
        204 => ReportDecision::Accepted {
            closed: Vec::new(),
            updated: Vec::new(),
            cycle,
            ignored: 0,
        },
        200 => {
            let Ok(body) = serde_json::from_slice::<ReplyBody>(&reply.body) else {
                return ReportDecision::Stop(StopReason::MalformedBody);
            };
            let sent: HashSet<&str> = batch.entries().iter().map(|e| e.account.as_str()).collect();
            let mut seen = HashSet::new();
            let (mut closed, mut updated, mut ignored) = (Vec::new(), Vec::new(), 0);
            for a in body.accounts {
                let known = sent.contains(a.account_id.as_str());
                let account = AccountId::parse(&a.account_id).ok();
                match (known, account, a.status.as_str()) {
                    (true, Some(id), "closed") if seen.insert(a.account_id.clone()) => {
                        closed.push(id)
                    }
                    (true, Some(id), "updated") if seen.insert(a.account_id.clone()) => {
                        updated.push(id)
                    }
                    _ => ignored += 1,
                }
            }
            ReportDecision::Accepted {
                closed,
                updated,
                cycle,
                ignored,
            }
        }
        429 | 503 => ReportDecision::Retry(retry_after(reply.retry_after.as_deref(), max_wait)),
        other => ReportDecision::Stop(StopReason::Status(other)),
    }
}

/// The request could not be made or its reply could not be read (no status). Holds no account
/// id or token.
#[derive(Debug, thiserror::Error)]
#[error("the reporting API could not be reached")]
pub struct TransportError(#[source] pub crate::error::BoxError);

/// Sends one report request; implemented by the server over HTTPS.
#[async_trait]
pub trait ReportingClient: Send + Sync + std::fmt::Debug {
    /// POSTs `body` (JSON, from [`ReportBatch::to_body`]) with `Authorization: Bearer {bearer}`.
    async fn send(&self, bearer: &str, body: Vec<u8>) -> Result<ReportReply, TransportError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> ReportEntry {
        ReportEntry {
            account: AccountId::parse(&format!("acc-{i}")).unwrap(),
            first_stored_at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(i as i64),
        }
    }

    fn batch(n: usize) -> ReportBatch {
        ReportBatch::new((0..n).map(entry).collect()).unwrap()
    }

    fn reply(status: u16, body: &str) -> ReportReply {
        ReportReply {
            status,
            retry_after: None,
            cycle_period: None,
            body: body.as_bytes().to_vec(),
        }
    }

    const MAX: Duration = Duration::from_secs(60);

    #[test]
    fn two_hundred_ids_make_batches_of_90_90_20() {
        let sizes: Vec<usize> = report_batches((0..200).map(entry))
            .map(|b| b.len())
            .collect();
        assert_eq!(sizes, [90, 90, 20]);
        assert_eq!(report_batches((0..90).map(entry)).count(), 1);
        assert_eq!(report_batches((0..91).map(entry)).count(), 2);
        assert_eq!(report_batches(std::iter::empty()).count(), 0);
    }

    #[test]
    fn a_million_streamed_ids_make_exactly_ceil_n_over_90_requests() {
        let n = 1_000_000usize;
        // The source is lazy: no vector of a million entries ever exists.
        let (mut batches, mut total, mut largest) = (0usize, 0usize, 0usize);
        for b in report_batches((0..n).map(entry)) {
            batches += 1;
            total += b.len();
            largest = largest.max(b.len());
        }
        assert_eq!(batches, n.div_ceil(MAX_ACCOUNTS_PER_REPORT));
        assert_eq!(batches, 11_112);
        assert_eq!(total, n);
        assert_eq!(largest, 90);
    }

    #[test]
    fn batches_refuse_empty_and_oversized_input() {
        assert_eq!(ReportBatch::new(vec![]), Err(BatchError::Empty));
        assert_eq!(
            ReportBatch::new((0..91).map(entry).collect()),
            Err(BatchError::TooLarge)
        );
    }

    #[test]
    fn body_has_account_ids_and_rfc3339_first_stored_times() {
        let body: serde_json::Value = serde_json::from_slice(&batch(2).to_body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"accounts": [
                {"accountId": "acc-0", "updatedAt": "1970-01-01T00:00:00Z"},
                {"accountId": "acc-1", "updatedAt": "1970-01-01T00:00:01Z"},
            ]})
        );
    }

    #[test]
    fn cycle_period_accepts_iso_durations_and_seconds_and_clamps() {
        let d = |s| parse_cycle_period(s).map(|d| d.as_secs());
        assert_eq!(d("P7D"), Some(7 * 86_400));
        assert_eq!(d("PT24H"), Some(86_400));
        assert_eq!(d("P1DT12H"), Some(36 * 3600));
        assert_eq!(d("P2W"), Some(14 * 86_400));
        assert_eq!(d("PT90M"), Some(5400));
        assert_eq!(d("PT7200S"), Some(7200));
        assert_eq!(d(" 604800 "), Some(604_800));
        assert_eq!(d("p3d"), Some(3 * 86_400));
        // Clamped: a minute becomes an hour, a year of days becomes 30 days.
        assert_eq!(d("60"), Some(3600));
        assert_eq!(d("PT1S"), Some(3600));
        assert_eq!(d("P365D"), Some(30 * 86_400));
        assert_eq!(d("99999999999999999999"), None);
    }

    #[test]
    fn malformed_cycle_periods_fall_back_to_seven_days() {
        for bad in [
            "",
            "P",
            "PT",
            "P1Y",
            "P1M",
            "7 days",
            "P7",
            "PD",
            "P1H",
            "PT1D",
            "P1D1D",
            "PT1M1H",
            "-5",
            "1.5",
            "P99999999999999999999D",
        ] {
            assert_eq!(parse_cycle_period(bad), None, "{bad:?}");
            assert_eq!(cycle_or_default(Some(bad)), DEFAULT_CYCLE, "{bad:?}");
        }
        assert_eq!(cycle_or_default(None), DEFAULT_CYCLE);
    }

    #[test]
    fn two_hundred_four_accepts_the_batch_with_the_replied_cycle() {
        let mut r = reply(204, "");
        r.cycle_period = Some("P14D".into());
        assert_eq!(
            interpret(&r, &batch(3), MAX),
            ReportDecision::Accepted {
                closed: vec![],
                updated: vec![],
                cycle: Duration::from_secs(14 * 86_400),
                ignored: 0
            }
        );
    }

    #[test]
    fn two_hundred_reads_closed_and_updated_accounts_of_the_batch_only() {
        let r = reply(
            200,
            r#"{"accounts":[
                {"accountId":"acc-1","status":"closed"},
                {"accountId":"acc-2","status":"updated"},
                {"accountId":"acc-1","status":"closed"},
                {"accountId":"stranger","status":"closed"},
                {"accountId":"acc-0","status":"weird"},
                {"accountId":"unknown","status":"closed"}
            ],"extra":true}"#,
        );
        match interpret(&r, &batch(3), MAX) {
            ReportDecision::Accepted {
                closed,
                updated,
                cycle,
                ignored,
            } => {
                assert_eq!(closed, vec![AccountId::parse("acc-1").unwrap()]);
                assert_eq!(updated, vec![AccountId::parse("acc-2").unwrap()]);
                assert_eq!(cycle, DEFAULT_CYCLE);
                assert_eq!(ignored, 4);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_two_hundred_bodies_stop_the_run() {
        for body in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"accounts":{}}"#,
            r#"{"accounts":[{"accountId":1,"status":"closed"}]}"#,
            r#"{"accounts":[{"status":"closed"}]}"#,
            r#"{"accounts":[{"accountId":"acc-1"}]}"#,
        ] {
            assert_eq!(
                interpret(&reply(200, body), &batch(2), MAX),
                ReportDecision::Stop(StopReason::MalformedBody),
                "{body:?}"
            );
        }
    }

    #[test]
    fn rate_limits_retry_after_the_bounded_wait() {
        let mut r = reply(429, "");
        r.retry_after = Some("3".into());
        assert_eq!(
            interpret(&r, &batch(1), MAX),
            ReportDecision::Retry(Duration::from_secs(3))
        );
        r.retry_after = Some("86400".into());
        assert_eq!(interpret(&r, &batch(1), MAX), ReportDecision::Retry(MAX));
        let mut r = reply(503, "");
        r.retry_after = Some("soon".into());
        assert_eq!(
            interpret(&r, &batch(1), MAX),
            ReportDecision::Retry(DEFAULT_RETRY_AFTER)
        );
        assert_eq!(
            interpret(&r, &batch(1), Duration::ZERO),
            ReportDecision::Retry(Duration::ZERO)
        );
    }

    #[test]
    fn error_statuses_stop_the_run_with_a_code_and_no_ids() {
        for s in [400u16, 401, 403, 500, 404, 302] {
            let d = interpret(
                &reply(s, r#"{"errorType":"x","errorMessage":"acc-1"}"#),
                &batch(2),
                MAX,
            );
            assert_eq!(d, ReportDecision::Stop(StopReason::Status(s)));
        }
        assert_eq!(StopReason::Status(400).code(), "http-400");
        assert!(!StopReason::MalformedBody.to_string().contains("acc"));
    }
}
