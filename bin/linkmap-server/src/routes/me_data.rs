//! `/me/data`: the caller's own data rights. `GET` exports everything held about the caller in this installation
//! (policy R1); `DELETE` erases it (R3, D3), which also stops its reporting (the reporting state cascades).

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use linkmap_core::{to_storage_precision, DataExport, PrivacyStore};
use serde_json::json;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::caller::Caller;
use crate::db::privacy_store::ExportMessage;
use crate::http::problem::ApiError;
use crate::state::AppState;

/// Every export permit is taken (answered as a 503 with `Retry-After`).
#[derive(Debug, thiserror::Error)]
#[error("too many data exports in progress")]
struct ExportsBusy;

/// The export task ended without finishing the document (it panicked or was cancelled).
#[derive(Debug, thiserror::Error)]
#[error("the data export ended before the document was complete")]
struct ExportIncomplete;

/// `GET /me/data`: one JSON document (compact), as an attachment, streamed.
///
/// Memory stays bounded whatever the user holds: the document is produced one record at a time by
/// [`PgPrivacyStore::export_stream`](crate::db::privacy_store::PgPrivacyStore::export_stream) into a channel of
/// a few chunks, which this response body drains only as fast as the socket accepts bytes; at most
/// [`MAX_CONCURRENT_EXPORTS`](crate::state::MAX_CONCURRENT_EXPORTS) exports run per process, each holding a permit
/// until its body ends (completed, failed or dropped because the client went away).
///
/// Errors before the first byte (database down, no permit) are problem+json responses; an error after it breaks
/// off the transfer (the chunked body never ends properly), so a client never takes a truncated document for whole.
pub async fn export(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let permit = state
        .exports
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Unavailable(Box::new(ExportsBusy)))?;
    let now = to_storage_precision(time::OffsetDateTime::now_utc());
    let file_name = DataExport::empty(&caller.owner, now).file_name();
    let mut rx = state.privacy.export_stream(caller.owner, now);
    let first = match rx.recv().await {
        Some(ExportMessage::Bytes(bytes)) => bytes,
        Some(ExportMessage::Failed(e)) => return Err(e.into()),
        // The task always sends something before `Done`; no message at all means it died.
        Some(ExportMessage::Done) | None => {
            return Err(ApiError::Internal(Box::new(ExportIncomplete)))
        }
    };
    let body = Body {
        first: Some(Bytes::from(first)),
        rx,
        _permit: permit,
        ended: false,
    };
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(futures_util::stream::unfold(body, Body::next)))
}

/// The streamed body's state: the chunks still to come, and the export permit, released when actix drops the
/// body (after its end, after an error, or when the client disconnects).
struct Body {
    first: Option<Bytes>,
    rx: mpsc::Receiver<ExportMessage>,
    _permit: OwnedSemaphorePermit,
    ended: bool,
}

type BoxError = Box<dyn std::error::Error>;

impl Body {
    async fn next(mut self) -> Option<(Result<Bytes, BoxError>, Self)> {
        if self.ended {
            return None;
        }
        if let Some(first) = self.first.take() {
            return Some((Ok(first), self));
        }
        let item = match self.rx.recv().await {
            Some(ExportMessage::Bytes(bytes)) => Ok(Bytes::from(bytes)),
            Some(ExportMessage::Done) => return None,
            // Logged by the export task; here it only breaks off the transfer.
            Some(ExportMessage::Failed(e)) => Err(Box::new(e) as BoxError),
            None => Err(Box::new(ExportIncomplete) as BoxError),
        };
        self.ended = item.is_err();
        Some((item, self))
    }
}

/// `DELETE /me/data`: erases the caller's data in this installation; answers what was deleted (zeros on repeat).
pub async fn erase(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let counts = state.privacy.erase_owner(&caller.owner).await?;
    tracing::info!(
        accounts = counts.accounts,
        layouts = counts.layouts,
        queries = counts.queries,
        settings = counts.settings,
        "user data erased on request"
    );
    Ok(HttpResponse::Ok().json(json!({"deleted": counts})))
}
