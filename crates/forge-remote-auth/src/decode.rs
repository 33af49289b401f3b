//! Strict, single-pass decoding of the JOSE header and of the FIT claims.
//!
//! # Why hand-written visitors
//! `#[derive(Deserialize)]` would ignore duplicate *unknown* members, let `serde_json::Value` keep the last of two
//! duplicates, and report a wrong type as a message without the claim's name. A separate "strictness" pass before
//! a derived decode would parse every token twice. Here one pass over the bytes:
//! - refuses a duplicate member name in every object, at every depth (after unescaping: `"e\u0078p"` is `exp`);
//! - bounds nesting at [`MAX_JSON_DEPTH`];
//! - checks each known member's JSON type and reports the failing claim by its dotted path;
//! - builds the owned [`InvocationClaims`] directly, with no intermediate `Value` tree (`context.extension` is
//!   kept as raw JSON text after a strict walk).
//!
//! Visitors report precise failures through [`Ctx`]: the first failure is stored there and a placeholder serde error
//! unwinds the parse. `serde_json`'s own error category then tells a syntax error (→ [`Error::InvalidJson`]) from
//! ours.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::claims::{
    App, Environment, Installation, InstallationContext, InvocationClaims, InvocationContext,
    License, Module,
};
use crate::error::{Error, TokenPart};
use crate::validation::MAX_JSON_DEPTH;

/// Longest accepted `jti`, in bytes (the documented one is 40 hex characters).
pub(crate) const MAX_JTI_LEN: usize = 256;

/// Where visitors leave the first precise failure.
pub(crate) struct Ctx {
    part: TokenPart,
    err: RefCell<Option<Error>>,
}

impl Ctx {
    fn new(part: TokenPart) -> Self {
        Ctx {
            part,
            err: RefCell::new(None),
        }
    }

    /// Records `e` unless an earlier (inner) failure is already recorded, and returns a placeholder serde error.
    fn fail<E: de::Error>(&self, e: Error) -> E {
        self.note(e);
        E::custom("rejected by forge-remote-auth")
    }

    fn note(&self, e: Error) {
        let mut slot = self.err.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    }

    fn wrong_type(&self, name: &'static str) -> Error {
        match self.part {
            TokenPart::Header => Error::MalformedHeader(name),
            _ => Error::ClaimWrongType(name),
        }
    }

    fn duplicate(&self) -> Error {
        Error::DuplicateJsonMember(self.part)
    }

    fn check_depth<E: de::Error>(&self, depth: usize) -> Result<(), E> {
        if depth > MAX_JSON_DEPTH {
            Err(self.fail(Error::JsonTooDeep(self.part)))
        } else {
            Ok(())
        }
    }
}

