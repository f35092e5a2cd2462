//! `metadata.dbt_schema_version`: which artifact a file is and which layout it has.
//!
//! The readers accept every known layout at once (old and new field names side by
//! side), so the version decides only whether a warning is due, never how to parse.

use crate::error::{ArtifactKind, Error, Warning};

/// `https://schemas.getdbt.com/dbt/<segment>/v<number>.json`, as dbt writes it.
pub fn schema_version_url(kind: ArtifactKind, number: u32) -> String {
    format!(
        "https://schemas.getdbt.com/dbt/{}/v{number}.json",
        kind.schema_segment()
    )
}

const ALL_KINDS: [ArtifactKind; 4] = [
    ArtifactKind::Manifest,
    ArtifactKind::Catalog,
    ArtifactKind::RunResults,
    ArtifactKind::Sources,
];

fn kind_of_segment(segment: &str) -> Option<ArtifactKind> {
    // Some tools write `run_results` for dbt's `run-results`.
    let segment = if segment == "run_results" {
        "run-results"
    } else {
        segment
    };
    ALL_KINDS
        .into_iter()
        .find(|k| k.schema_segment() == segment)
}

/// The schema version number of `found` for an artifact of `kind`, and a warning
/// when it is absent, malformed or not a known one. A version naming another kind of
/// artifact is an error: reading a catalog as a manifest would only give nonsense.
pub(crate) fn check(
    kind: ArtifactKind,
    file: &str,
    found: Option<&str>,
) -> Result<(Option<u32>, Option<Warning>), Error> {
    let read_as = kind.newest_version();
    let unrecognised = |detail: String| Warning::UnrecognisedSchemaVersion {
        kind,
        file: file.to_string(),
        detail,
        read_as,
    };
    let Some(found) = found.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok((
            None,
            Some(unrecognised(
                "metadata.dbt_schema_version is missing".to_string(),
            )),
        ));
    };
    let path = found.strip_suffix(".json").unwrap_or(found);
    let mut parts = path.rsplit('/');
    let number = parts
        .next()
        .and_then(|last| last.strip_prefix('v').or_else(|| last.strip_prefix('V')))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u32>().ok());
    let segment = parts.next();
    if let Some(other) = segment.and_then(kind_of_segment)
        && other != kind
    {
        return Err(Error::WrongArtifact {
            expected: kind,
            file: file.to_string(),
            found: found.to_string(),
        });
    }
    let Some(number) = number.filter(|_| segment.and_then(kind_of_segment) == Some(kind)) else {
        return Ok((
            None,
            Some(unrecognised(format!(
                "metadata.dbt_schema_version `{found}` is not of the form `{}`",
                schema_version_url(kind, read_as)
            ))),
        ));
    };
    if kind.known_versions().contains(&number) {
        return Ok((Some(number), None));
    }
    let known = kind
        .known_versions()
        .iter()
        .map(|v| format!("v{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        Some(number),
        Some(Warning::UnknownSchemaVersion {
            kind,
            file: file.to_string(),
            found: number,
            read_as,
            known,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_version_passes_without_warning() {
        for kind in ALL_KINDS {
            for &v in kind.known_versions() {
                let url = schema_version_url(kind, v);
                let (number, warning) = check(kind, "f.json", Some(&url)).unwrap();
                assert_eq!(number, Some(v), "{url}");
                assert!(warning.is_none(), "{url}: {warning:?}");
            }
        }
    }

    #[test]
    fn unknown_versions_warn_and_name_the_layout_used() {
        for (kind, v) in [
            (ArtifactKind::Manifest, 13),
            (ArtifactKind::Manifest, 21),
            (ArtifactKind::Catalog, 2),
            (ArtifactKind::RunResults, 7),
            (ArtifactKind::Sources, 4),
        ] {
            let url = schema_version_url(kind, v);
            let (number, warning) = check(kind, "t/f.json", Some(&url)).unwrap();
            assert_eq!(number, Some(v));
            let text = warning.expect("a warning").to_string();
            let newest = format!("v{} layout", kind.newest_version());
            assert!(text.contains(&format!("schema v{v} ")), "{text}");
            assert!(text.contains(&newest), "{text}");
            assert!(text.starts_with("t/f.json: "), "{text}");
        }
    }

    #[test]
    fn missing_or_odd_versions_warn() {
        let (n, w) = check(ArtifactKind::Manifest, "m.json", None).unwrap();
        assert_eq!(n, None);
        assert!(
            w.unwrap()
                .to_string()
                .contains("dbt_schema_version is missing")
        );
        let (n, w) = check(ArtifactKind::Manifest, "m.json", Some("latest")).unwrap();
        assert_eq!(n, None);
        assert!(
            w.unwrap()
                .to_string()
                .contains("`latest` is not of the form")
        );
    }

    #[test]
    fn another_artifact_is_an_error() {
        let url = schema_version_url(ArtifactKind::Catalog, 1);
        let err = check(ArtifactKind::Manifest, "target/x.json", Some(&url)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "target/x.json is not a dbt manifest: its metadata.dbt_schema_version is \
             `https://schemas.getdbt.com/dbt/catalog/v1.json` (a manifest has \
             `https://schemas.getdbt.com/dbt/manifest/vN.json`)"
        );
    }
}
