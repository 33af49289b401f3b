//! Policy P1: `manifest.yml` requests exactly the promised scopes (plus the one addition justified in
//! docs/PERMISSIONS.md).

use std::collections::BTreeSet;

const PROMISED: &[&str] = &[
    "read:jira-work",
    "read:connect-jira",
    "read:jql:jira",
    "delete:issue-link:jira",
    "read:sprint:jira-software",
    "read:app-user-token",
    "report:personal-data",
];
/// Forge sends the app system token to the daily trigger only with this scope (docs/PERMISSIONS.md).
const JUSTIFIED_ADDITIONS: &[&str] = &["read:app-system-token"];

fn manifest() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../manifest.yml")).unwrap()
}

/// The items of the YAML block list under `permissions:` → `scopes:` (the manifest keeps it a plain list).
fn scopes(yaml: &str) -> Vec<String> {
    let mut in_permissions = false;
    let mut in_scopes = false;
    let mut out = Vec::new();
    for line in yaml.lines() {
        let trimmed = line.trim_end();
        if !trimmed.starts_with(' ') && !trimmed.is_empty() {
            in_permissions = trimmed == "permissions:";
            in_scopes = false;
            continue;
        }
        if in_permissions && trimmed.trim() == "scopes:" {
            in_scopes = true;
            continue;
        }
        if in_scopes {
            match trimmed.trim().strip_prefix("- ") {
                Some(item) => out.push(item.split('#').next().unwrap().trim().to_owned()),
                None if trimmed.trim().is_empty() || trimmed.trim().starts_with('#') => {}
                None => in_scopes = false,
            }
        }
    }
    out
}

#[test]
fn the_manifest_requests_exactly_the_promised_scopes() {
    let found = scopes(&manifest());
    let unique: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(
        unique.len(),
        found.len(),
        "a scope is listed twice: {found:?}"
    );
    let expected: BTreeSet<&str> = PROMISED
        .iter()
        .chain(JUSTIFIED_ADDITIONS)
        .copied()
        .collect();
    assert_eq!(unique, expected);
    // No scope that could create or update Jira data (policy P2).
    assert!(found.iter().all(|s| !s.starts_with("write:")), "{found:?}");
}

#[test]
fn the_scope_reader_sees_an_added_scope() {
    // Guards the parser above: a manifest with one more scope must not pass the test.
    let extra = manifest().replace(
        "    - read:jira-work\n",
        "    - read:jira-work\n    - write:jira-work\n",
    );
    assert!(scopes(&extra).contains(&"write:jira-work".to_owned()));
}