/// Runs `f` over `bytes` as one JSON document (no trailing data) and turns serde's error into ours.
fn run<'de, T>(
    bytes: &'de [u8],
    part: TokenPart,
    f: impl FnOnce(
        &Ctx,
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, Error> {
    let ctx = Ctx::new(part);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = f(&ctx, &mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| match e.classify() {
        // A syntax error can pass through a field's seed, which records "wrong type" for it: syntax wins.
        serde_json::error::Category::Data => {
            ctx.err.into_inner().unwrap_or(Error::InvalidJson(part))
        }
        _ => Error::InvalidJson(part),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Member-name bookkeeping

/// Member names seen so far in one object. A linear scan over an inline array is fastest for the handful of
/// members real objects have (and allocates nothing); past `LINEAR_MAX` names a hash set keeps a hostile object
/// with thousands of members from costing O(n²).
struct SeenNames<'de> {
    small: [Cow<'de, str>; LINEAR_MAX],
    len: usize,
    large: Option<HashSet<Cow<'de, str>>>,
}

const LINEAR_MAX: usize = 16;

impl<'de> SeenNames<'de> {
    fn new() -> Self {
        SeenNames {
            small: [const { Cow::Borrowed("") }; LINEAR_MAX],
            len: 0,
            large: None,
        }
    }

    /// `false` when `name` was already seen.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(name);
        }
        let seen = self.small.get(..self.len).unwrap_or_default();
        if seen.contains(&name) {
            return false;
        }
        if let Some(slot) = self.small.get_mut(self.len) {
            *slot = name;
            self.len += 1;
        } else {
            let mut set: HashSet<Cow<'de, str>> =
                self.small.iter_mut().map(std::mem::take).collect();
            set.insert(name);
            self.large = Some(set);
        }
        true
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Walks one object whose known members are `fields` (at most 64). Known members go to `on_field` with their
/// index; unknown ones are walked strictly and dropped. A repeated name, known or not, is refused.
fn visit_object<'de, A: MapAccess<'de>>(
    ctx: &Ctx,
    depth: usize,
    mut map: A,
    fields: &[&str],
    mut on_field: impl FnMut(usize, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    debug_assert!(fields.len() <= 64);
    let mut seen_known: u64 = 0;
    let mut seen_unknown: Option<SeenNames<'de>> = None;
    while let Some(name) = map.next_key_seed(NameSeed)? {
        if let Some(i) = fields.iter().position(|f| *f == name) {
            let bit = 1u64 << i;
            if seen_known & bit != 0 {
                return Err(ctx.fail(ctx.duplicate()));
            }
            seen_known |= bit;
            on_field(i, &mut map)?;
        } else {
            if !seen_unknown.get_or_insert_with(SeenNames::new).insert(name) {
                return Err(ctx.fail(ctx.duplicate()));
            }
            map.next_value_seed(Ignore {
                ctx,
                depth: depth + 1,
            })?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Strict walkers for values we do not type: skipped members, `context.extension` and Connect JWT claims.

/// Walks any JSON value, refusing duplicate names and excessive depth, keeping nothing.
struct Ignore<'c> {
    ctx: &'c Ctx,
    /// Depth this value would have if it is an array or object.
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Ignore<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Ignore<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.ctx.check_depth(self.depth)?;
        while seq
            .next_element_seed(Ignore {
                ctx: self.ctx,
                depth: self.depth + 1,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.ctx.check_depth(self.depth)?;
        visit_object(self.ctx, self.depth, map, &[], |_, _| Ok(()))
    }
}

/// Builds a `serde_json::Value` strictly (duplicates and depth refused; `serde_json::Value` alone would keep the
/// last duplicate silently).
struct StrictValue<'c> {
    ctx: &'c Ctx,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = serde_json::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = serde_json::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // JSON cannot spell NaN or infinity, so `from_f64` only fails on input serde_json never produces.
        Ok(serde_json::Number::from_f64(v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.ctx.check_depth(self.depth)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue {
            ctx: self.ctx,
            depth: self.depth + 1,
        })? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        self.ctx.check_depth(self.depth)?;
        let mut out = serde_json::Map::new();
        while let Some(name) = map.next_key_seed(NameSeed)? {
            if out.contains_key(name.as_ref()) {
                return Err(self.ctx.fail(self.ctx.duplicate()));
            }
            let v = map.next_value_seed(StrictValue {
                ctx: self.ctx,
                depth: self.depth + 1,
            })?;
            out.insert(name.into_owned(), v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// `context.extension`: kept as raw JSON text (one copy, no tree), after a strict walk of the borrowed text.
/// `null` → `None`.
struct RawExtension<'c> {
    ctx: &'c Ctx,
    /// Depth the value would have if it is an array or object.
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for RawExtension<'_> {
    type Value = Option<Box<serde_json::value::RawValue>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // Borrowing works because every document is parsed from a slice (see `run`). This first pass checks the
        // syntax and finds the value's extent without allocating; the walk below applies our rules to that text.
        let raw = <&'de serde_json::value::RawValue as de::Deserialize<'de>>::deserialize(d)?;
        if raw.get() == "null" {
            return Ok(None);
        }
        let mut inner = serde_json::Deserializer::from_str(raw.get());
        Ignore {
            ctx: self.ctx,
            depth: self.depth,
        }
        .deserialize(&mut inner)
        // `Ignore` fails only through `ctx.fail`, so the precise error is recorded already.
        .map_err(|_| de::Error::custom("rejected by forge-remote-auth"))?;
        Ok(Some(raw.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Typed seeds. Each carries the claim's dotted name; any data error raised inside records "wrong type" for the
// innermost name (outer seeds find the slot already filled).

macro_rules! typed_seed {
    ($seed:ident -> $out:ty, |$d:ident, $ctx:ident, $name:ident| $body:expr) => {
        struct $seed<'c> {
            ctx: &'c Ctx,
            name: &'static str,
        }
        impl<'de> DeserializeSeed<'de> for $seed<'_> {
            type Value = $out;
            fn deserialize<D: Deserializer<'de>>(self, $d: D) -> Result<$out, D::Error> {
                let ($ctx, $name) = (self.ctx, self.name);
                let r: Result<$out, D::Error> = $body;
                r.inspect_err(|_| $ctx.note($ctx.wrong_type($name)))
            }
        }
    };
}

struct StringVisitor;
impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

struct CowStrVisitor;
impl<'de> Visitor<'de> for CowStrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Only JSON integers that fit in `i64`: strings, floats (even `1.0`), `null` and booleans are refused.
struct I64Visitor;
impl<'de> Visitor<'de> for I64Visitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("integer out of range"))
    }
}

struct BoolVisitor;
impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
}

/// `null` → `None`, anything else → `Some(inner)`.
struct OptionVisitor<S>(S);
impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionVisitor<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

typed_seed!(StrSeed -> String, |d, ctx, name| d.deserialize_str(StringVisitor));
typed_seed!(CowStrSeed -> Cow<'de, str>, |d, ctx, name| d.deserialize_str(CowStrVisitor));
typed_seed!(I64Seed -> i64, |d, ctx, name| d.deserialize_i64(I64Visitor));
typed_seed!(OptStrSeed -> Option<String>, |d, ctx, name| d.deserialize_option(OptionVisitor(StrSeed { ctx, name })));
typed_seed!(OptBoolSeed -> Option<bool>, |d, ctx, name| d.deserialize_option(OptionVisitor(BoolSeed { ctx, name })));
typed_seed!(BoolSeed -> bool, |d, ctx, name| d.deserialize_bool(BoolVisitor));
typed_seed!(StrListSeed -> Vec<String>, |d, ctx, name| d.deserialize_seq(StrListVisitor { ctx, name }));
typed_seed!(OptStrListSeed -> Option<Vec<String>>, |d, ctx, name| d.deserialize_option(OptionVisitor(StrListSeed { ctx, name })));
typed_seed!(AudSeed -> Vec<String>, |d, ctx, name| d.deserialize_any(AudVisitor { ctx, name }));

struct StrListVisitor<'c> {
    ctx: &'c Ctx,
    name: &'static str,
}
impl<'de> Visitor<'de> for StrListVisitor<'_> {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(8));
        while let Some(s) = seq.next_element_seed(StrSeed {
            ctx: self.ctx,
            name: self.name,
        })? {
            out.push(s);
        }
        Ok(out)
    }
}

/// `aud`: one string, or an array of strings (RFC 7519 §4.1.3).
struct AudVisitor<'c> {
    ctx: &'c Ctx,
    name: &'static str,
}
impl<'de> Visitor<'de> for AudVisitor<'_> {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        Ok(vec![v.to_owned()])
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<String>, E> {
        Ok(vec![v])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<String>, A::Error> {
        StrListVisitor {
            ctx: self.ctx,
            name: self.name,
        }
        .visit_seq(seq)
    }
}

/// A JSON object decoded into `Self` by [`visit_object`].
trait DecodeObject: Sized {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error>;
}

struct ObjSeed<'c, T> {
    ctx: &'c Ctx,
    name: &'static str,
    depth: usize,
    _t: PhantomData<T>,
}

impl<'c, T> ObjSeed<'c, T> {
    fn new(ctx: &'c Ctx, name: &'static str, depth: usize) -> Self {
        ObjSeed {
            ctx,
            name,
            depth,
            _t: PhantomData,
        }
    }
}

impl<'de, T: DecodeObject> DeserializeSeed<'de> for ObjSeed<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let (ctx, name) = (self.ctx, self.name);
        d.deserialize_map(self)
            .inspect_err(|_| ctx.note(ctx.wrong_type(name)))
    }
}

