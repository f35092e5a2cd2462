//! dbt's timestamps to epoch milliseconds (what OpenMetadata's test results take).

/// Parses the timestamps dbt writes — `2026-11-23T15:08:09.399755Z`,
/// `2026-11-23T05:07:51.943368+00:00`, `2021-02-10T04:42:33.678063` (no zone:
/// UTC), a space instead of `T`, any number of fraction digits — into milliseconds
/// since the Unix epoch, the fraction truncated. `None` when it is not one.
pub fn parse_timestamp_millis(text: &str) -> Option<i64> {
    let s = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = s.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut pos = 19;
    let mut millis = 0;
    if s.get(pos) == Some(&b'.') {
        let start = pos + 1;
        pos = start;
        while s.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == start {
            return None;
        }
        // Truncated to milliseconds, as OpenMetadata's reference does.
        let mut digits = [b'0'; 3];
        for (d, &b) in digits.iter_mut().zip(&s[start..pos]) {
            *d = b;
        }
        millis = std::str::from_utf8(&digits).ok()?.parse::<i64>().ok()?;
    }
    let offset_minutes = match s.get(pos) {
        None => 0,
        Some(b'Z' | b'z') if pos + 1 == s.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &s[pos + 1..];
            let (h, m) = match rest.len() {
                2 => (num(pos + 1..pos + 3)?, 0),
                4 => (num(pos + 1..pos + 3)?, num(pos + 3..pos + 5)?),
                5 if rest[2] == b':' => (num(pos + 1..pos + 3)?, num(pos + 4..pos + 6)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if sign == b'-' { -minutes } else { minutes }
        }
        Some(_) => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date, counting 400-year eras of
/// 146097 days from 0000-03-01.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp_millis as ms;

    #[test]
    fn dbt_spellings() {
        // 2026-11-23T15:08:09Z = 1795446489 s.
        assert_eq!(ms("2026-11-23T15:08:09.399755Z"), Some(1_795_446_489_399));
        assert_eq!(ms("2026-11-23T15:08:09Z"), Some(1_795_446_489_000));
        assert_eq!(ms("2026-11-23T15:08:09.3Z"), Some(1_795_446_489_300));
        assert_eq!(ms("2026-11-23 15:08:09.399"), Some(1_795_446_489_399));
        assert_eq!(
            ms("2026-11-23T15:08:09.399755+00:00"),
            Some(1_795_446_489_399)
        );
        assert_eq!(ms("2026-11-23T17:08:09+02:00"), Some(1_795_446_489_000));
        assert_eq!(ms("2026-11-23T13:08:09-0200"), Some(1_795_446_489_000));
        assert_eq!(ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(ms("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(ms("1969-12-31T23:59:59.5Z"), Some(-500));
    }

    #[test]
    fn not_timestamps() {
        for bad in [
            "",
            "yesterday",
            "2026-11-23",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T15:08:09.Z",
            "2026-11-23T15:08:09ZZ",
            "2026-11-23T15:08:09+2",
            "2026-11-23X15:08:09Z",
        ] {
            assert_eq!(ms(bad), None, "{bad}");
        }
    }
}
