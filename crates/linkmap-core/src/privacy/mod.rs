//! The privacy lifecycle (policy D1–D3, R1–R4): what a user's data export holds, what an
//! erasure or purge removed, the storage port the server implements, and (in [`reporting`]) the
//! pure rules of Atlassian's Personal Data Reporting API.
//!
//! Nothing here does I/O: the server implements [`PrivacyStore`] over Postgres and
//! [`reporting::ReportingClient`] over HTTP.

pub mod reporting;

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::ids::{AccountId, InstallationId, Owner};
use crate::layout::Layout;
use crate::query::SavedQuery;
use crate::settings::DisplaySettings;

/// Everything held about one user in one installation (policy R1: access and portability).
///
/// JSON: `{"accountId":"…","installationId":"ari:…","firstStoredAt":"…"|null,"exportedAt":"…",
/// "layouts":[Layout…],"queries":[SavedQuery…],"settings":{"settings":{…},"updatedAt":"…"}|null}`.
///
/// This is the only type that serializes an [`AccountId`]: the document goes to the user it is
/// about (or, through the operator CLI, to that user by email). Never log it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataExport {
    /// The user.
    #[serde(serialize_with = "AccountId::serialize_for_export")]
    pub account_id: AccountId,
    /// The installation the data belongs to.
    #[serde(serialize_with = "serialize_installation")]
    pub installation_id: InstallationId,
    /// When we first stored the account id here (`None`: we hold nothing).
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_stored_at: Option<OffsetDateTime>,
    /// When this document was produced.
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    /// Every saved layout, in full.
    pub layouts: Vec<Layout>,
    /// Every saved JQL query.
    pub queries: Vec<SavedQuery>,
    /// The saved display settings, if ever saved.
    pub settings: Option<ExportedSettings>,
}

impl DataExport {
    /// An export holding nothing (the user has no data in this installation).
    pub fn empty(owner: &Owner, exported_at: OffsetDateTime) -> Self {
        Self {
            account_id: owner.account.clone(),
            installation_id: owner.installation.clone(),
            first_stored_at: None,
            exported_at,
            layouts: Vec::new(),
            queries: Vec::new(),
            settings: None,
        }
    }

    /// How many records the document holds (for audit records: counts only).
    pub fn counts(&self) -> DeletionCounts {
        DeletionCounts {
            installations: 0,
            accounts: u64::from(self.first_stored_at.is_some()),
            layouts: self.layouts.len() as u64,
            queries: self.queries.len() as u64,
            settings: u64::from(self.settings.is_some()),
        }
    }

    /// A file name for `Content-Disposition` that identifies nobody.
    pub fn file_name(&self) -> String {
        format!(
            "linkmap-data-{}.json",
            self.exported_at
                .format(&time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .unwrap_or_else(|_| "export".to_owned())
        )
    }
}

fn serialize_installation<S: serde::Serializer>(
    id: &InstallationId,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.as_str())
}

/// Saved display settings with the time they were saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedSettings {
    /// The settings.
    pub settings: DisplaySettings,
    /// When they were last saved.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// How many rows of each kind an erasure or purge removed (or an export holds). Counts only:
/// safe to log, answer and audit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionCounts {
    /// Installation rows.
    pub installations: u64,
    /// Account-id rows (one per user per installation).
    pub accounts: u64,
    /// Layouts.
    pub layouts: u64,
    /// Saved queries.
    pub queries: u64,
    /// Display-settings documents.
    pub settings: u64,
}

impl DeletionCounts {
    /// True when nothing was removed.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

impl std::ops::Add for DeletionCounts {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            installations: self.installations + o.installations,
            accounts: self.accounts + o.accounts,
            layouts: self.layouts + o.layouts,
            queries: self.queries + o.queries,
            settings: self.settings + o.settings,
        }
    }
}

/// Storage operations of the privacy lifecycle, implemented by the server over Postgres.
///
/// # Contract
/// - Each erasure or purge is **one transaction**: either everything listed goes, or nothing.
/// - Repeating an erasure or purge is a no-op that answers zero counts.
/// - [`PrivacyStore::erase_closed_account`] also leaves a tombstone that holds no raw account
///   id, so the account is never reported again.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Everything held about `owner` (policy R1).
    async fn export(&self, owner: &Owner, now: OffsetDateTime) -> Result<DataExport, StoreError>;

    /// Erases `owner`'s data in that installation only (policy R3 self-service).
    async fn erase_owner(&self, owner: &Owner) -> Result<DeletionCounts, StoreError>;

    /// Erases the account's data in every installation (operator erasure on request).
    async fn erase_account(&self, account: &AccountId) -> Result<DeletionCounts, StoreError>;

    /// Erases a closed account everywhere and tombstones it (policy D2).
    async fn erase_closed_account(&self, account: &AccountId)
        -> Result<DeletionCounts, StoreError>;

    /// Deletes everything of an installation, its row included (policy D1).
    async fn purge_installation(
        &self,
        installation: &InstallationId,
    ) -> Result<DeletionCounts, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARI: &str = "ari:cloud:ecosystem::installation/5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b";

    #[test]
    fn export_document_carries_the_account_id_and_camel_case_fields() {
        let owner = Owner::new(
            InstallationId::parse(ARI).unwrap(),
            AccountId::parse("557058:abc").unwrap(),
        );
        let doc = DataExport::empty(&owner, OffsetDateTime::UNIX_EPOCH);
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["accountId"], "557058:abc");
        assert_eq!(json["installationId"], ARI);
        assert_eq!(json["exportedAt"], "1970-01-01T00:00:00Z");
        assert!(json["firstStoredAt"].is_null());
        assert_eq!(json["layouts"], serde_json::json!([]));
        // Debug stays redacted even on the export type.
        assert!(!format!("{doc:?}").contains("abc"));
        assert!(!doc.file_name().contains("557058"));
        assert!(doc.counts().is_zero());
    }

    #[test]
    fn counts_add_up() {
        let a = DeletionCounts {
            layouts: 2,
            accounts: 1,
            ..Default::default()
        };
        let b = DeletionCounts {
            queries: 3,
            accounts: 1,
            ..Default::default()
        };
        let sum = a + b;
        assert_eq!((sum.accounts, sum.layouts, sum.queries), (2, 2, 3));
        assert!(!sum.is_zero());
    }
}
