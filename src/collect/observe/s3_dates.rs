//! S3: the newest and oldest date under a flow-log subtree, and each flow log's newest
//! file, from key names alone (ListObjectsV2; no object is read).
//!
//! Date folders are `YYYY/MM/DD/[HH/]`, or `year=YYYY/month=MM/day=DD/[hour=HH/]` with
//! Hive-compatible partitions. `Delimiter=/` lists one level's folders in key order, so each
//! end of the subtree is a few requests away: years, then that year's months, then that
//! month's days. A flow log's files are named `{account}_vpcflowlogs_{region}_{id}_{time}_
//! {hash}`, so a prefix listing inside a day (or hour) folder finds only its own files.

use chrono::{Days, NaiveDate};

use super::super::attempts::observed;
use super::super::errors;
use crate::snapshot::{ObservationError, S3FlowLogObservation};

/// The most hour folders searched for one flow log's newest file in the per-hour layout,
/// newest first: a silent flow log would otherwise cost 24 requests a day searched.
pub const HOUR_LOOKUPS_PER_FLOW_LOG: usize = 48;

/// One date level of the key path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Year,
    Month,
    Day,
    Hour,
}

impl Level {
    fn hive_key(self) -> &'static str {
        match self {
            Level::Year => "year=",
            Level::Month => "month=",
            Level::Day => "day=",
            Level::Hour => "hour=",
        }
    }
    fn digits(self) -> usize {
        if self == Level::Year { 4 } else { 2 }
    }

    /// The folder name for `value` at this level.
    fn folder(self, value: u32, hive: bool) -> String {
        let width = self.digits();
        if hive {
            format!("{}{value:0width$}/", self.hive_key())
        } else {
            format!("{value:0width$}/")
        }
    }

    /// The value of a folder at this level (`2026/`, `month=11/`), or `None` for a folder
    /// that is not a date of this level.
    fn value(self, folder: &str, hive: bool) -> Option<u32> {
        let name = folder.strip_suffix('/')?;
        let digits = if hive {
            name.strip_prefix(self.hive_key())?
        } else {
            name
        };
        if digits.len() != self.digits() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = digits.parse().ok()?;
        let range = match self {
            Level::Year => 2000..=9999,
            Level::Month => 1..=12,
            Level::Day => 1..=31,
            Level::Hour => 0..=23,
        };
        range.contains(&v).then_some(v)
    }
}

/// The folder of one day under a subtree.
pub fn day_folder(subtree: &str, day: NaiveDate, hive: bool) -> String {
    use chrono::Datelike;
    format!(
        "{subtree}{}{}{}",
        Level::Year.folder(day.year() as u32, hive),
        Level::Month.folder(day.month(), hive),
        Level::Day.folder(day.day(), hive)
    )
}

/// Lists with ListObjectsV2, counting requests.
pub struct Lister<'a> {
    pub client: &'a aws_sdk_s3::Client,
    pub bucket: &'a str,
    pub requests: usize,
}

/// One listing's answer, every page joined.
#[derive(Default)]
struct Listing {
    folders: Vec<String>,
    keys: Vec<(String, Option<String>)>,
}

impl Lister<'_> {
    /// Lists under `prefix`: folders (with `delimiter`) and keys with their storage class.
    /// `max_keys` bounds a page; `all_pages` follows continuation tokens to the end.
    async fn list(
        &mut self,
        prefix: &str,
        delimiter: bool,
        max_keys: i32,
        all_pages: bool,
    ) -> Result<Listing, ObservationError> {
        let mut listing = Listing::default();
        let mut token: Option<String> = None;
        loop {
            let mut request = self
                .client
                .list_objects_v2()
                .bucket(self.bucket)
                .prefix(prefix)
                .max_keys(max_keys)
                .set_continuation_token(token.take());
            if delimiter {
                request = request.delimiter("/");
            }
            self.requests += 1;
            let (answer, attempts) = observed(request.send()).await;
            let page = answer.map_err(|e| {
                let (code, message) = errors::describe(&e, &attempts);
                ObservationError {
                    operation: "ListObjectsV2".to_string(),
                    code,
                    message: format!("listing s3://{}/{prefix}: {message}", self.bucket),
                }
            })?;
            listing.folders.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .filter_map(|p| p.strip_prefix(prefix))
                    .map(str::to_string),
            );
            listing.keys.extend(page.contents().iter().filter_map(|o| {
                Some((
                    o.key()?.to_string(),
                    o.storage_class().map(|c| c.as_str().to_string()),
                ))
            }));
            if !all_pages || page.is_truncated() != Some(true) {
                return Ok(listing);
            }
            match page.next_continuation_token() {
                Some(next) => token = Some(next.to_string()),
                None => {
                    return Err(ObservationError {
                        operation: "ListObjectsV2".to_string(),
                        code: "IncompleteListing".to_string(),
                        message: format!(
                            "listing s3://{}/{prefix} said it was truncated but gave no continuation token",
                            self.bucket
                        ),
                    });
                }
            }
        }
    }

    /// The date values of the folders directly under `parent` at `level`, ascending.
    async fn values(
        &mut self,
        parent: &str,
        level: Level,
        hive: bool,
    ) -> Result<Vec<u32>, ObservationError> {
        let listing = self.list(parent, true, 1000, true).await?;
        let mut values: Vec<u32> = listing
            .folders
            .iter()
            .filter_map(|f| level.value(f, hive))
            .collect();
        values.sort_unstable();
        values.dedup();
        Ok(values)
    }
}

