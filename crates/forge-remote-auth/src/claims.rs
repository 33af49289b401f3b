//! The typed claims of a Forge Invocation Token, as documented by Atlassian ("Forge Remote essentials").
//!
//! Only the decoder in this crate builds these values, and only from a token whose header, structure and (for
//! [`FitValidator`](crate::FitValidator)) signature and claims were checked. Unknown members are ignored, since
//! Atlassian adds fields over time; every known member must have its documented JSON type. Optional members that
//! are `null` count as absent (Atlassian sends `supportEntitlementNumber: null`, for one); required members that
//! are `null` are refused.

use std::fmt;

/// The verified claims of a Forge Invocation Token.
///
/// `Debug` prints `principal` as `Some("<redacted>")`: it is the invoking user's account id, personal data that
/// must not end up in logs.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct InvocationClaims {
    /// The app and installation the call is for.
    pub app: App,
    /// The product context of a UI invocation; absent for backend invocations, events and triggers.
    pub context: Option<InvocationContext>,
    /// The invoking user's Atlassian account id; absent on triggers and backend calls without a user.
    pub principal: Option<String>,
    /// The Isolated Cloud label (validated against `^[a-z0-9_-]{1,50}$`), only on Isolated Cloud.
    pub ic_label: Option<String>,
    /// Always [`FIT_ISSUER`](crate::FIT_ISSUER).
    pub iss: String,
    /// The audience, as one or more strings; one of them is the configured app ARI.
    pub aud: Vec<String>,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Not before, seconds since the Unix epoch.
    pub nbf: i64,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// The token id (non-empty, at most 256 bytes).
    pub jti: String,
}

impl fmt::Debug for InvocationClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvocationClaims")
            .field("app", &self.app)
            .field("context", &self.context)
            .field("principal", &self.principal.as_ref().map(|_| "<redacted>"))
            .field("ic_label", &self.ic_label)
            .field("iss", &self.iss)
            .field("aud", &self.aud)
            .field("iat", &self.iat)
            .field("nbf", &self.nbf)
            .field("exp", &self.exp)
            .field("jti", &self.jti)
            .finish()
    }
}

impl InvocationClaims {
    /// The site's cloud id from `context.cloudId`, falling back to the first installation context that has one.
    pub fn cloud_id(&self) -> Option<&str> {
        self.context
            .as_ref()
            .and_then(|c| c.cloud_id.as_deref())
            .or_else(|| {
                self.app
                    .installation
                    .as_ref()
                    .and_then(|i| i.contexts.iter().find_map(|c| c.cloud_id.as_deref()))
            })
    }
}

/// The `app` claim.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct App {
    /// The app ARI (`ari:cloud:ecosystem::app/<uuid>`); equal to the configured audience.
    pub id: String,
    /// The installation ARI: the recommended storage key (changes on reinstall, not on upgrade).
    pub installation_id: String,
    /// Where product API calls go, e.g. `https://api.atlassian.com/ex/jira/<cloudId>`. Validated: `https`, a host
    /// on the configured allowlist, no port/userinfo/query/fragment, a plain path without `..`.
    pub api_base_url: String,
    /// Deprecated by Atlassian in favour of `app_version`.
    pub version: Option<String>,
    /// The app version, e.g. `"2.0.0"`.
    pub app_version: Option<String>,
    /// The Forge environment the app runs in.
    pub environment: Option<Environment>,
    /// The module that was invoked.
    pub module: Option<Module>,
    /// The installation and its product contexts.
    pub installation: Option<Installation>,
    /// The license, present only for paid apps in PRODUCTION.
    pub license: Option<License>,
}

/// `app.environment`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// `DEVELOPMENT`, `STAGING` or `PRODUCTION`.
    pub type_: String,
    /// The environment ARI.
    pub id: String,
}

/// `app.module`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Module {
    /// The UI module type (e.g. `jira:issuePanel`), or `core:endpoint` for backend calls.
    pub type_: String,
    /// The module key from the manifest.
    pub key: String,
}

/// `app.installation`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Installation {
    /// The installation ARI.
    pub id: String,
    /// One entry per product the app is installed in (empty when absent).
    pub contexts: Vec<InstallationContext>,
}

/// One entry of `app.installation.contexts`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallationContext {
    /// The product, e.g. `jira`.
    pub name: String,
    /// The product's API base URL, validated like [`App::api_base_url`].
    pub api_base_url: String,
    /// The site's cloud id (Jira, Confluence).
    pub cloud_id: Option<String>,
    /// The workspace id (Bitbucket).
    pub workspace_id: Option<String>,
}

/// `app.license`. Every member is optional: Atlassian documents the set but not which are always sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct License {
    /// Whether the license is active (replaces `isActive`).
    pub active: Option<bool>,
    /// Deprecated by Atlassian (removal after 17 Oct 2026); read `active` first.
    pub is_active: Option<bool>,
    /// e.g. `MONTHLY`.
    pub billing_period: Option<String>,
    /// `capabilityStandard` or `capabilityAdvanced`.
    pub capability_set: Option<String>,
    /// Commerce entitlement id.
    pub ccp_entitlement_id: Option<String>,
    /// Commerce entitlement slug.
    pub ccp_entitlement_slug: Option<String>,
    /// Whether this is an evaluation license.
    pub is_evaluation: Option<bool>,
    /// Subscription end date, as sent.
    pub subscription_end_date: Option<String>,
    /// Trial end date, as sent.
    pub trial_end_date: Option<String>,
    /// e.g. `commercial`.
    pub type_: Option<String>,
    /// e.g. `["USER_ACCESS"]`.
    pub modes: Option<Vec<String>>,
    /// Documented as always `null`.
    pub support_entitlement_number: Option<String>,
}

/// The `context` claim of a UI invocation.
///
/// `PartialEq` compares `extension` by its JSON text, as sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InvocationContext {
    /// The site's cloud id (Jira, Confluence).
    pub cloud_id: Option<String>,
    /// The workspace id (Bitbucket).
    pub workspace_id: Option<String>,
    /// The site URL, e.g. `https://example.atlassian.net`. Informational: call APIs through `app.apiBaseUrl`.
    pub site_url: Option<String>,
    /// The module instance id.
    pub local_id: Option<String>,
    /// The module key.
    pub module_key: Option<String>,
    /// The product-defined extension context, as the raw JSON text of the token (already checked: no duplicate
    /// member at any depth, nesting bounded by [`MAX_JSON_DEPTH`](crate::MAX_JSON_DEPTH)). `null` counts as absent.
    /// Most handlers never look at it, so it is not parsed into a tree; to read it, parse it with
    /// `serde_json::from_str(extension.get())` into a `serde_json::Value` or a type of your own.
    pub extension: Option<Box<serde_json::value::RawValue>>,
}

impl PartialEq for InvocationContext {
    fn eq(&self, other: &Self) -> bool {
        self.cloud_id == other.cloud_id
            && self.workspace_id == other.workspace_id
            && self.site_url == other.site_url
            && self.local_id == other.local_id
            && self.module_key == other.module_key
            && self
                .extension
                .as_deref()
                .map(serde_json::value::RawValue::get)
                == other
                    .extension
                    .as_deref()
                    .map(serde_json::value::RawValue::get)
    }
}
