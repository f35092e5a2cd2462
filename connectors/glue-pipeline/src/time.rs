//! Glue timestamps as OpenMetadata wants them: epoch milliseconds for statuses,
//! ISO 8601 for a pipeline's `startDate`.

use aws_smithy_types::DateTime;

/// Epoch milliseconds, rounded: Glue sends fractional epoch seconds
/// (`1727716079.185`), which a binary float holds as `…079.18499…`.
pub fn millis(t: &DateTime) -> i64 {
    t.secs() * 1000 + (i64::from(t.subsec_nanos()) + 500_000) / 1_000_000
}

/// `2024-09-30T17:07:59.185Z` (UTC; milliseconds only when there are some).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if milli == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
    }
}

/// Now, in epoch milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_example_and_edges() {
        // StartedOn 2024-09-30 17:07:59.185 UTC -> 1727716079185 (upstream's observation).
        let t = DateTime::from_millis(1_727_716_079_185);
        assert_eq!(millis(&t), 1_727_716_079_185);
        assert_eq!(
            millis(&DateTime::from_fractional_secs(1_727_716_079, 0.185)),
            1_727_716_079_185
        );
        assert_eq!(
            millis(&DateTime::from_secs_f64(1_727_716_079.185)),
            1_727_716_079_185
        );
        assert_eq!(iso8601(1_727_716_079_185), "2024-09-30T17:07:59.185Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