/// The dates at both ends of a subtree.
#[derive(Debug, Default, PartialEq)]
pub struct Ends {
    pub newest: Option<NaiveDate>,
    pub oldest: Option<NaiveDate>,
    pub oldest_storage_class: Option<String>,
}

/// Descends from the subtree's years to its newest and oldest day, and reads the storage
/// class of the first object of the oldest day. At most seven requests when no level spans
/// more than one page.
pub async fn ends(
    lister: &mut Lister<'_>,
    subtree: &str,
    hive: bool,
) -> Result<Ends, ObservationError> {
    let years = lister.values(subtree, Level::Year, hive).await?;
    let (Some(&first_year), Some(&last_year)) = (years.first(), years.last()) else {
        return Ok(Ends::default());
    };
    let newest = day_at_end(lister, subtree, last_year, hive, End::Newest).await?;
    let oldest = day_at_end(lister, subtree, first_year, hive, End::Oldest).await?;
    let mut storage_class = None;
    if let Some(day) = oldest {
        let listing = lister
            .list(&day_folder(subtree, day, hive), false, 1, false)
            .await?;
        // S3 leaves the class out for STANDARD.
        storage_class = listing
            .keys
            .first()
            .map(|(_, class)| class.clone().unwrap_or_else(|| "STANDARD".to_string()));
    }
    Ok(Ends {
        newest,
        oldest,
        oldest_storage_class: storage_class,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum End {
    Newest,
    Oldest,
}

/// The newest or oldest day folder of one year.
async fn day_at_end(
    lister: &mut Lister<'_>,
    subtree: &str,
    year: u32,
    hive: bool,
    end: End,
) -> Result<Option<NaiveDate>, ObservationError> {
    let pick = |values: &[u32]| match end {
        End::Newest => values.last().copied(),
        End::Oldest => values.first().copied(),
    };
    let year_folder = format!("{subtree}{}", Level::Year.folder(year, hive));
    let months = lister.values(&year_folder, Level::Month, hive).await?;
    let Some(month) = pick(&months) else {
        return Ok(None);
    };
    let month_folder = format!("{year_folder}{}", Level::Month.folder(month, hive));
    let days = lister.values(&month_folder, Level::Day, hive).await?;
    Ok(pick(&days).and_then(|day| NaiveDate::from_ymd_opt(year as i32, month, day)))
}

/// The time in a flow-log file name (`..._20261130T1305Z_...`), as RFC 3339.
pub fn file_time(key: &str) -> Option<String> {
    let name = key.rsplit('/').next()?;
    name.split('_').find_map(|part| {
        let t = chrono::NaiveDateTime::parse_from_str(part, "%Y%m%dT%H%MZ").ok()?;
        (part.len() == 14).then(|| t.format("%Y-%m-%dT%H:%M:00Z").to_string())
    })
}

/// What to look for: one flow log's files in a subtree.
pub struct FlowLogFiles<'a> {
    pub flow_log_id: &'a str,
    pub account_id: &'a str,
    pub region: &'a str,
    /// From the flow log's DestinationOptions; `None` when it has none recorded, and then
    /// hour folders are looked in when a day folder holds no file of its own.
    pub per_hour: Option<bool>,
}

/// Days searched beyond the look-back window when it held no file of the flow log, only to
/// give the time of its last record; a silent flow log costs at most this many more
/// listings.
pub const EXTRA_DAYS_FOR_LAST_RECORD: u32 = 7;

/// Finds a flow log's newest file, looking in the day folders from `today` back `days`
/// days, newest first, and stopping at the first that holds one; when none does, up to
/// `EXTRA_DAYS_FOR_LAST_RECORD` more, for the time of its last record. Never before
/// `oldest_present`, the subtree's oldest day (nothing is there before it; an empty subtree
/// is not searched). A listing is a prefix listing of the flow log's own file names, never
/// of a whole day.
pub async fn newest_file(
    lister: &mut Lister<'_>,
    subtree: &str,
    hive: bool,
    files: &FlowLogFiles<'_>,
    (today, days): (NaiveDate, u32),
    oldest_present: Option<NaiveDate>,
) -> S3FlowLogObservation {
    let name_prefix = format!(
        "{}_vpcflowlogs_{}_{}_",
        files.account_id, files.region, files.flow_log_id
    );
    let back = |n: u32| {
        today
            .checked_sub_days(Days::new(u64::from(n)))
            .unwrap_or(today)
    };
    let window_start = back(days.saturating_sub(1));
    let search_start = back(days.saturating_sub(1) + EXTRA_DAYS_FOR_LAST_RECORD);
    let mut seen = S3FlowLogObservation {
        flow_log_id: files.flow_log_id.to_string(),
        newest_record: None,
        newest_key: None,
        searched_since: window_start.to_string(),
        error: None,
    };
    let Some(oldest_present) = oldest_present else {
        return seen; // The subtree holds nothing at all.
    };
    let stop = search_start.max(oldest_present);
    let mut hour_lookups = 0;
    let mut day = today;
    while day >= stop {
        let folder = day_folder(subtree, day, hive);
        let found = match files.per_hour {
            Some(true) => Ok(None),
            _ => newest_key(lister, &format!("{folder}{name_prefix}")).await,
        };
        let found = match found {
            Ok(None) if files.per_hour != Some(false) => {
                in_hour_folders(lister, &folder, hive, &name_prefix, &mut hour_lookups).await
            }
            other => other,
        };
        match found {
            Ok(Some(key)) => {
                seen.newest_record = file_time(&key);
                seen.newest_key = Some(key);
                return seen;
            }
            Ok(None) => {}
            Err(e) => {
                seen.error = Some(e);
                return seen;
            }
        }
        let Some(previous) = day.pred_opt() else {
            break;
        };
        day = previous;
    }
    seen.searched_since = stop.min(window_start).to_string();
    seen
}

/// The last key under `prefix`, every page read (a flow log writes a few hundred files a
/// day, so one page of 1,000 usually holds them all).
async fn newest_key(
    lister: &mut Lister<'_>,
    prefix: &str,
) -> Result<Option<String>, ObservationError> {
    let listing = lister.list(prefix, false, 1000, true).await?;
    Ok(listing.keys.into_iter().map(|(k, _)| k).max())
}

/// The newest file under a day's hour folders, newest hour first.
async fn in_hour_folders(
    lister: &mut Lister<'_>,
    day_folder: &str,
    hive: bool,
    name_prefix: &str,
    lookups: &mut usize,
) -> Result<Option<String>, ObservationError> {
    let hours = lister.values(day_folder, Level::Hour, hive).await?;
    for hour in hours.into_iter().rev() {
        if *lookups >= HOUR_LOOKUPS_PER_FLOW_LOG {
            return Err(ObservationError {
                operation: "ListObjectsV2".to_string(),
                code: "LookupBoundReached".to_string(),
                message: format!(
                    "no file of this flow log in the newest {HOUR_LOOKUPS_PER_FLOW_LOG} hour folders searched; older hours were not looked in"
                ),
            });
        }
        *lookups += 1;
        let folder = format!("{day_folder}{}", Level::Hour.folder(hour, hive));
        if let Some(key) = newest_key(lister, &format!("{folder}{name_prefix}")).await? {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_folders_are_read_in_both_layouts() {
        assert_eq!(Level::Year.value("2026/", false), Some(2026));
        assert_eq!(Level::Month.value("month=11/", true), Some(11));
        assert_eq!(Level::Day.value("31/", false), Some(31));
        assert_eq!(Level::Hour.value("hour=00/", true), Some(0));
        for junk in ["2026", "26/", "13/", "x=11/", "month=1/", "abcd/"] {
            assert_eq!(Level::Month.value(junk, junk.contains('=')), None, "{junk}");
        }
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(day_folder("p/", day, false), "p/2026/03/09/");
        assert_eq!(day_folder("p/", day, true), "p/year=2026/month=03/day=09/");
    }

    #[test]
    fn the_time_comes_from_the_file_name() {
        assert_eq!(
            file_time(
                "AWSLogs/111/vpcflowlogs/us-east-1/2026/11/30/111_vpcflowlogs_us-east-1_fl-0abc_20261130T1305Z_0f1e2d3c.log.gz"
            ),
            Some("2026-11-30T13:05:00Z".to_string())
        );
        assert_eq!(
            file_time("x/111_vpcflowlogs_eu-west-1_fl-1_20260102T0000Z_ab.parquet"),
            Some("2026-01-02T00:00:00Z".to_string())
        );
        assert_eq!(file_time("x/notes.txt"), None);
    }
}
