//! Glue schedules (`cron(0 2 * * ? *)`: minutes, hours, day of month, month, day of
//! week, year) as the five-field cron expressions OpenMetadata shows in
//! `scheduleInterval` (`0 2 * * *`).
//!
//! `?` becomes `*`; numeric days of week move from AWS's 1-7 (Sunday = 1) to cron's
//! 0-6 (Sunday = 0); names (`MON-FRI`) and the `L`, `W` and `#` extensions are kept.
//! A schedule that names years, or that is not a `cron(...)` of six fields, is
//! returned as written: it is still the truth, only not in cron's words.

/// The cron expression for a Glue schedule expression.
pub fn cron_expression(glue: &str) -> String {
    let trimmed = glue.trim();
    let Some(inner) = trimmed
        .strip_prefix("cron(")
        .and_then(|s| s.strip_suffix(')'))
    else {
        return trimmed.to_string();
    };
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, year] = fields[..] else {
        return trimmed.to_string();
    };
    if year != "*" && year != "?" {
        return trimmed.to_string();
    }
    let any = |f: &str| {
        if f == "?" {
            "*".to_string()
        } else {
            f.to_string()
        }
    };
    format!(
        "{} {} {} {} {}",
        any(minutes),
        any(hours),
        any(dom),
        any(month),
        any(&shift_days_of_week(dow))
    )
}

/// AWS numbers days of week 1-7 from Sunday; cron 0-6. Numbers after `#` (the
/// n-th weekday) or `/` (a step) are counts, not days, and stay.
fn shift_days_of_week(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut digits = String::new();
    let mut prev = ' ';
    let flush = |digits: &mut String, out: &mut String, after: char| {
        if digits.is_empty() {
            return;
        }
        match digits.parse::<u32>() {
            Ok(d @ 1..=7) if after != '#' && after != '/' => out.push_str(&(d - 1).to_string()),
            _ => out.push_str(digits),
        }
        digits.clear();
    };
    let mut before_number = ' ';
    for c in field.chars() {
        if c.is_ascii_digit() {
            if digits.is_empty() {
                before_number = prev;
            }
            digits.push(c);
        } else {
            flush(&mut digits, &mut out, before_number);
            out.push(c);
        }
        prev = c;
    }
    flush(&mut digits, &mut out, before_number);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_cron_to_five_fields() {
        assert_eq!(cron_expression("cron(0 2 * * ? *)"), "0 2 * * *");
        assert_eq!(cron_expression("cron(15 12 * * ? *)"), "15 12 * * *");
        assert_eq!(cron_expression("cron(0 6 ? * MON *)"), "0 6 * * MON");
        assert_eq!(
            cron_expression("cron(0 18 ? * MON-FRI *)"),
            "0 18 * * MON-FRI"
        );
        assert_eq!(cron_expression("cron(0/15 * ? * 2-6 *)"), "0/15 * * * 1-5");
        assert_eq!(cron_expression("cron(0 8 ? * 1,7 *)"), "0 8 * * 0,6");
        assert_eq!(cron_expression("cron(0 8 ? * 6#3 *)"), "0 8 * * 5#3");
        assert_eq!(cron_expression("cron(0 8 ? * 2/2 *)"), "0 8 * * 1/2");
        assert_eq!(cron_expression("cron(0 0 L * ? *)"), "0 0 L * *");
    }

    #[test]
    fn what_cron_cannot_say_is_kept_as_written() {
        assert_eq!(
            cron_expression("cron(0 10 * * ? 2026)"),
            "cron(0 10 * * ? 2026)"
        );
        assert_eq!(cron_expression("rate(5 minutes)"), "rate(5 minutes)");
        assert_eq!(cron_expression("cron(0 10 * *)"), "cron(0 10 * *)");
    }
}
