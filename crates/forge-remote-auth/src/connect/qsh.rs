//! The Atlassian Connect query string hash (`qsh`): the canonical request and its SHA-256.
//!
//! ```text
//! canonical = upper(method) + "&" + canonical URI + "&" + canonical query
//! qsh       = lowercase hex of SHA-256(canonical)
//! ```
//!
//! # Rules
//! - **Method**: upper-cased.
//! - **URI**: the request path *as received* (still percent-encoded; not decoded, not normalised), with the app's
//!   base path removed **by segment** (`/jira-app` is removed from `/jira-app/x` and from `/jira-app`, never from
//!   `/jira-apple`; a trailing `/` on the base path is ignored); an empty result is `/`; every `&` becomes `%26`;
//!   a leading `/` is added if missing; one trailing `/` is dropped unless the path is just `/`.
//! - **Query**: the decoded `(key, value)` pairs without the `jwt` parameter (exact, case-sensitive name); keys
//!   sorted; each key and value encoded as RFC 3986 (`encodeURIComponent` plus `!'()*`: space `%20`, `*` `%2A`,
//!   `~` literal, upper-case hex, UTF-8); a repeated key appears once with its values sorted, encoded and joined by
//!   `,`; a key without a value is `key=`; pairs joined with `&`. No query gives an empty last part (`POST&/user&`).
//!
//! # Where Atlassian's implementations differ, and what this module does
//! The reference is the npm package `atlassian-jwt` 2.0.3 (`createCanonicalRequest`), which
//! `atlassian-connect-express` calls to check every Connect JWT; the committed vectors in `tests/vectors/` were
//! produced by running it (`tests/connect-vectors/generate.mjs` at the workspace root).
//! - **Sorting happens on the raw (decoded) strings, before encoding**, for keys and for repeated values, by
//!   UTF-16 code units (JavaScript's default `sort`). Atlassian's Java `jwt-api` (`HttpRequestCanonicalizer`) sorts
//!   keys by their *encoded* form instead; the two differ e.g. for keys `a~` and `aé` (`a~` first here, `a%C3%A9`
//!   first in Java). UTF-16 order differs from code-point order only between U+E000..U+FFFF and supplementary
//!   characters (an emoji sorts before `｡` U+FF61 here); a vector pins this.
//! - **`+` in a raw query string is a space** ([`parse_query`]): `atlassian-jwt`'s `fromMethodAndUrl` (Node's
//!   `querystring`), Express' `qs`, the WHATWG URL standard and Java servlets all decode it so. A literal plus
//!   arrives as `%2B` and is hashed as `%2B`.
//! - **Invalid escapes and invalid UTF-8** in a raw query follow WHATWG / Node `querystring`: `%zz` stays literal
//!   (hashed as `%25zz`), bytes that are not UTF-8 become U+FFFD. Express' `qs` keeps `%e9` literal and drops
//!   `=x` (empty key); such requests hash differently there (recorded in `tests/vectors/qsh-divergences.json`).
//! - **Base path by segment**: `atlassian-jwt` strips the base path as a plain string prefix (so `/jira-apple/x`
//!   becomes `/le/x` under `/jira-app`) and keeps a trailing slash of the base URL significant. Both are treated
//!   here as bugs: the base path is removed only as whole segments. Requests inside the app's base path, the only
//!   ones an app receives, hash the same either way.
//! - ACE retries a POST/PUT whose query is empty with the *body* parameters as the query (`checkBodyForParams`);
//!   this module does not (pass the form parameters as `query` yourself if a sender needs it).

use std::cmp::Ordering;

/// The fixed `qsh` of context JWTs (and ACE session tokens), accepted only where the caller allows it
/// ([`QshMode::ContextAllowed`](crate::connect::QshMode::ContextAllowed)).
pub const CONTEXT_QSH: &str = "context-qsh";

/// The query parameter that carries a Connect JWT; it is never part of the canonical query.
pub const JWT_QUERY_PARAM: &str = "jwt";

