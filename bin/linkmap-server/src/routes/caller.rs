//! The authenticated caller of a user route: who they are comes only from the verified FIT (policy U2).

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use forge_remote_auth::ForgeInvocation;
use futures_util::future::LocalBoxFuture;
use linkmap_core::{AccountId, InstallationId, Owner};

use crate::db::installations::{normalize_site_url, Registration};
use crate::http::problem::ApiError;
use crate::state::AppState;

/// A user acting in an installation, from a valid FIT with a `principal`.
///
/// Extracting it also records the installation on its first call to this instance (no query afterwards).
#[derive(Debug)]
pub struct Caller {
    /// The (installation, account) every record of this request belongs to.
    pub owner: Owner,
    /// The installation data from the token.
    pub registration: Registration,
}

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let invocation = ForgeInvocation::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let invocation = invocation.await?;
            let caller = Caller::from_invocation(&invocation)?;
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            state
                .registry
                .ensure(&caller.registration)
                .await
                .map_err(ApiError::from)?;
            Ok(caller)
        })
    }
}

impl Caller {
    /// Checks the identity a verified invocation carries.
    pub fn from_invocation(invocation: &ForgeInvocation) -> Result<Self, ApiError> {
        let claims = &invocation.claims;
        // Triggers and backend calls carry no principal: they cannot act on a user's records.
        let principal = claims.principal.as_deref().ok_or(ApiError::Forbidden(
            "This route needs a user; the invocation has no principal.",
        ))?;
        let account = AccountId::parse(principal).map_err(|_| {
            ApiError::Forbidden("The invocation's user cannot hold data (anonymous or malformed).")
        })?;
        let (installation, registration) = installation_of(invocation)?;
        Ok(Self {
            owner: Owner::new(installation, account),
            registration,
        })
    }
}

/// The installation a verified invocation acts for, and what we record about it (policy C2): taken from the FIT
/// only, never from a body (policy U2). Works for invocations without a principal (lifecycle events, triggers).
pub fn installation_of(
    invocation: &ForgeInvocation,
) -> Result<(InstallationId, Registration), ApiError> {
    let claims = &invocation.claims;
    let installation = InstallationId::parse(&claims.app.installation_id)
        .map_err(|_| ApiError::Forbidden("The invocation's installation id is malformed."))?;
    let cloud_id = claims
        .context
        .as_ref()
        .and_then(|c| c.cloud_id.clone())
        .or_else(|| {
            claims
                .app
                .installation
                .as_ref()
                .and_then(|i| i.contexts.iter().find_map(|c| c.cloud_id.clone()))
        });
    let registration = Registration {
        installation_id: installation.as_str().to_owned(),
        cloud_id,
        api_base_url: claims.app.api_base_url.clone(),
        // Informational in the FIT: kept only when it is a plain `https://host` (else the stored one stays).
        site_url: claims
            .context
            .as_ref()
            .and_then(|c| c.site_url.as_deref())
            .and_then(normalize_site_url),
    };
    Ok((installation, registration))
}
