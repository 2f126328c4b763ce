//! The `records` section: what the records themselves must show, judged from what
//! `--observe` saw at the destinations (see `crate::rules::records`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::checked::checked_str;

/// Checks on the records at the destinations. Off unless the section is set.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsRequirement {
    /// The longest an ACTIVE flow log may go without a new record at its destination
    /// (REC001), e.g. `24h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_silence: Option<Silence>,
    /// Whether the oldest records kept in S3 must agree with `s3.expiration_days`
    /// (REC002 and REC003).
    #[serde(default)]
    pub verify_retention: bool,
}

/// A length of time written as a whole number of minutes, hours or days: `90m`, `24h`,
/// `2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Silence {
    pub minutes: u32,
    /// The unit it was written in (`m`, `h` or `d`), to print it back the same way.
    unit: char,
}

impl Silence {
    /// Whole days that a search must look back to see this far (at least one).
    pub fn days_rounded_up(self) -> u32 {
        self.minutes.div_ceil(24 * 60).max(1)
    }
}

impl fmt::Display for Silence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_unit = match self.unit {
            'd' => 24 * 60,
            'h' => 60,
            _ => 1,
        };
        write!(f, "{}{}", self.minutes / per_unit, self.unit)
    }
}

impl std::str::FromStr for Silence {
    type Err = String;
    fn from_str(text: &str) -> Result<Silence, String> {
        let expected = || {
            format!(
                "`{text}` is not a length of time: expected a whole number followed by m, h or d, such as 90m, 24h or 2d"
            )
        };
        let unit_at = text.len().checked_sub(1).ok_or_else(expected)?;
        let (number, unit) = text.split_at(unit_at);
        let number: u32 = number.parse().map_err(|_| expected())?;
        let (per_unit, unit) = match unit {
            "m" => (1, 'm'),
            "h" => (60, 'h'),
            "d" => (24 * 60, 'd'),
            _ => return Err(expected()),
        };
        let minutes = number.checked_mul(per_unit).ok_or_else(expected)?;
        // Flow logs publish every 5 or 10 minutes, and CloudWatch's lastEventTimestamp may
        // lag an hour: anything shorter would fail flow logs that work.
        if minutes < 60 {
            return Err(format!(
                "max_silence `{text}` is under an hour; flow logs publish every 5 to 10 minutes and CloudWatch Logs may report an event up to an hour late, so use 1h or more"
            ));
        }
        Ok(Silence { minutes, unit })
    }
}

impl<'de> Deserialize<'de> for Silence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, "a length of time such as 24h", str::parse)
    }
}

impl Serialize for Silence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_time_parse_and_print_back() {
        for (text, minutes) in [
            ("90m", 90),
            ("24h", 1440),
            ("1d", 1440),
            ("2d", 2880),
            ("36h", 2160),
        ] {
            let s: Silence = text.parse().unwrap();
            assert_eq!(s.minutes, minutes);
            assert_eq!(s.to_string(), text);
        }
        assert_eq!("36h".parse::<Silence>().unwrap().days_rounded_up(), 2);
        for bad in ["", "h", "24", "24x", "-1h", "30m", "1.5h"] {
            assert!(bad.parse::<Silence>().is_err(), "{bad}");
        }
    }
}