impl<'de, T: DecodeObject> Visitor<'de> for ObjSeed<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::decode(self.ctx, self.depth, map)
    }
}

struct OptObjSeed<'c, T>(ObjSeed<'c, T>);

impl<'de, T: DecodeObject> DeserializeSeed<'de> for OptObjSeed<'_, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        let (ctx, name) = (self.0.ctx, self.0.name);
        d.deserialize_option(OptionVisitor(self.0))
            .inspect_err(|_| ctx.note(ctx.wrong_type(name)))
    }
}

/// `null`/absent → empty; otherwise an array of objects.
struct ObjListSeed<'c, T>(ObjSeed<'c, T>);

impl<'de, T: DecodeObject> DeserializeSeed<'de> for ObjListSeed<'_, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        let (ctx, name) = (self.0.ctx, self.0.name);
        d.deserialize_option(OptionVisitor(ObjListInner(self.0)))
            .map(Option::unwrap_or_default)
            .inspect_err(|_| ctx.note(ctx.wrong_type(name)))
    }
}

struct ObjListInner<'c, T>(ObjSeed<'c, T>);

impl<'de, T: DecodeObject> DeserializeSeed<'de> for ObjListInner<'_, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DecodeObject> Visitor<'de> for ObjListInner<'_, T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let ObjSeed {
            ctx, name, depth, ..
        } = self.0;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(ObjSeed::<T>::new(ctx, name, depth + 1))? {
            out.push(v);
        }
        Ok(out)
    }
}

