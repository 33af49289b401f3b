//! Atlassian Connect: the query string hash ([`qsh`]), and (see the crate README) Connect JWT and signed-install
//! verification. Framework-free; the actix-web parts are behind the `actix` feature.

pub mod qsh;

pub use qsh::{
    base_path_of, canonical_request, canonical_request_raw, encode_rfc3986, parse_query,
    query_string_hash, query_string_hash_raw, CONTEXT_QSH, JWT_QUERY_PARAM,
};
