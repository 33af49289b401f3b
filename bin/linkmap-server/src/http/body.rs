//! Request bodies: JSON only, capped, read before any parsing.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use super::problem::ApiError;

/// The largest body we accept (256 KiB). Forge's own request limit is 500 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How long a client may take to send its body once the headers are in. actix-web times out slow *headers*
/// only; without this, an authenticated client could hold connections open by trickling a body.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// A raw JSON request body, at most [`MAX_BODY_BYTES`], whose `Content-Type` is JSON.
///
/// A missing `Content-Type` is accepted: the header Forge sets on `invokeRemote` calls is undocumented
/// (FORGE-CONTRACT.md §1.1), and the body is parsed strictly as JSON either way. Any other declared type, a
/// charset other than UTF-8, or a `Content-Encoding` other than `identity` is a 415: the body would not be what
/// the client says it is.
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = match req.headers().get(header::CONTENT_TYPE) {
            None => true,
            Some(v) => v.to_str().map(is_json_media_type).unwrap_or(false),
        } && req.headers().get_all(header::CONTENT_ENCODING).all(|v| {
            v.to_str()
                .is_ok_and(|e| e.trim().eq_ignore_ascii_case("identity"))
        });
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared_len.is_some_and(|n| n > MAX_BODY_BYTES) {
                return Err(ApiError::PayloadTooLarge);
            }
            let read = async {
                let mut buf =
                    BytesMut::with_capacity(declared_len.unwrap_or(1024).min(MAX_BODY_BYTES));
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|_| ApiError::MalformedJson)?;
                    if buf.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(ApiError::PayloadTooLarge);
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(JsonBody(buf.freeze()))
            };
            tokio::time::timeout(BODY_READ_TIMEOUT, read)
                .await
                .unwrap_or(Err(ApiError::BodyTimeout))
        })
    }
}

/// `application/json`, or any `application/<x>+json`, with optional parameters (`; charset=utf-8`).
fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    // JSON is UTF-8 (RFC 8259 §8.1): a body declared in another charset is not what we would parse.
    let utf8 = parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            let v = v.trim().trim_matches('"');
            v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    });
    json && utf8
}

#[cfg(test)]
mod tests {
    use super::is_json_media_type;

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
        assert!(!is_json_media_type("multipart/form-data; boundary=x"));
        assert!(!is_json_media_type("application/jsonp"));
        assert!(is_json_media_type("application/json; charset=\"UTF-8\""));
        assert!(!is_json_media_type("application/json; charset=latin1"));
        assert!(!is_json_media_type("application/json;charset=UTF-16"));
    }
}