fn required<T, E: de::Error>(ctx: &Ctx, v: Option<T>, name: &'static str) -> Result<T, E> {
    v.ok_or_else(|| ctx.fail(Error::MissingClaim(name)))
}

// ---------------------------------------------------------------------------------------------------------------
// The FIT schema. Field lists and dotted names are the single description of the documented claims.

impl DecodeObject for InvocationClaims {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        const F: &[&str] = &[
            "app",
            "context",
            "principal",
            "icLabel",
            "iss",
            "aud",
            "iat",
            "nbf",
            "exp",
            "jti",
        ];
        let (mut app, mut context, mut principal, mut ic_label) = (None, None, None, None);
        let (mut iss, mut aud, mut iat, mut nbf, mut exp, mut jti) =
            (None, None, None, None, None, None);
        visit_object(ctx, depth, map, F, |i, m| {
            match i {
                0 => app = Some(m.next_value_seed(ObjSeed::<App>::new(ctx, "app", depth + 1))?),
                1 => {
                    context = m.next_value_seed(OptObjSeed(ObjSeed::<InvocationContext>::new(
                        ctx,
                        "context",
                        depth + 1,
                    )))?
                }
                2 => {
                    principal = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "principal",
                    })?
                }
                3 => {
                    ic_label = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "icLabel",
                    })?
                }
                4 => iss = Some(m.next_value_seed(StrSeed { ctx, name: "iss" })?),
                5 => aud = Some(m.next_value_seed(AudSeed { ctx, name: "aud" })?),
                6 => iat = Some(m.next_value_seed(I64Seed { ctx, name: "iat" })?),
                7 => nbf = Some(m.next_value_seed(I64Seed { ctx, name: "nbf" })?),
                8 => exp = Some(m.next_value_seed(I64Seed { ctx, name: "exp" })?),
                _ => jti = Some(m.next_value_seed(StrSeed { ctx, name: "jti" })?),
            }
            Ok(())
        })?;
        let jti: String = required(ctx, jti, "jti")?;
        if jti.is_empty() || jti.len() > MAX_JTI_LEN {
            return Err(ctx.fail(Error::InvalidClaim("jti")));
        }
        Ok(InvocationClaims {
            app: required(ctx, app, "app")?,
            context,
            principal,
            ic_label,
            iss: required(ctx, iss, "iss")?,
            aud: required(ctx, aud, "aud")?,
            iat: required(ctx, iat, "iat")?,
            nbf: required(ctx, nbf, "nbf")?,
            exp: required(ctx, exp, "exp")?,
            jti,
        })
    }
}

impl DecodeObject for App {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        const F: &[&str] = &[
            "id",
            "installationId",
            "apiBaseUrl",
            "version",
            "appVersion",
            "environment",
            "module",
            "installation",
            "license",
        ];
        let (mut id, mut installation_id, mut api_base_url, mut version, mut app_version) =
            (None, None, None, None, None);
        let (mut environment, mut module, mut installation, mut license) = (None, None, None, None);
        let d = depth + 1;
        visit_object(ctx, depth, map, F, |i, m| {
            match i {
                0 => {
                    id = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.id",
                    })?)
                }
                1 => {
                    installation_id = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.installationId",
                    })?)
                }
                2 => {
                    api_base_url = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.apiBaseUrl",
                    })?)
                }
                3 => {
                    version = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.version",
                    })?
                }
                4 => {
                    app_version = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.appVersion",
                    })?
                }
                5 => {
                    environment =
                        m.next_value_seed(OptObjSeed(ObjSeed::new(ctx, "app.environment", d)))?
                }
                6 => module = m.next_value_seed(OptObjSeed(ObjSeed::new(ctx, "app.module", d)))?,
                7 => {
                    installation =
                        m.next_value_seed(OptObjSeed(ObjSeed::new(ctx, "app.installation", d)))?
                }
                _ => {
                    license = m.next_value_seed(OptObjSeed(ObjSeed::new(ctx, "app.license", d)))?
                }
            }
            Ok(())
        })?;
        Ok(App {
            id: required(ctx, id, "app.id")?,
            installation_id: required(ctx, installation_id, "app.installationId")?,
            api_base_url: required(ctx, api_base_url, "app.apiBaseUrl")?,
            version,
            app_version,
            environment,
            module,
            installation,
            license,
        })
    }
}

