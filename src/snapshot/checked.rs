//! Values AWS never returns, rejected where they are read.
//!
//! A snapshot with such a value was edited or corrupted. Judging it would turn nonsense into
//! a verdict (a lifecycle `Date` that does not parse would read as "never expires", a
//! retention of -1 days as a short one), so loading fails instead. Each check runs inside
//! its visitor, so that serde_json puts the value's own line and column in the message.

use std::fmt;

use chrono::{DateTime, NaiveDate};
use serde::Deserializer;
use serde::de::{self, Visitor};

/// Reads an optional whole number and rejects it with `check`'s message. The check runs
/// inside the visitor, so that serde_json reports the number's own line and column.
fn checked<'de, D, C>(d: D, check: C) -> Result<Option<i32>, D::Error>
where
    D: Deserializer<'de>,
    C: Fn(&i32) -> Result<(), String>,
{
    struct Number<C>(C);
    impl<C: Fn(&i32) -> Result<(), String>> Visitor<'_> for Number<C> {
        type Value = i32;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
            let v = i32::try_from(v)
                .map_err(|_| E::custom(format!("{v} is out of range for this field")))?;
            (self.0)(&v).map_err(E::custom)?;
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
            self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
        }
    }
    struct Optional<C>(C);
    impl<'de, C: Fn(&i32) -> Result<(), String>> Visitor<'de> for Optional<C> {
        type Value = Option<i32>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<i32>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<i32>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<i32>, D2::Error> {
            d.deserialize_i64(Number(self.0)).map(Some)
        }
    }
    d.deserialize_option(Optional(check))
}

/// The largest retention CloudWatch Logs offers (ten years).
const MAX_RETENTION_DAYS: i32 =
    crate::aws::CLOUDWATCH_RETENTION_DAYS[crate::aws::CLOUDWATCH_RETENTION_DAYS.len() - 1] as i32;

/// CloudWatch Logs `retentionInDays`: absent (never expire) or 1 to 3653.
pub fn retention_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    checked(d, |&v: &i32| {
        if (1..=MAX_RETENTION_DAYS).contains(&v) {
            Ok(())
        } else {
            Err(format!(
                "retentionInDays {v} is not a retention CloudWatch Logs returns; expected 1 to \
                 {MAX_RETENTION_DAYS} days, or no retentionInDays for a group that never expires"
            ))
        }
    })
}

/// Expiration and noncurrent-version `Days`: S3 accepts only positive values.
pub fn positive_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    checked(d, |&v: &i32| {
        if v >= 1 {
            Ok(())
        } else {
            Err(format!(
                "Days {v} is not a lifecycle value S3 returns; expected a whole number of days of at least 1"
            ))
        }
    })
}

/// Transition `Days`: 0 (move on the day of creation) or more.
pub fn non_negative_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    checked(d, |&v: &i32| {
        if v >= 0 {
            Ok(())
        } else {
            Err(format!(
                "transition Days {v} is not a lifecycle value S3 returns; expected 0 or more"
            ))
        }
    })
}

/// `NewerNoncurrentVersions`: 1 to 100.
pub fn newer_noncurrent_versions<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    checked(d, |&v: &i32| {
        if (1..=100).contains(&v) {
            Ok(())
        } else {
            Err(format!(
                "NewerNoncurrentVersions {v} is not a value S3 returns; expected 1 to 100"
            ))
        }
    })
}

/// Parses a lifecycle `Date`: `YYYY-MM-DD`, or an RFC 3339 time such as
/// `2027-01-01T00:00:00Z` (the SDK's form).
pub fn parse_lifecycle_date(text: &str) -> Option<NaiveDate> {
    if text.len() == 10 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.date_naive())
}

/// A lifecycle `Date` that parses as a real calendar date, checked inside the visitor.
pub fn lifecycle_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Date;
    impl Visitor<'_> for Date {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a date")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            match parse_lifecycle_date(v) {
                Some(_) => Ok(v.to_string()),
                None => Err(E::custom(format!(
                    "Date `{v}` is not a date; expected YYYY-MM-DD or an RFC 3339 time such as 2027-01-01T00:00:00Z"
                ))),
            }
        }
    }
    struct Optional;
    impl<'de> Visitor<'de> for Optional {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a date or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<String>, D2::Error> {
            d.deserialize_str(Date).map(Some)
        }
    }
    d.deserialize_option(Optional)
}

#[cfg(test)]
mod tests {
    use super::parse_lifecycle_date;

    #[test]
    fn lifecycle_dates() {
        assert!(parse_lifecycle_date("2027-01-01").is_some());
        assert!(parse_lifecycle_date("2027-01-01T00:00:00Z").is_some());
        assert!(parse_lifecycle_date("2027-01-01T00:00:00.000Z").is_some());
        assert!(parse_lifecycle_date("2027-02-30").is_none());
        assert!(parse_lifecycle_date("not-a-date").is_none());
        assert!(parse_lifecycle_date("2027-02-30T00:00:00Z").is_none());
    }
}
