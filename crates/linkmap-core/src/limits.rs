//! Every size, length and count bound of the domain (policy M2), in one place.
//!
//! Messages in the parsers spell these numbers out as literals (messages are `&'static str`);
//! the tests of each module check the boundaries against these constants.

/// Layouts one user may keep in one installation.
pub const MAX_LAYOUTS_PER_USER: u32 = 500;
/// Saved JQL queries one user may keep in one installation.
pub const MAX_QUERIES_PER_USER: u32 = 500;
/// Node positions in one layout.
pub const MAX_NODES: usize = 5_000;
/// Bytes of JQL (UTF-8, after trimming).
pub const MAX_JQL_BYTES: usize = 4_096;
/// Characters (Unicode scalar values, after trimming) in a layout or query name.
pub const MAX_NAME_CHARS: usize = 100;
/// Link-type or issue-type names in one display-settings list.
pub const MAX_TYPE_NAMES: usize = 50;
/// Characters (after trimming) in one link-type or issue-type name.
pub const MAX_TYPE_NAME_CHARS: usize = 60;
/// Digits in a Jira issue id (`"10001"`); 18 digits always fit a signed 64-bit integer.
pub const MAX_ISSUE_ID_DIGITS: usize = 18;
/// Characters of the project-key part of an issue key (`PRJ` in `PRJ-42`); Jira's own maximum.
pub const MAX_PROJECT_KEY_CHARS: usize = 255;
/// Bytes in a whole issue key: project key, `-`, and up to 18 digits.
pub const MAX_ISSUE_KEY_BYTES: usize = MAX_PROJECT_KEY_CHARS + 1 + MAX_ISSUE_ID_DIGITS;
/// Largest absolute value of a coordinate (node `x`/`y`, viewport `x`/`y`).
pub const MAX_COORDINATE: f64 = 1e6;
/// Smallest viewport zoom.
pub const MIN_ZOOM: f64 = 0.05;
/// Largest viewport zoom.
pub const MAX_ZOOM: f64 = 20.0;
/// Smallest graph depth in display settings.
pub const MIN_DEPTH: u8 = 1;
/// Largest graph depth in display settings.
pub const MAX_DEPTH: u8 = 5;
/// Items per page when the client does not say.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// Most items one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// Characters in an Atlassian account id.
pub const MAX_ACCOUNT_ID_CHARS: usize = 128;