/// The canonical request of `method path?query` for an app whose base path is `base_path` (e.g. `/jira-app`,
/// or `""`/`"/"` for an app at the root of its host; see [`base_path_of`]).
///
/// `path` is the request path as received (percent-encoded); `query` holds the *decoded* pairs, a key without a
/// value as `(key, "")`. Parse a raw query string with [`parse_query`], or use [`canonical_request_raw`].
///
/// ```
/// use forge_remote_auth::connect::qsh::canonical_request;
///
/// let query = [("zee_last", "param"), ("repeated", "parameter 2"), ("first", "param"), ("repeated", "parameter 1")];
/// assert_eq!(
///     canonical_request("get", "/path/to/service", &query, ""),
///     "GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param"
/// );
/// assert_eq!(canonical_request("POST", "/jira-app/user/", &[] as &[(&str, &str)], "/jira-app"), "POST&/user&");
/// ```
pub fn canonical_request<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path: &str,
    query: &[(K, V)],
    base_path: &str,
) -> String {
    let mut out = method.to_uppercase();
    out.push('&');
    out.push_str(&canonical_uri(path, base_path));
    out.push('&');
    out.push_str(&canonical_query(query));
    out
}

/// `qsh` for a request: the lowercase hex SHA-256 of [`canonical_request`].
///
/// ```
/// use forge_remote_auth::connect::qsh::query_string_hash;
///
/// assert_eq!(
///     query_string_hash("get", "/", &[("param", "foo")], ""),
///     "557b49d80f3f963f6bec47b74d9832d8d601d6ed0979476bdb35bae4abafb0a4" // sha256("GET&/&param=foo")
/// );
/// ```
pub fn query_string_hash<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path: &str,
    query: &[(K, V)],
    base_path: &str,
) -> String {
    sha256_hex(&canonical_request(method, path, query, base_path))
}

/// [`canonical_request`] for a raw query string (what follows `?`, without it), parsed with [`parse_query`].
///
/// ```
/// use forge_remote_auth::connect::qsh::canonical_request_raw;
///
/// assert_eq!(canonical_request_raw("GET", "/x", "b=x+y&a=%2B&jwt=t", ""), "GET&/x&a=%2B&b=x%20y");
/// ```
pub fn canonical_request_raw(method: &str, path: &str, raw_query: &str, base_path: &str) -> String {
    canonical_request(method, path, &parse_query(raw_query), base_path)
}

/// [`query_string_hash`] for a raw query string, parsed with [`parse_query`].
pub fn query_string_hash_raw(method: &str, path: &str, raw_query: &str, base_path: &str) -> String {
    sha256_hex(&canonical_request_raw(method, path, raw_query, base_path))
}

