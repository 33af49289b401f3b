//! A local fake of Atlassian's Personal Data Reporting API, written from FORGE-CONTRACT §5: it records what it
//! receives and answers 200 (closed/updated), 204, 429/503 with `Retry-After`, 400, or hangs, with an optional
//! `Cycle-Period` header.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 naming the batch's closed accounts (204 when none is closed): the realistic default.
    Auto,
    /// This status, with an optional `Retry-After` and an error body.
    Status(u16, Option<&'static str>),
    /// Never answer (the caller times out or is killed).
    Hang,
    /// 200 with this raw body.
    Raw(&'static str),
}

/// A request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub authorization: String,
    pub accounts: Vec<(String, String)>,
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    closed: HashSet<String>,
    cycle_period: Option<String>,
    delay: Duration,
    received: Vec<Received>,
}

pub struct FakeReporting {
    pub url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for FakeReporting {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn report(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let accounts: Vec<(String, String)> = parsed["accounts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["accountId"].as_str().unwrap_or("").to_owned(),
                        e["updatedAt"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (answer, closed, cycle, delay) = {
        let mut s = state.lock().unwrap();
        s.received.push(Received {
            authorization: req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            accounts: accounts.clone(),
        });
        let answer = s.script.pop_front().unwrap_or(Answer::Auto);
        (answer, s.closed.clone(), s.cycle_period.clone(), s.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut resp = match answer {
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::NoContent()
        }
        Answer::Status(code, retry_after) => {
            let mut r = HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap());
            if let Some(ra) = retry_after {
                r.insert_header(("Retry-After", ra));
            }
            return r.json(json!({"errorType": "fake", "errorMessage": "scripted"}));
        }
        Answer::Raw(body) => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(body);
        }
        Answer::Auto => {
            let closed: Vec<Value> = accounts
                .iter()
                .filter(|(id, _)| closed.contains(id))
                .map(|(id, _)| json!({"accountId": id, "status": "closed"}))
                .collect();
            if closed.is_empty() {
                HttpResponse::NoContent()
            } else {
                let mut r = HttpResponse::Ok();
                if let Some(c) = &cycle {
                    r.insert_header(("Cycle-Period", c.as_str()));
                }
                return r.json(json!({ "accounts": closed }));
            }
        }
    };
    if let Some(c) = cycle {
        resp.insert_header(("Cycle-Period", c));
    }
    resp.finish()
}

impl FakeReporting {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let data = web::Data::new(Arc::clone(&state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/app/report-accounts/", web::post().to(report))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/app/report-accounts/"),
            state,
            handle,
        }
    }

    pub fn script(&self, answers: &[Answer]) {
        self.state
            .lock()
            .unwrap()
            .script
            .extend(answers.iter().cloned());
    }
    pub fn close(&self, account: &str) {
        self.state.lock().unwrap().closed.insert(account.to_owned());
    }
    pub fn cycle_period(&self, value: &str) {
        self.state.lock().unwrap().cycle_period = Some(value.to_owned());
    }
    pub fn delay(&self, d: Duration) {
        self.state.lock().unwrap().delay = d;
    }
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
    pub fn batch_sizes(&self) -> Vec<usize> {
        self.received().iter().map(|r| r.accounts.len()).collect()
    }
    pub fn reported_ids(&self) -> Vec<String> {
        self.received()
            .iter()
            .flat_map(|r| r.accounts.iter().map(|(id, _)| id.clone()))
            .collect()
    }
}
