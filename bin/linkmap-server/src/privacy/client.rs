//! [`ReportingClient`] over HTTPS (reqwest): `POST {PERSONAL_DATA_REPORTING_URL}` with the app system token.

use std::time::Duration;

use async_trait::async_trait;
use linkmap_core::privacy::reporting::{ReportReply, ReportingClient, TransportError};

/// Longest wait for one reporting request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest reply body read (a 200 for 90 accounts is a few KiB).
const MAX_REPLY_BYTES: usize = 256 * 1024;

/// Sends report requests to one URL.
#[derive(Debug, Clone)]
pub struct HttpReportingClient {
    http: reqwest::Client,
    url: String,
}

impl HttpReportingClient {
    /// A client for `url` (validated by the settings: https, or http on loopback).
    pub fn new(url: &str) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // Never follow a redirect with the system token (policy N2: Atlassian only).
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            url: url.to_owned(),
        })
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[async_trait]
impl ReportingClient for HttpReportingClient {
    async fn send(&self, bearer: &str, body: Vec<u8>) -> Result<ReportReply, TransportError> {
        let resp = self
            .http
            .post(&self.url)
            .bearer_auth(bearer)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            // reqwest's error may name the URL, never the token or the body.
            .map_err(|e| TransportError(Box::new(e.without_url())))?;
        let status = resp.status().as_u16();
        let retry_after = header(&resp, "retry-after");
        let cycle_period = header(&resp, "cycle-period");
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TransportError(Box::new(e.without_url())))?;
        let body = if bytes.len() > MAX_REPLY_BYTES {
            Vec::new()
        } else {
            bytes.to_vec()
        };
        Ok(ReportReply {
            status,
            retry_after,
            cycle_period,
            body,
        })
    }
}
