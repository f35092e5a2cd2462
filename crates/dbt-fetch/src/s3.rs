//! `dbtConfigType: s3`: list the bucket under the prefix, group the artifacts by
//! directory, keep only the latest of sibling folders named with a date, and
//! download each directory that holds a `manifest.json`.

use std::collections::{BTreeMap, HashMap};

use connector_aws::s3::S3Reader;
use connector_aws::{AwsClient, AwsSettings};
use dbt_artifacts::{ArtifactKind, ArtifactLocation, ArtifactPaths};
use om_spec::generated::metadata_ingestion::dbtconfig::dbt_s3_config::DbtS3Config;

use crate::store::{Downloads, FileSink};
use crate::{ArtifactSet, FetchError, FetchOptions, Fetched, non_empty};

/// The artifacts found in one directory, as object keys.
#[derive(Debug, Default, Clone, PartialEq)]
struct DirArtifacts {
    manifest: Option<String>,
    catalog: Option<String>,
    sources: Option<String>,
    /// `run_results.json` first, then by key.
    run_results: Vec<String>,
}

impl DirArtifacts {
    /// Files a directory without a manifest holds, for the warning about it.
    fn names(&self) -> Vec<&str> {
        self.catalog
            .iter()
            .chain(&self.sources)
            .chain(&self.run_results)
            .map(|k| split(k).1)
            .collect()
    }
}

/// (directory, basename) of a key; the directory of a top-level key is "".
fn split(key: &str) -> (&str, &str) {
    match key.rfind('/') {
        Some(i) => (&key[..i], &key[i + 1..]),
        None => ("", key),
    }
}

/// Files a key into its directory's artifacts when its name is one dbt writes:
/// `manifest.json`, `catalog.json`, `sources.json` (any case), or a name holding
/// `run_results`.
fn add_key(groups: &mut BTreeMap<String, DirArtifacts>, key: &str) {
    let (dir, base) = split(key);
    let lower = base.to_ascii_lowercase();
    let is_artifact = matches!(
        lower.as_str(),
        "manifest.json" | "catalog.json" | "sources.json"
    ) || lower.contains("run_results");
    if !is_artifact {
        return;
    }
    let entry = groups.entry(dir.to_string()).or_default();
    // The first of names that differ only in case wins (listing is in key order).
    match lower.as_str() {
        "manifest.json" => {
            entry.manifest.get_or_insert_with(|| key.to_string());
        }
        "catalog.json" => {
            entry.catalog.get_or_insert_with(|| key.to_string());
        }
        "sources.json" => {
            entry.sources.get_or_insert_with(|| key.to_string());
        }
        _ => entry.run_results.push(key.to_string()),
    }
}

/// The first `YYYY-MM-DD` in `name` (a plausible date, not part of a longer number).
fn date_in(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let number = |r: std::ops::Range<usize>| name[r].parse::<u32>().unwrap_or(0);
    (0..b.len().checked_sub(9)?).find_map(|i| {
        let plausible = digits(i..i + 4)
            && b[i + 4] == b'-'
            && digits(i + 5..i + 7)
            && b[i + 7] == b'-'
            && digits(i + 8..i + 10)
            && (1..=12).contains(&number(i + 5..i + 7))
            && (1..=31).contains(&number(i + 8..i + 10))
            && (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 10).is_none_or(|c| !c.is_ascii_digit());
        plausible.then(|| &name[i..i + 10])
    })
}

/// The chosen directories and what was left out.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Directories with a manifest, in key order.
    sets: Vec<(String, DirArtifacts)>,
    /// Directories with artifacts but no manifest (outside older dated folders).
    without_manifest: Vec<(String, DirArtifacts)>,
    /// Directories with a manifest under a dated folder that has a later sibling.
    superseded: Vec<String>,
}

/// Among sibling folders (at any depth) whose name holds a date, only the latest
/// that leads to a manifest counts; a directory under an older one is left out.
fn plan(groups: BTreeMap<String, DirArtifacts>) -> Plan {
    let components = |dir: &str| -> Vec<String> {
        if dir.is_empty() {
            Vec::new()
        } else {
            dir.split('/').map(str::to_string).collect()
        }
    };
    // parent path -> the greatest (date, folder name) below it that holds a manifest.
    let mut latest: HashMap<String, (String, String)> = HashMap::new();
    for dir in groups
        .iter()
        .filter(|(_, a)| a.manifest.is_some())
        .map(|(d, _)| d)
    {
        let parts = components(dir);
        for (depth, part) in parts.iter().enumerate() {
            if let Some(date) = date_in(part) {
                let candidate = (date.to_string(), part.clone());
                let slot = latest
                    .entry(parts[..depth].join("/"))
                    .or_insert_with(|| candidate.clone());
                if candidate > *slot {
                    *slot = candidate;
                }
            }
        }
    }
    // How a directory's dated folders compare with the latest of their siblings.
    let standing = |dir: &str| {
        let parts = components(dir);
        let mut worst = std::cmp::Ordering::Equal;
        for (depth, part) in parts.iter().enumerate() {
            let (Some(date), Some(best)) = (date_in(part), latest.get(&parts[..depth].join("/")))
            else {
                continue;
            };
            match (date, part.as_str()).cmp(&(best.0.as_str(), best.1.as_str())) {
                std::cmp::Ordering::Less => return std::cmp::Ordering::Less,
                other => worst = worst.max(other),
            }
        }
        worst
    };
    let mut out = Plan::default();
    for (dir, mut artifacts) in groups {
        artifacts.run_results.sort_by_key(|k| {
            (
                !split(k).1.eq_ignore_ascii_case("run_results.json"),
                k.clone(),
            )
        });
        let standing = standing(&dir);
        match (artifacts.manifest.is_some(), standing) {
            (true, std::cmp::Ordering::Equal) => out.sets.push((dir, artifacts)),
            (true, _) => out.superseded.push(dir),
            // A later folder without a manifest may be an upload in progress: say so.
            (false, std::cmp::Ordering::Less) => {}
            (false, _) => out.without_manifest.push((dir, artifacts)),
        }
    }
    out
}