impl DecodeObject for Environment {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        let (mut type_, mut id) = (None, None);
        visit_object(ctx, depth, map, &["type", "id"], |i, m| {
            match i {
                0 => {
                    type_ = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.environment.type",
                    })?)
                }
                _ => {
                    id = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.environment.id",
                    })?)
                }
            }
            Ok(())
        })?;
        Ok(Environment {
            type_: required(ctx, type_, "app.environment.type")?,
            id: required(ctx, id, "app.environment.id")?,
        })
    }
}

impl DecodeObject for Module {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        let (mut type_, mut key) = (None, None);
        visit_object(ctx, depth, map, &["type", "key"], |i, m| {
            match i {
                0 => {
                    type_ = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.module.type",
                    })?)
                }
                _ => {
                    key = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.module.key",
                    })?)
                }
            }
            Ok(())
        })?;
        Ok(Module {
            type_: required(ctx, type_, "app.module.type")?,
            key: required(ctx, key, "app.module.key")?,
        })
    }
}

impl DecodeObject for Installation {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        let (mut id, mut contexts) = (None, Vec::new());
        visit_object(ctx, depth, map, &["id", "contexts"], |i, m| {
            match i {
                0 => {
                    id = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.installation.id",
                    })?)
                }
                _ => {
                    contexts = m.next_value_seed(ObjListSeed(ObjSeed::new(
                        ctx,
                        "app.installation.contexts",
                        depth + 1,
                    )))?
                }
            }
            Ok(())
        })?;
        Ok(Installation {
            id: required(ctx, id, "app.installation.id")?,
            contexts,
        })
    }
}

impl DecodeObject for InstallationContext {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        const F: &[&str] = &["name", "apiBaseUrl", "cloudId", "workspaceId"];
        let (mut name, mut api_base_url, mut cloud_id, mut workspace_id) = (None, None, None, None);
        visit_object(ctx, depth, map, F, |i, m| {
            match i {
                0 => {
                    name = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.installation.contexts.name",
                    })?)
                }
                1 => {
                    api_base_url = Some(m.next_value_seed(StrSeed {
                        ctx,
                        name: "app.installation.contexts.apiBaseUrl",
                    })?)
                }
                2 => {
                    cloud_id = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.installation.contexts.cloudId",
                    })?
                }
                _ => {
                    workspace_id = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.installation.contexts.workspaceId",
                    })?
                }
            }
            Ok(())
        })?;
        Ok(InstallationContext {
            name: required(ctx, name, "app.installation.contexts.name")?,
            api_base_url: required(ctx, api_base_url, "app.installation.contexts.apiBaseUrl")?,
            cloud_id,
            workspace_id,
        })
    }
}

impl DecodeObject for License {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        const F: &[&str] = &[
            "active",
            "isActive",
            "billingPeriod",
            "capabilitySet",
            "ccpEntitlementId",
            "ccpEntitlementSlug",
            "isEvaluation",
            "subscriptionEndDate",
            "trialEndDate",
            "type",
            "modes",
            "supportEntitlementNumber",
        ];
        let mut l = License::default();
        visit_object(ctx, depth, map, F, |i, m| {
            match i {
                0 => {
                    l.active = m.next_value_seed(OptBoolSeed {
                        ctx,
                        name: "app.license.active",
                    })?
                }
                1 => {
                    l.is_active = m.next_value_seed(OptBoolSeed {
                        ctx,
                        name: "app.license.isActive",
                    })?
                }
                2 => {
                    l.billing_period = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.billingPeriod",
                    })?
                }
                3 => {
                    l.capability_set = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.capabilitySet",
                    })?
                }
                4 => {
                    l.ccp_entitlement_id = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.ccpEntitlementId",
                    })?
                }
                5 => {
                    l.ccp_entitlement_slug = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.ccpEntitlementSlug",
                    })?
                }
                6 => {
                    l.is_evaluation = m.next_value_seed(OptBoolSeed {
                        ctx,
                        name: "app.license.isEvaluation",
                    })?
                }
                7 => {
                    l.subscription_end_date = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.subscriptionEndDate",
                    })?
                }
                8 => {
                    l.trial_end_date = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.trialEndDate",
                    })?
                }
                9 => {
                    l.type_ = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.type",
                    })?
                }
                10 => {
                    l.modes = m.next_value_seed(OptStrListSeed {
                        ctx,
                        name: "app.license.modes",
                    })?
                }
                _ => {
                    l.support_entitlement_number = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "app.license.supportEntitlementNumber",
                    })?
                }
            }
            Ok(())
        })?;
        Ok(l)
    }
}

