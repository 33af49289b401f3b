//! HTTP plumbing shared by every route: bodies, errors, headers, request logging.

pub mod body;
pub mod headers;
pub mod negotiate;
pub mod problem;
pub mod request_log;