/// `s3://bucket/dir/`.
fn dir_url(bucket: &str, dir: &str) -> String {
    if dir.is_empty() {
        format!("s3://{bucket}/")
    } else {
        format!("s3://{bucket}/{dir}/")
    }
}

async fn download(
    reader: &S3Reader,
    bucket: &str,
    key: &str,
    path: &std::path::Path,
) -> Result<u64, FetchError> {
    let mut body = reader.get_object(bucket, key).await?;
    let mut sink = FileSink::create(path).await?;
    while let Some(chunk) = body.next_chunk().await? {
        sink.write(chunk.as_ref()).await?;
    }
    sink.finish().await
}

pub(crate) async fn fetch(
    config: &DbtS3Config,
    opts: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let prefix_config = config.dbt_prefix_config.clone().unwrap_or_default();
    let bucket = non_empty(&prefix_config.dbt_bucket_name)
        .ok_or_else(|| FetchError::Config {
            field: "dbtPrefixConfig.dbtBucketName".into(),
            reason: "is required: omctl reads the bucket you name and does not list every \
                     bucket the credentials can see (that would ingest unrelated projects and \
                     needs s3:ListAllMyBuckets)"
                .into(),
        })?
        .to_string();
    let prefix = non_empty(&prefix_config.dbt_object_prefix)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    let settings = AwsSettings::new(&config.dbt_security_config, None, &[])
        .map_err(|source| FetchError::AwsConfig { source })?;
    let mut warnings: Vec<String> = settings
        .warnings
        .iter()
        .map(|w| format!("dbtSecurityConfig: {w}"))
        .collect();
    // endPointURL of dbtSecurityConfig names S3 itself (an S3-compatible store).
    let endpoint = settings.endpoint_url.clone();
    let client = AwsClient::connect(settings)
        .await
        .map_err(|source| FetchError::AwsConfig { source })?;
    let reader = client.s3_reader(endpoint.as_deref());

    let location = format!("s3://{bucket}/{prefix}");
    let mut groups = BTreeMap::new();
    let mut scanned = 0u64;
    let mut token: Option<String> = None;
    loop {
        let page = reader
            .list_objects_page(&bucket, &prefix, token.as_deref())
            .await?;
        scanned += page.objects.len() as u64;
        for object in &page.objects {
            add_key(&mut groups, &object.key);
        }
        match page.continuation_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let plan = plan(groups);
    tracing::info!(
        "{location}: {scanned} objects listed, {} directories with a dbt manifest, {} in older dated folders skipped",
        plan.sets.len(),
        plan.superseded.len()
    );
    for (dir, artifacts) in &plan.without_manifest {
        warnings.push(format!(
            "{} holds dbt artifacts ({}) but no manifest.json; it is skipped",
            dir_url(&bucket, dir),
            artifacts.names().join(", ")
        ));
    }
    if plan.sets.is_empty() {
        return Err(FetchError::NoManifest { location, scanned });
    }

    let downloads = Downloads::new(opts)?;
    let mut sets = Vec::new();
    let mut first_error = None;
    let several = plan.sets.len() > 1;
    for (index, (dir, artifacts)) in plan.sets.into_iter().enumerate() {
        let (local_dir, local_prefix) = downloads.set_dir(index)?;
        let label = dir_url(&bucket, &dir);
        let mut set = ArtifactSet::new(label.clone(), ArtifactLocation::Dir(local_dir.clone()));
        set.add_origin(local_prefix, label.clone());

        let manifest_key = artifacts.manifest.clone().unwrap_or_default();
        let manifest = local_dir.join(ArtifactKind::Manifest.file_name());
        match download(&reader, &bucket, &manifest_key, &manifest).await {
            Ok(_) => {}
            // With several projects, one that cannot be read does not stop the others.
            Err(e @ FetchError::Aws(_)) if several => {
                warnings.push(format!("{e}; the dbt project in {label} is skipped"));
                first_error.get_or_insert(e);
                continue;
            }
            Err(e) => return Err(e),
        }
        let mut paths = ArtifactPaths::default();
        set.attach(
            &mut paths,
            ArtifactKind::Manifest,
            manifest,
            format!("s3://{bucket}/{manifest_key}"),
        );
        let optional = artifacts
            .catalog
            .iter()
            .map(|k| (ArtifactKind::Catalog, k, ArtifactKind::Catalog.file_name()))
            .chain(
                artifacts
                    .sources
                    .iter()
                    .map(|k| (ArtifactKind::Sources, k, ArtifactKind::Sources.file_name())),
            )
            .chain(
                artifacts
                    .run_results
                    .iter()
                    .map(|k| (ArtifactKind::RunResults, k, split(k).1)),
            );
        for (kind, key, file_name) in optional {
            let path = local_dir.join(file_name);
            match download(&reader, &bucket, key, &path).await {
                Ok(_) => set.attach(&mut paths, kind, path, format!("s3://{bucket}/{key}")),
                Err(FetchError::Aws(e)) => {
                    warnings.push(format!("{e}; {}", kind.consequence_if_absent()));
                    if !set.reported_absent.contains(&kind) {
                        set.reported_absent.push(kind);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        // Another run_results file may have come through.
        if !paths.run_results.is_empty() {
            set.reported_absent
                .retain(|k| *k != ArtifactKind::RunResults);
        }
        set.location = ArtifactLocation::Files(paths);
        sets.push(set);
    }
    if sets.is_empty()
        && let Some(e) = first_error
    {
        return Err(e);
    }
    Ok(Fetched {
        sets,
        warnings,
        _dir: Some(downloads.into_dir()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grouped(keys: &[&str]) -> BTreeMap<String, DirArtifacts> {
        let mut groups = BTreeMap::new();
        for key in keys {
            add_key(&mut groups, key);
        }
        groups
    }

    #[test]
    fn keys_are_grouped_by_directory_and_name() {
        let groups = grouped(&[
            "dbt/target/Manifest.JSON",
            "dbt/target/catalog.json",
            "dbt/target/partial_parse.msgpack",
            "dbt/target/run_results_test.json",
            "dbt/target/run_results.json",
            "dbt/target/sources.json",
            "dbt/target/graph.gpickle",
            "dbt/logs/",
            "manifest.json",
        ]);
        assert_eq!(groups.len(), 2);
        let plan = plan(groups);
        assert_eq!(plan.sets[0].0, "");
        assert_eq!(plan.sets[0].1.manifest.as_deref(), Some("manifest.json"));
        let target = &plan.sets[1].1;
        assert_eq!(target.manifest.as_deref(), Some("dbt/target/Manifest.JSON"));
        assert_eq!(target.catalog.as_deref(), Some("dbt/target/catalog.json"));
        assert_eq!(target.sources.as_deref(), Some("dbt/target/sources.json"));
        assert_eq!(
            target.run_results,
            [
                "dbt/target/run_results.json",
                "dbt/target/run_results_test.json"
            ]
        );
    }

    #[test]
    fn dates_are_found_in_folder_names() {
        assert_eq!(date_in("2024-03-01"), Some("2024-03-01"));
        assert_eq!(date_in("run_2024-03-01T10-00"), Some("2024-03-01"));
        assert_eq!(date_in("20240301"), None);
        assert_eq!(date_in("2024-13-01"), None);
        assert_eq!(date_in("12024-03-01"), None);
        assert_eq!(date_in("v1"), None);
    }

    #[test]
    fn only_the_latest_dated_sibling_is_kept() {
        let plan = plan(grouped(&[
            "p/2024-01-01/manifest.json",
            "p/2024-01-03/manifest.json",
            "p/2024-01-03/run_results.json",
            "p/2024-01-02/manifest.json",
            // A later folder without a manifest does not hide the one before it.
            "p/2024-01-04/run_results.json",
            "p/static/manifest.json",
            // Dated folders above the manifest's own directory count too.
            "q/run-2023-05-01/target/manifest.json",
            "q/run-2023-05-01_2/target/manifest.json",
            "q/run-2023-04-30/target/manifest.json",
            "q/run-2023-04-30/logs/run_results.json",
        ]));
        let dirs: Vec<&str> = plan.sets.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(
            dirs,
            ["p/2024-01-03", "p/static", "q/run-2023-05-01_2/target"]
        );
        assert_eq!(
            plan.superseded,
            [
                "p/2024-01-01",
                "p/2024-01-02",
                "q/run-2023-04-30/target",
                "q/run-2023-05-01/target"
            ]
        );
        let without: Vec<&str> = plan
            .without_manifest
            .iter()
            .map(|(d, _)| d.as_str())
            .collect();
        assert_eq!(without, ["p/2024-01-04"]);
    }

    #[test]
    fn no_date_means_every_manifest_directory() {
        let plan = plan(grouped(&[
            "a/manifest.json",
            "b/manifest.json",
            "b/catalog.json",
        ]));
        assert_eq!(plan.sets.len(), 2);
        assert!(plan.superseded.is_empty() && plan.without_manifest.is_empty());
    }
}