impl DecodeObject for InvocationContext {
    fn decode<'de, A: MapAccess<'de>>(ctx: &Ctx, depth: usize, map: A) -> Result<Self, A::Error> {
        const F: &[&str] = &[
            "cloudId",
            "workspaceId",
            "siteUrl",
            "localId",
            "moduleKey",
            "extension",
        ];
        let mut c = InvocationContext {
            cloud_id: None,
            workspace_id: None,
            site_url: None,
            local_id: None,
            module_key: None,
            extension: None,
        };
        visit_object(ctx, depth, map, F, |i, m| {
            match i {
                0 => {
                    c.cloud_id = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "context.cloudId",
                    })?
                }
                1 => {
                    c.workspace_id = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "context.workspaceId",
                    })?
                }
                2 => {
                    c.site_url = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "context.siteUrl",
                    })?
                }
                3 => {
                    c.local_id = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "context.localId",
                    })?
                }
                4 => {
                    c.module_key = m.next_value_seed(OptStrSeed {
                        ctx,
                        name: "context.moduleKey",
                    })?
                }
                _ => {
                    c.extension = m.next_value_seed(RawExtension {
                        ctx,
                        depth: depth + 1,
                    })?
                }
            }
            Ok(())
        })?;
        Ok(c)
    }
}

/// Root seed: the payload must be one object.
struct Root<'c, T> {
    ctx: &'c Ctx,
    _t: PhantomData<T>,
}

impl<'de, T: DecodeObject> DeserializeSeed<'de> for Root<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let ctx = self.ctx;
        d.deserialize_map(self)
            .inspect_err(|_| ctx.note(Error::MalformedToken("a segment is not a JSON object")))
    }
}

impl<'de, T: DecodeObject> Visitor<'de> for Root<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::decode(self.ctx, 1, map)
    }
}

/// Decodes FIT claims from the base64url-decoded payload: structure and types only, nothing is trusted yet.
pub(crate) fn decode_claims(payload: &[u8]) -> Result<InvocationClaims, Error> {
    run(payload, TokenPart::Payload, |ctx, de| {
        Root::<InvocationClaims> {
            ctx,
            _t: PhantomData,
        }
        .deserialize(de)
    })
}

/// Root seed for [`decode_object`]: one JSON object, walked by [`StrictValue`].
struct RootMap<'c> {
    ctx: &'c Ctx,
}

impl<'de> DeserializeSeed<'de> for RootMap<'_> {
    type Value = serde_json::Map<String, serde_json::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let ctx = self.ctx;
        d.deserialize_map(self)
            .inspect_err(|_| ctx.note(Error::MalformedToken("a segment is not a JSON object")))
    }
}

impl<'de> Visitor<'de> for RootMap<'_> {
    type Value = serde_json::Map<String, serde_json::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match (StrictValue {
            ctx: self.ctx,
            depth: 1,
        })
        .visit_map(map)?
        {
            serde_json::Value::Object(m) => Ok(m),
            _ => Err(self
                .ctx
                .fail(Error::MalformedToken("a segment is not a JSON object"))),
        }
    }
}

/// Decodes one JSON object with the same strictness as the FIT claims (no duplicate member at any depth, nesting
/// bounded by [`MAX_JSON_DEPTH`], no trailing data) into a map; for the Connect JWT claims, whose types are then
/// checked by the caller.
pub(crate) fn decode_object(
    bytes: &[u8],
    part: TokenPart,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    run(bytes, part, |ctx, de| RootMap { ctx }.deserialize(de))
}

// ---------------------------------------------------------------------------------------------------------------
// JOSE header

/// The JOSE header members we look at. `jku`, `x5u`, `jwk` and `x5c` are walked strictly like any unknown member
/// and then dropped: a key is only ever taken from the configured key store.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) alg: Option<Cow<'a, str>>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) has_crit: bool,
}

impl<'de> DeserializeSeed<'de> for Root<'_, Header<'de>> {
    type Value = Header<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let ctx = self.ctx;
        d.deserialize_map(HeaderVisitor { ctx })
            .inspect_err(|_| ctx.note(Error::MalformedToken("a segment is not a JSON object")))
    }
}

