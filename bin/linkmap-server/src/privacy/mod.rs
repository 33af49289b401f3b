//! The server side of the privacy lifecycle: the reporting API client and the reconciliation job.
//! The rules themselves live in `linkmap_core::privacy`; the storage in `db::privacy_store`.

pub mod client;
pub mod reconcile;
