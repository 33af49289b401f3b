//! Request bodies: JSON only, capped, read before any parsing.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use super::problem::ApiError;

/// The largest body we accept (the 256 KiB; a 5,000-node layout fits in about 60% of it).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A raw JSON request body, at most [`MAX_BODY_BYTES`], whose `Content-Type` is JSON.
///
/// A missing `Content-Type` is accepted: the header Forge sets on `invokeRemote` calls is undocumented
/// (FORGE-CONTRACT.md §1.1), and the body is parsed strictly as JSON either way. Any other declared type is a 415.
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = match req.headers().get(header::CONTENT_TYPE) {
            None => true,
            Some(v) => v.to_str().map(is_json_media_type).unwrap_or(false),
        };
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
            let mut buf = BytesMut::with_capacity(declared_len.unwrap_or(1024).min(MAX_BODY_BYTES));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| ApiError::MalformedJson)?;
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::PayloadTooLarge);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(JsonBody(buf.freeze()))
        })
    }
}

/// `application/json`, or any `application/<x>+json`, with optional parameters (`; charset=utf-8`).
fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
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
    }
}