struct HeaderVisitor<'c> {
    ctx: &'c Ctx,
}

impl<'de> Visitor<'de> for HeaderVisitor<'_> {
    type Value = Header<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Borrowed names need the concrete `'de`, so this one object is walked here rather than by `visit_object`.
        let ctx = self.ctx;
        let mut h = Header {
            alg: None,
            kid: None,
            has_crit: false,
        };
        let mut seen = SeenNames::new();
        while let Some(name) = map.next_key_seed(NameSeed)? {
            let which = match name.as_ref() {
                "alg" => 0,
                "kid" => 1,
                "typ" => 2,
                "crit" => 3,
                _ => 4,
            };
            if !seen.insert(name) {
                return Err(ctx.fail(ctx.duplicate()));
            }
            match which {
                0 => h.alg = Some(map.next_value_seed(CowStrSeed { ctx, name: "alg" })?),
                1 => h.kid = Some(map.next_value_seed(CowStrSeed { ctx, name: "kid" })?),
                2 => {
                    map.next_value_seed(CowStrSeed { ctx, name: "typ" })?;
                }
                3 => {
                    h.has_crit = true;
                    map.next_value_seed(Ignore { ctx, depth: 2 })?;
                }
                _ => map.next_value_seed(Ignore { ctx, depth: 2 })?,
            }
        }
        Ok(h)
    }
}

