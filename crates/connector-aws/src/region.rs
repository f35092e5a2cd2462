//! Checks an `awsRegion` value before any request is made, so that a typo or an
//! availability zone gives a message about the setting instead of a DNS failure.

use crate::error::AwsError;

/// Regions of the public, China and GovCloud partitions known when this was
/// written. A region that is not listed but has the shape of one is accepted with a
/// warning, so that a region AWS opens later works without a new omctl.
const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// What [`check_region`] concluded about a region that is usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionCheck {
    Known,
    /// Shaped like a region but not in the list above.
    Unlisted,
}

/// Accepts `us-east-1`-shaped names: a lowercase prefix of two to four letters, one
/// or more lowercase words, and a number.
fn has_region_shape(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    if parts.len() < 3 {
        return false;
    }
    let (first, rest) = parts.split_first().expect("at least three parts");
    let (last, middle) = rest.split_last().expect("at least two parts");
    let is_word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    (2..=4).contains(&first.len())
        && is_word(first)
        && middle.iter().all(|p| is_word(p))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// Validates `awsRegion`.
pub fn check_region(region: &str) -> Result<RegionCheck, AwsError> {
    if KNOWN_REGIONS.contains(&region) {
        return Ok(RegionCheck::Known);
    }
    if has_region_shape(region) {
        return Ok(RegionCheck::Unlisted);
    }
    let invalid = |hint: String| AwsError::InvalidRegion {
        region: region.to_string(),
        hint,
    };
    if region.trim().is_empty() {
        return Err(invalid(
            "the region is empty; set awsRegion, for example `us-east-1`".into(),
        ));
    }
    // `us-east-1a`: a zone is a region name followed by one letter.
    if let Some(stripped) = region.strip_suffix(|c: char| c.is_ascii_lowercase())
        && (KNOWN_REGIONS.contains(&stripped) || has_region_shape(stripped))
    {
        return Err(invalid(format!(
            "this looks like an availability zone rather than a region; use `{stripped}`"
        )));
    }
    let lower = region.trim().to_ascii_lowercase();
    if lower != region && (KNOWN_REGIONS.contains(&lower.as_str()) || has_region_shape(&lower)) {
        return Err(invalid(format!(
            "region names are lowercase without spaces; use `{lower}`"
        )));
    }
    Err(invalid(
        "not an AWS region name; expected something like `us-east-1` or `eu-west-2`".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_future_regions_pass() {
        assert_eq!(check_region("us-east-2").unwrap(), RegionCheck::Known);
        assert_eq!(check_region("us-gov-west-1").unwrap(), RegionCheck::Known);
        assert_eq!(
            check_region("eusc-de-east-1").unwrap(),
            RegionCheck::Unlisted
        );
        assert_eq!(
            check_region("ap-southeast-9").unwrap(),
            RegionCheck::Unlisted
        );
    }

    #[test]
    fn zone_typo_and_garbage_fail_with_a_hint() {
        let zone = check_region("us-east-1a").unwrap_err().to_string();
        assert!(
            zone.contains("availability zone") && zone.contains("`us-east-1`"),
            "{zone}"
        );
        let upper = check_region("US-EAST-1").unwrap_err().to_string();
        assert!(upper.contains("`us-east-1`"), "{upper}");
        let junk = check_region("virginia").unwrap_err().to_string();
        assert!(
            junk.contains("'virginia'") && junk.contains("us-east-1"),
            "{junk}"
        );
        assert!(check_region("").is_err());
        assert!(check_region("us-east-").is_err());
        assert!(check_region("us-east-123").is_err());
    }
}