/// Parses a raw query string as `application/x-www-form-urlencoded` (WHATWG URL standard §5.1): split on `&`,
/// skip empty pieces, split each at its first `=` (none: the value is empty), `+` → space, then percent-decode
/// (an invalid `%` sequence stays literal) and decode UTF-8 replacing invalid bytes with U+FFFD. Node's
/// `querystring`, which `atlassian-jwt` uses, gives the same pairs.
///
/// ```
/// use forge_remote_auth::connect::qsh::parse_query;
///
/// assert_eq!(
///     parse_query("a=b+c&flag&&x=%zz&e=%C3%A9"),
///     [("a", "b c"), ("flag", ""), ("x", "%zz"), ("e", "é")].map(|(k, v)| (k.to_owned(), v.to_owned()))
/// );
/// ```
pub fn parse_query(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

/// The path of an app base URL, for the `base_path` arguments: `https://app.example.com/jira-app/` →
/// `/jira-app/`; no path → `""`. Query and fragment are ignored.
///
/// ```
/// use forge_remote_auth::connect::qsh::base_path_of;
///
/// assert_eq!(base_path_of("https://app.example.com/jira-app"), "/jira-app");
/// assert_eq!(base_path_of("https://app.example.com"), "");
/// assert_eq!(base_path_of("http://localhost:8080/a/b?x#y"), "/a/b");
/// ```
pub fn base_path_of(base_url: &str) -> &str {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.find('/').map_or("", |i| rest.get(i..).unwrap_or(""))
}

/// RFC 3986 percent-encoding as Atlassian's qsh uses it: everything but `A-Z a-z 0-9 - . _ ~` is encoded as
/// UTF-8 bytes with upper-case hex (`encodeURIComponent` plus `!'()*`).
pub fn encode_rfc3986(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

pub(crate) fn sha256_hex(s: &str) -> String {
    openssl::sha::sha256(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JavaScript's default string order: UTF-16 code units.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn canonical_uri(path: &str, base_path: &str) -> String {
    let base = base_path.trim_end_matches('/');
    let mut p = path;
    if !base.is_empty() {
        if p == base {
            p = "";
        } else if let Some(rest) = p.strip_prefix(base) {
            if rest.starts_with('/') {
                p = rest;
            }
        }
    }
    if p.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(p.len() + 3);
    if !p.starts_with('/') {
        out.push('/');
    }
    out.push_str(&p.replace('&', "%26"));
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

fn canonical_query<K: AsRef<str>, V: AsRef<str>>(query: &[(K, V)]) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != JWT_QUERY_PARAM)
        .collect();
    // Keys, then the values of a repeated key, in UTF-16 order of the raw strings.
    pairs.sort_by(|a, b| utf16_cmp(a.0, b.0).then_with(|| utf16_cmp(a.1, b.1)));
    let mut out = String::new();
    let mut previous: Option<&str> = None;
    for (k, v) in pairs {
        if previous == Some(k) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('&');
            }
            out.push_str(&encode_rfc3986(k));
            out.push('=');
            previous = Some(k);
        }
        out.push_str(&encode_rfc3986(v));
    }
    out
}

/// `+` → space, then percent-decoding (invalid sequences kept), then lossy UTF-8.
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
                if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                    // Both digits are < 16, so this fits in a byte.
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let q = [
            ("first", "param"),
            ("repeated", "parameter 1"),
            ("repeated", "parameter 2"),
            ("zee_last", "param"),
        ];
        assert_eq!(
            canonical_request("GET", "/path/to/service", &q, ""),
            "GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param"
        );
        assert_eq!(
            canonical_request("GET", "/", &[("param", "foo")], ""),
            "GET&/&param=foo"
        );
        assert_eq!(
            canonical_request("POST", "/user", &[] as &[(&str, &str)], ""),
            "POST&/user&"
        );
    }

    #[test]
    fn base_path_is_removed_by_segment_only() {
        let none: &[(&str, &str)] = &[];
        let c = |p: &str, b: &str| canonical_request("GET", p, none, b);
        assert_eq!(c("/jira-app/x", "/jira-app"), "GET&/x&");
        assert_eq!(c("/jira-apple/x", "/jira-app"), "GET&/jira-apple/x&");
        assert_eq!(c("/jira-app", "/jira-app"), "GET&/&");
        assert_eq!(c("/jira-app", "/jira-app/"), "GET&/&");
        assert_eq!(c("/jira-app&x", "/jira-app"), "GET&/jira-app%26x&");
        assert_eq!(c("/x", "/"), "GET&/x&");
        assert_eq!(c("", ""), "GET&/&");
        assert_eq!(c("x/", ""), "GET&/x&");
        assert_eq!(c("/x//", ""), "GET&/x/&");
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%20c%2B"), "a b c+");
        assert_eq!(form_decode("%zz%2%"), "%zz%2%");
        assert_eq!(form_decode("%e9"), "\u{fffd}");
        assert_eq!(form_decode("%C3%a9"), "é");
    }

    #[test]
    fn utf16_order_differs_from_code_point_order_where_it_should() {
        assert_eq!(utf16_cmp("\u{1F600}", "\u{FF61}"), Ordering::Less);
        assert!("\u{1F600}" > "\u{FF61}");
        assert_eq!(utf16_cmp("a~", "aé"), Ordering::Less);
    }
}