/// Decodes the JOSE header from its base64url-decoded bytes (structure and types only).
pub(crate) fn decode_header(bytes: &[u8]) -> Result<Header<'_>, Error> {
    run(bytes, TokenPart::Header, |ctx, de| {
        Root::<Header<'_>> {
            ctx,
            _t: PhantomData,
        }
        .deserialize(de)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn claims_err(json: &str) -> Error {
        decode_claims(json.as_bytes()).unwrap_err()
    }

    const MIN: &str = r#"{"app":{"id":"a","installationId":"i","apiBaseUrl":"u"},"iss":"s","aud":"x","iat":1,"nbf":1,"exp":2,"jti":"j""#;

    fn with(extra: &str) -> String {
        format!("{MIN}{extra}}}")
    }

    #[test]
    fn strict_objects_for_connect() {
        let m = decode_object(br#"{"a":[1,{"b":2}],"c":null}"#, TokenPart::Payload).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            decode_object(br#"{"a":{"b":1,"\u0062":2}}"#, TokenPart::Payload),
            Err(Error::DuplicateJsonMember(TokenPart::Payload))
        );
        assert_eq!(
            decode_object(b"[1]", TokenPart::Payload),
            Err(Error::MalformedToken("a segment is not a JSON object"))
        );
        assert_eq!(
            decode_object(b"{} x", TokenPart::Payload),
            Err(Error::InvalidJson(TokenPart::Payload))
        );
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            decode_object(deep.as_bytes(), TokenPart::Payload),
            Err(Error::JsonTooDeep(TokenPart::Payload))
        );
    }

    #[test]
    fn minimal_payload_decodes() {
        let c = decode_claims(with("").as_bytes()).unwrap();
        assert_eq!(c.aud, ["x"]);
        assert!(c.context.is_none() && c.principal.is_none());
    }

    #[test]
    fn duplicates_are_found_at_every_level_and_through_escapes() {
        assert_eq!(
            claims_err(&with(r#","exp":3"#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
        assert_eq!(
            claims_err(&with(r#","e\u0078p":3"#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
        assert_eq!(
            claims_err(&with(r#","zz":1,"zz":2"#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
        assert_eq!(
            claims_err(&with(r#","zz":{"a":[{"b":1,"b":1}]}"#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
        assert_eq!(
            claims_err(&with(r#","context":{"extension":{"k":1,"k":1}}"#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
    }

    #[test]
    fn many_distinct_unknown_members_are_fine_and_a_late_duplicate_is_found() {
        let many: String = (0..100).map(|i| format!(",\"m{i}\":{i}")).collect();
        decode_claims(with(&many).as_bytes()).unwrap();
        assert_eq!(
            claims_err(&with(&format!("{many},\"m7\":0"))),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!(
            ",\"z\":{}{}",
            "[".repeat(MAX_JSON_DEPTH - 1),
            "]".repeat(MAX_JSON_DEPTH - 1)
        );
        decode_claims(with(&ok).as_bytes()).unwrap();
        let deep = format!(
            ",\"z\":{}{}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        assert_eq!(
            claims_err(&with(&deep)),
            Error::JsonTooDeep(TokenPart::Payload)
        );
    }

    #[test]
    fn extension_is_raw_text_checked_strictly() {
        let ext = |e: &str| format!(r#","context":{{"extension":{e}}}"#);
        let c =
            decode_claims(with(&ext(r#"{"k":[1,{"a":"\u0078"}],"j":null}"#)).as_bytes()).unwrap();
        let raw = c.context.unwrap().extension.unwrap();
        assert_eq!(raw.get(), r#"{"k":[1,{"a":"\u0078"}],"j":null}"#);
        let c = decode_claims(with(&ext("null")).as_bytes()).unwrap();
        assert!(c.context.unwrap().extension.is_none());
        for dup in [
            r#"{"k":1,"\u006b":2}"#,
            r#"{"a":[{"b":{"c":1,"c":1}}]}"#,
            r#"[{"x":1},{"y":1,"y":2}]"#,
        ] {
            assert_eq!(
                claims_err(&with(&ext(dup))),
                Error::DuplicateJsonMember(TokenPart::Payload),
                "{dup}"
            );
        }
        // Root, `context` and the extension value itself take depths 1 to 3.
        let nested = |n: usize| ext(&format!("{}{}", "[".repeat(n), "]".repeat(n)));
        decode_claims(with(&nested(MAX_JSON_DEPTH - 2)).as_bytes()).unwrap();
        assert_eq!(
            claims_err(&with(&nested(MAX_JSON_DEPTH - 1))),
            Error::JsonTooDeep(TokenPart::Payload)
        );
        assert_eq!(
            claims_err(&with(&ext(r#"{"k":1,}"#))),
            Error::InvalidJson(TokenPart::Payload)
        );
    }

    #[test]
    fn wrong_types_name_the_claim() {
        let cases = [
            (r#"{"exp":"1"}"#, "exp"),
            (r#"{"exp":1.0}"#, "exp"),
            (r#"{"exp":null}"#, "exp"),
            (r#"{"exp":18446744073709551615}"#, "exp"),
            (r#"{"aud":5}"#, "aud"),
            (r#"{"aud":["a",5]}"#, "aud"),
            (r#"{"app":[]}"#, "app"),
            (r#"{"app":{"id":1}}"#, "app.id"),
            (
                r#"{"app":{"license":{"active":"yes"}}}"#,
                "app.license.active",
            ),
            (
                r#"{"app":{"installation":{"contexts":[{"cloudId":1}]}}}"#,
                "app.installation.contexts.cloudId",
            ),
            (r#"{"context":{"siteUrl":{}}}"#, "context.siteUrl"),
            (r#"{"principal":7}"#, "principal"),
        ];
        for (json, name) in cases {
            assert_eq!(claims_err(json), Error::ClaimWrongType(name), "{json}");
        }
    }

    #[test]
    fn syntax_errors_and_non_objects() {
        assert_eq!(
            claims_err(r#"{"exp":"#),
            Error::InvalidJson(TokenPart::Payload)
        );
        assert_eq!(
            claims_err(&format!("{} x", with(""))),
            Error::InvalidJson(TokenPart::Payload)
        );
        assert!(matches!(claims_err("[]"), Error::MalformedToken(_)));
        assert!(matches!(claims_err("1"), Error::MalformedToken(_)));
        assert_eq!(
            decode_claims(b"{\"\xff\":1}").unwrap_err(),
            Error::InvalidJson(TokenPart::Payload)
        );
    }

    #[test]
    fn missing_claims_are_named() {
        assert_eq!(claims_err("{}"), Error::MissingClaim("jti"));
        assert_eq!(claims_err(r#"{"jti":"j"}"#), Error::MissingClaim("app"));
        assert_eq!(
            claims_err(r#"{"jti":"j","app":{"id":"a","apiBaseUrl":"u"}}"#),
            Error::MissingClaim("app.installationId")
        );
    }

    #[test]
    fn header_fields() {
        let h = decode_header(
            br#"{"alg":"RS256","kid":"k\u0031","x5u":"https://evil","crit":["b64"]}"#,
        )
        .unwrap();
        assert_eq!(h.alg.as_deref(), Some("RS256"));
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert!(h.has_crit);
        assert_eq!(
            decode_header(br#"{"alg":1}"#).unwrap_err(),
            Error::MalformedHeader("alg")
        );
        assert_eq!(
            decode_header(br#"{"alg":"a","alg":"a"}"#).unwrap_err(),
            Error::DuplicateJsonMember(TokenPart::Header)
        );
    }
}
