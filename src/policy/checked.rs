//! Deserializers that validate while parsing, so that a bad value is reported at its own
//! line and column.
//!
//! serde_yaml attaches a position to an error only while the value it belongs to is being
//! parsed. Checks made afterwards (serde's `try_from`, or a pass over the finished struct)
//! would lose it, so the checks here run inside the visitor.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// Parses a mapping as `Raw`, then converts it with `TryFrom`, failing at the mapping.
pub(crate) fn checked_map<'de, D, Raw, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    Raw: Deserialize<'de>,
    T: TryFrom<Raw, Error = String>,
{
    struct MapVisitor<Raw, T>(PhantomData<(Raw, T)>);
    impl<'de, Raw, T> Visitor<'de> for MapVisitor<Raw, T>
    where
        Raw: Deserialize<'de>,
        T: TryFrom<Raw, Error = String>,
    {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let raw = Raw::deserialize(de::value::MapAccessDeserializer::new(map))?;
            T::try_from(raw).map_err(de::Error::custom)
        }
    }
    deserializer.deserialize_map(MapVisitor(PhantomData))
}

/// Parses a non-negative whole number and checks it with `check`, failing at the number.
pub(crate) fn checked_u32<'de, D, F>(
    deserializer: D,
    expecting: &'static str,
    check: F,
) -> Result<u32, D::Error>
where
    D: Deserializer<'de>,
    F: Fn(u32) -> Result<(), String>,
{
    struct NumberVisitor<F> {
        expecting: &'static str,
        check: F,
    }
    impl<F: Fn(u32) -> Result<(), String>> Visitor<'_> for NumberVisitor<F> {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
            let v = u32::try_from(v)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))?;
            (self.check)(v).map_err(E::custom)?;
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
            }
        }
    }
    deserializer.deserialize_u64(NumberVisitor { expecting, check })
}

/// Parses a string and converts it with `parse`, failing at the string.
pub(crate) fn checked_str<'de, D, T, F>(
    deserializer: D,
    expecting: &'static str,
    parse: F,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: Fn(&str) -> Result<T, String>,
{
    struct StrVisitor<F> {
        expecting: &'static str,
        parse: F,
    }
    impl<T, F: Fn(&str) -> Result<T, String>> Visitor<'_> for StrVisitor<F> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            (self.parse)(v).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(StrVisitor { expecting, parse })
}
