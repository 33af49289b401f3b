//! Identities: who owns a record ([`Owner`] = [`InstallationId`] + [`AccountId`]) and record
//! ids ([`LayoutId`], [`QueryId`]).
//!
//! The owner comes only from the verified Forge Invocation Token (policy U2); these parsers are
//! a second line of defence that also keeps storage keys canonical.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::limits::MAX_ACCOUNT_ID_CHARS;
use crate::validation::ParseError;

const INSTALLATION_PREFIX: &str = "ari:cloud:ecosystem::installation/";
/// Hyphenated UUID length; the only UUID form accepted in an installation ARI.
const HYPHENATED_UUID_LEN: usize = 36;

/// A Forge installation, as its ARI: `ari:cloud:ecosystem::installation/<uuid>`.
///
/// Always stored in canonical form (lowercase hyphenated UUID), so one installation can never
/// become two storage keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstallationId(String);

impl InstallationId {
    /// Parses an installation ARI. Only the hyphenated UUID form is accepted; letters may be
    /// either case and are lowercased.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let rest = s
            .strip_prefix(INSTALLATION_PREFIX)
            .ok_or(ParseError::new("must be a Forge installation ARI"))?;
        if rest.len() != HYPHENATED_UUID_LEN {
            return Err(ParseError::new("must end with a hyphenated UUID"));
        }
        // At 36 characters `try_parse` accepts only the hyphenated form (simple, braced and URN
        // forms have other lengths).
        let uuid = Uuid::try_parse(rest)
            .map_err(|_| ParseError::new("must end with a hyphenated UUID"))?;
        Ok(Self(format!("{INSTALLATION_PREFIX}{}", uuid.hyphenated())))
    }

    /// The canonical ARI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstallationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Atlassian account id: 1–128 characters of `[A-Za-z0-9:_-]`, never the literal `unknown`.
///
/// Personal data (policy C1, C4): it must never reach logs. `Debug` prints a redacted form and
/// there is deliberately no `Display` and no `Serialize`; use [`AccountId::as_str`] only to
/// bind a SQL parameter or call Atlassian.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Parses an account id.
    ///
    /// `unknown` (in any case) is what Atlassian sends for an anonymous or erased principal;
    /// storing it would pool strangers' data under one key, so it is refused.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() {
            return Err(ParseError::new("must not be empty"));
        }
        if s.len() > MAX_ACCOUNT_ID_CHARS {
            return Err(ParseError::new("must be at most 128 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
        {
            return Err(ParseError::new(
                "must contain only letters, digits, ':', '_' and '-'",
            ));
        }
        if s.eq_ignore_ascii_case("unknown") {
            return Err(ParseError::new("must not be the anonymous account"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The raw id. Never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The length helps debugging ("was it empty?") without identifying anyone.
        write!(f, "AccountId(<redacted; {} chars>)", self.0.len())
    }
}

impl AccountId {
    /// Serializes the raw id, for the **one** document that must carry it: the user's own data
    /// export (policy R1, [`crate::DataExport`]). Used through `#[serde(serialize_with)]` so no
    /// other type can serialize an account id by accident; the id is still never logged.
    pub(crate) fn serialize_for_export<S: serde::Serializer>(
        id: &AccountId,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&id.0)
    }
}

/// The one (installation, account) pair every stored record belongs to.
///
/// `Debug` is safe to log: the account part is redacted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner {
    /// The Forge installation (from the FIT's `app.installationId`).
    pub installation: InstallationId,
    /// The user (from the FIT's `principal`).
    pub account: AccountId,
}

impl Owner {
    /// Bundles the two halves of an owner.
    pub fn new(installation: InstallationId, account: AccountId) -> Self {
        Self {
            installation,
            account,
        }
    }
}

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random (v4) id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Parses a hyphenated UUID from a URL path segment.
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                // Only the canonical 36-char form: one record, one URL.
                if s.len() != HYPHENATED_UUID_LEN {
                    return Err(ParseError::new("must be a UUID"));
                }
                Uuid::try_parse(s)
                    .map(Self)
                    .map_err(|_| ParseError::new("must be a UUID"))
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

record_id!(
    /// The id of a saved layout.
    LayoutId
);
record_id!(
    /// The id of a saved JQL query.
    QueryId
);

#[cfg(test)]
mod tests {
    use super::*;

    const ARI: &str = "ari:cloud:ecosystem::installation/5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b";

    #[test]
    fn installation_ari_parses_and_keeps_canonical_form() {
        let id = InstallationId::parse(ARI).unwrap();
        assert_eq!(id.as_str(), ARI);
    }

    #[test]
    fn installation_ari_with_uppercase_uuid_is_lowercased() {
        let id = InstallationId::parse(
            &ARI.to_uppercase()
                .replace("ARI:CLOUD:ECOSYSTEM::INSTALLATION/", INSTALLATION_PREFIX),
        )
        .unwrap();
        assert_eq!(id.as_str(), ARI);
    }

    #[test]
    fn installation_ari_is_refused_when_malformed() {
        for bad in [
            "",
            "5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b",
            "ari:cloud:ecosystem::app/5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b",
            "ari:cloud:ecosystem::installation/",
            "ari:cloud:ecosystem::installation/5a2c1bd433fb4e6d9f5a0c1d2e3f4a5b",
            "ari:cloud:ecosystem::installation/{5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b}",
            "ari:cloud:ecosystem::installation/5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5bX",
            "ari:cloud:ecosystem::installation/zz2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b",
        ] {
            assert!(InstallationId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn account_id_accepts_real_shapes() {
        for ok in [
            "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
            "5b10ac8d82e05b22cc7d4ef5",
            "a",
            "qm_-:Z9",
        ] {
            assert_eq!(AccountId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn account_id_at_128_chars_is_accepted_and_129_refused() {
        assert!(AccountId::parse(&"a".repeat(MAX_ACCOUNT_ID_CHARS)).is_ok());
        assert!(AccountId::parse(&"a".repeat(MAX_ACCOUNT_ID_CHARS + 1)).is_err());
    }

    #[test]
    fn account_id_refuses_empty_unknown_and_foreign_characters() {
        for bad in [
            "", "unknown", "UNKNOWN", "Unknown", "a b", "a/b", "é", "a\n", "a.b",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn account_id_debug_does_not_print_the_id() {
        let id = AccountId::parse("557058:secret-account").unwrap();
        let owner = Owner::new(InstallationId::parse(ARI).unwrap(), id.clone());
        for printed in [
            format!("{id:?}"),
            format!("{owner:?}"),
            format!("{owner:#?}"),
        ] {
            assert!(!printed.contains("secret"), "{printed}");
            assert!(!printed.contains("557058"), "{printed}");
        }
    }

    #[test]
    fn record_ids_round_trip_through_display_and_parse() {
        let id = LayoutId::new_random();
        assert_eq!(LayoutId::parse(&id.to_string()), Ok(id));
        let q = QueryId::new_random();
        assert_eq!(q.to_string().parse::<QueryId>(), Ok(q));
    }

    #[test]
    fn record_ids_refuse_non_canonical_or_garbage_text() {
        for bad in [
            "",
            "42",
            "not-a-uuid",
            "5a2c1bd433fb4e6d9f5a0c1d2e3f4a5b",
            "{5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b}",
            "urn:uuid:5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5b",
            "5a2c1bd4-33fb-4e6d-9f5a-0c1d2e3f4a5g",
        ] {
            assert!(LayoutId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
