//! The service over the in-memory store: the contract the Postgres store must also meet.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use time::macros::datetime;
use time::Duration;

use super::ConfigService;
use crate::clock::ManualClock;
use crate::error::{ServiceError, StoreError};
use crate::ids::{AccountId, InstallationId, LayoutId, Owner, QueryId};
use crate::layout::{LayoutDraft, LayoutUpdate};
use crate::limits::{MAX_LAYOUTS_PER_USER, MAX_QUERIES_PER_USER};
use crate::page::PageRequest;
use crate::query::QueryDraft;
use crate::settings::{DisplaySettings, Theme};
use crate::store::memory::InMemoryStore;

type Service = ConfigService<InMemoryStore, Arc<ManualClock>>;

const INSTALL_X: &str = "ari:cloud:ecosystem::installation/11111111-1111-4111-8111-111111111111";
const INSTALL_Y: &str = "ari:cloud:ecosystem::installation/22222222-2222-4222-8222-222222222222";

fn owner(installation: &str, account: &str) -> Owner {
    Owner::new(
        InstallationId::parse(installation).unwrap(),
        AccountId::parse(account).unwrap(),
    )
}

fn alice() -> Owner {
    owner(INSTALL_X, "557058:alice")
}

fn bob() -> Owner {
    owner(INSTALL_X, "557058:bob")
}

fn setup() -> (Service, Arc<InMemoryStore>, Arc<ManualClock>) {
    let store = Arc::new(InMemoryStore::new());
    // Sub-microsecond part: the service must drop it (Postgres keeps microseconds).
    let clock = Arc::new(ManualClock::new(
        datetime!(2026-03-01 10:00:00.123456789 UTC),
    ));
    (
        ConfigService::with_clock(Arc::clone(&store), Arc::clone(&clock)),
        store,
        clock,
    )
}

fn draft(name: &str) -> LayoutDraft {
    LayoutDraft::from_json(
        json!({
            "name": name,
            "source": {"type": "sprint", "sprintId": 7},
            "nodes": [{"issueId": "1", "x": 1, "y": 2}],
            "viewport": {"x": 0, "y": 0, "zoom": 1}
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

fn query(name: &str) -> QueryDraft {
    QueryDraft::from_json(
        json!({"name": name, "jql": "project = PRJ"})
            .to_string()
            .as_bytes(),
    )
    .unwrap()
}

#[tokio::test]
async fn create_gives_a_new_id_version_1_and_the_clock_time_at_storage_precision() {
    let (svc, _, _) = setup();
    let a = svc.create_layout(&alice(), draft("a")).await.unwrap();
    let b = svc.create_layout(&alice(), draft("b")).await.unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.version, 1);
    assert_eq!(a.created_at, datetime!(2026-03-01 10:00:00.123456 UTC));
    assert_eq!(a.updated_at, a.created_at);
    assert_eq!(svc.get_layout(&alice(), a.id).await.unwrap(), a);
}

#[tokio::test]
async fn update_bumps_the_version_and_updated_at_and_keeps_created_at() {
    let (svc, _, clock) = setup();
    let a = svc.create_layout(&alice(), draft("a")).await.unwrap();
    clock.advance(Duration::minutes(3));
    let u = svc
        .update_layout(&alice(), a.id, draft("renamed"), 1)
        .await
        .unwrap();
    assert_eq!(u.version, 2);
    assert_eq!(u.created_at, a.created_at);
    assert_eq!(u.updated_at, a.updated_at + Duration::minutes(3));
    assert_eq!(u.draft.name.as_str(), "renamed");
    assert_eq!(svc.get_layout(&alice(), a.id).await.unwrap(), u);
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let (svc, _, _) = setup();
    let a = svc.create_layout(&alice(), draft("a")).await.unwrap();
    svc.update_layout(&alice(), a.id, draft("first"), 1)
        .await
        .unwrap();
    let err = svc
        .update_layout(&alice(), a.id, draft("second"), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::VersionConflict { current: 2 }),
        "{err:?}"
    );
    let stored = svc.get_layout(&alice(), a.id).await.unwrap();
    assert_eq!((stored.draft.name.as_str(), stored.version), ("first", 2));
}

#[tokio::test]
async fn two_writers_with_the_same_version_one_wins() {
    let (svc, _, _) = setup();
    let a = svc.create_layout(&alice(), draft("a")).await.unwrap();
    let owner = alice();
    let (r1, r2) = tokio::join!(
        svc.update_layout(&owner, a.id, draft("one"), 1),
        svc.update_layout(&owner, a.id, draft("two"), 1),
    );
    assert_eq!(
        [r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "exactly one writer must win"
    );
}

#[tokio::test]
async fn updating_or_deleting_a_missing_layout_is_not_found() {
    let (svc, _, _) = setup();
    let id = LayoutId::new_random();
    assert!(matches!(
        svc.update_layout(&alice(), id, draft("x"), 1).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        svc.delete_layout(&alice(), id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        svc.get_layout(&alice(), id).await,
        Err(ServiceError::NotFound)
    ));
}

#[tokio::test]
async fn delete_removes_the_layout() {
    let (svc, store, _) = setup();
    let a = svc.create_layout(&alice(), draft("a")).await.unwrap();
    svc.delete_layout(&alice(), a.id).await.unwrap();
    assert!(matches!(
        svc.get_layout(&alice(), a.id).await,
        Err(ServiceError::NotFound)
    ));
    assert_eq!(store.layout_count(&alice()), 0);
    assert!(matches!(
        svc.delete_layout(&alice(), a.id).await,
        Err(ServiceError::NotFound)
    ));
}

#[tokio::test]
async fn another_users_layout_is_not_found_and_stays_untouched() {
    let (svc, _, _) = setup();
    let a = svc.create_layout(&alice(), draft("alice's")).await.unwrap();
    // Same account id in another installation is another owner too.
    let alice_elsewhere = owner(INSTALL_Y, "557058:alice");
    for intruder in [bob(), alice_elsewhere] {
        assert!(matches!(
            svc.get_layout(&intruder, a.id).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            svc.update_layout(&intruder, a.id, draft("mine now"), 1)
                .await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            svc.delete_layout(&intruder, a.id).await,
            Err(ServiceError::NotFound)
        ));
        let page = svc
            .list_layouts(&intruder, PageRequest::default())
            .await
            .unwrap();
        assert!(page.items.is_empty());
    }
    assert_eq!(svc.get_layout(&alice(), a.id).await.unwrap(), a);
}

#[tokio::test]
async fn the_501st_layout_is_refused_and_deleting_one_makes_room() {
    let (svc, store, _) = setup();
    let mut last = None;
    for i in 0..MAX_LAYOUTS_PER_USER {
        last = Some(
            svc.create_layout(&alice(), draft(&format!("l{i}")))
                .await
                .unwrap(),
        );
    }
    let err = svc
        .create_layout(&alice(), draft("one too many"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::QuotaExceeded { limit: 500 }),
        "{err:?}"
    );
    assert_eq!(store.layout_count(&alice()), MAX_LAYOUTS_PER_USER as usize);
    // The quota is per user: Bob is unaffected.
    svc.create_layout(&bob(), draft("bob's")).await.unwrap();
    svc.delete_layout(&alice(), last.unwrap().id).await.unwrap();
    svc.create_layout(&alice(), draft("fits again"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_501st_query_is_refused() {
    let (svc, store, _) = setup();
    for i in 0..MAX_QUERIES_PER_USER {
        svc.create_query(&alice(), query(&format!("q{i}")))
            .await
            .unwrap();
    }
    let err = svc
        .create_query(&alice(), query("one too many"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::QuotaExceeded { limit: 500 }),
        "{err:?}"
    );
    assert_eq!(store.query_count(&alice()), MAX_QUERIES_PER_USER as usize);
}

#[tokio::test]
async fn pages_cover_every_layout_once_newest_first() {
    let (svc, _, clock) = setup();
    let mut created = Vec::new();
    for i in 0..23 {
        // Groups of three share a timestamp, so ties are ordered by id.
        if i % 3 == 0 {
            clock.advance(Duration::seconds(1));
        }
        created.push(
            svc.create_layout(&alice(), draft(&format!("l{i}")))
                .await
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    let mut request = PageRequest::new(5, None).unwrap();
    let mut pages = 0;
    loop {
        let page = svc.list_layouts(&alice(), request).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|s| (s.updated_at, s.id)));
        match page.next_cursor {
            Some(c) => request = PageRequest::from_query(Some("5"), Some(&c)).unwrap(),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 23);
    assert_eq!(
        seen.iter().map(|(_, id)| *id).collect::<HashSet<_>>().len(),
        23,
        "no duplicates"
    );
    let mut expected: Vec<_> = created.iter().map(|l| (l.updated_at, l.id)).collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen, expected,
        "newest first, ties by id descending, no gaps"
    );
}

#[tokio::test]
async fn a_full_last_page_has_no_next_cursor() {
    let (svc, _, _) = setup();
    for i in 0..4 {
        svc.create_layout(&alice(), draft(&format!("l{i}")))
            .await
            .unwrap();
    }
    let page = svc
        .list_layouts(&alice(), PageRequest::new(4, None).unwrap())
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.next_cursor), (4, None));
}

#[tokio::test]
async fn queries_go_through_the_same_lifecycle() {
    let (svc, _, clock) = setup();
    let q = svc.create_query(&alice(), query("mine")).await.unwrap();
    assert_eq!(q.version, 1);
    clock.advance(Duration::seconds(1));
    let u = svc
        .update_query(&alice(), q.id, query("renamed"), 1)
        .await
        .unwrap();
    assert_eq!(
        (u.version, u.name.as_str(), u.created_at),
        (2, "renamed", q.created_at)
    );
    assert!(matches!(
        svc.update_query(&alice(), q.id, query("stale"), 1).await,
        Err(ServiceError::VersionConflict { current: 2 })
    ));
    assert!(matches!(
        svc.get_query(&bob(), q.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        svc.delete_query(&bob(), q.id).await,
        Err(ServiceError::NotFound)
    ));
    let page = svc
        .list_queries(&alice(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items, vec![u]);
    svc.delete_query(&alice(), q.id).await.unwrap();
    assert!(matches!(
        svc.get_query(&alice(), q.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        svc.delete_query(&alice(), QueryId::new_random()).await,
        Err(ServiceError::NotFound)
    ));
}

#[tokio::test]
async fn settings_default_until_saved_and_are_per_owner() {
    let (svc, _, _) = setup();
    assert_eq!(
        svc.get_settings(&alice()).await.unwrap(),
        DisplaySettings::default()
    );
    let dark = DisplaySettings {
        theme: Theme::Dark,
        ..DisplaySettings::default()
    };
    assert_eq!(
        svc.put_settings(&alice(), dark.clone()).await.unwrap(),
        dark
    );
    assert_eq!(svc.get_settings(&alice()).await.unwrap(), dark);
    assert_eq!(
        svc.get_settings(&bob()).await.unwrap(),
        DisplaySettings::default()
    );
}

#[tokio::test]
async fn an_unavailable_store_surfaces_as_a_store_error() {
    let (svc, store, _) = setup();
    store.set_unavailable(true);
    assert!(matches!(
        svc.list_layouts(&alice(), PageRequest::default()).await,
        Err(ServiceError::Store(StoreError::Unavailable(_)))
    ));
    assert!(matches!(
        svc.create_layout(&alice(), draft("x")).await,
        Err(ServiceError::Store(StoreError::Unavailable(_)))
    ));
    store.set_unavailable(false);
    assert_eq!(store.layout_count(&alice()), 0);
}

#[tokio::test]
async fn a_put_body_round_trips_through_the_service() {
    let (svc, _, _) = setup();
    let a = svc.create_layout(&alice(), draft("a")).await.unwrap();
    let body = json!({
        "name": "b",
        "source": {"type": "issue", "issueKey": "PRJ-42"},
        "nodes": [],
        "viewport": {"x": 10, "y": 10, "zoom": 2},
        "version": a.version
    });
    let LayoutUpdate { draft, version } =
        LayoutUpdate::from_json(body.to_string().as_bytes()).unwrap();
    let u = svc
        .update_layout(&alice(), a.id, draft, version)
        .await
        .unwrap();
    assert_eq!(u.draft.nodes.len(), 0);
    assert_eq!(
        svc.list_layouts(&alice(), PageRequest::default())
            .await
            .unwrap()
            .items[0]
            .node_count,
        0
    );
}

#[test]
fn the_service_works_behind_a_trait_object() {
    let store: Arc<dyn crate::store::ConfigStore> = Arc::new(InMemoryStore::new());
    let svc: ConfigService<dyn crate::store::ConfigStore> = ConfigService::new(store);
    let _cheap_clone = svc.clone();
}

/// A log sink for the test below.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_carry_record_ids_but_never_account_ids_names_or_jql() {
    let sink = Captured::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (svc, _, _) = setup();
    let me = owner(INSTALL_X, "557058:PersonalAccountId");
    let body = json!({
        "name": "PersonalLayoutName",
        "source": {"type": "jql", "jql": "assignee = PersonalJqlText"},
        "nodes": [],
        "viewport": {"x": 0, "y": 0, "zoom": 1}
    });
    let d = LayoutDraft::from_json(body.to_string().as_bytes()).unwrap();
    let l = svc.create_layout(&me, d.clone()).await.unwrap();
    svc.update_layout(&me, l.id, d, 1).await.unwrap();
    svc.list_layouts(&me, PageRequest::default()).await.unwrap();
    let q = QueryDraft::from_json(
        json!({"name": "PersonalQueryName", "jql": "PersonalJqlText"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    svc.create_query(&me, q).await.unwrap();
    svc.put_settings(&me, DisplaySettings::default())
        .await
        .unwrap();

    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(&l.id.to_string()),
        "record ids are logged: {logs}"
    );
    for personal in [
        "PersonalAccountId",
        "557058",
        "PersonalLayoutName",
        "PersonalQueryName",
        "PersonalJqlText",
    ] {
        assert!(!logs.contains(personal), "{personal} leaked into: {logs}");
    }
}
