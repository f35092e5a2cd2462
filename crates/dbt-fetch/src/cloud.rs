//! `dbtConfigType: cloud`: the artifacts of the latest finished run, through dbt
//! Cloud's v2 API (`Authorization: Bearer <dbtCloudAuthToken>`).

use dbt_artifacts::ArtifactKind;
use om_spec::generated::metadata_ingestion::dbtconfig::dbt_cloud_config::DbtCloudConfig;
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::Value;

use crate::http::{
    ClientSettings, GetFailure, HttpGetter, SingleSet, parse_url, shown_url, status_text,
};
use crate::{FetchError, FetchOptions, Fetched, non_empty, trimmed};

/// dbt Cloud's run status codes for a run that has finished: success and error.
const FINISHED: &str = "[10,20]";
const STATUS_ERROR: u64 = 20;

/// `{dbtCloudUrl}/api/v2/<segments>`.
fn api_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(["api", "v2"]).extend(segments);
    }
    url
}

/// dbt Cloud explains refusals in `status.user_message`.
fn user_message(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let m = v.pointer("/status/user_message")?.as_str()?.trim();
    (!m.is_empty()).then(|| m.to_string())
}

/// The message for a refused call, with what to check.
fn refusal(failure: &GetFailure, account: &str) -> String {
    let said = match failure {
        GetFailure::Status { body, .. } => user_message(body)
            .map(|m| format!(": {m}"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    match failure.status() {
        Some(401) => format!(
            "dbtCloudAuthToken was not accepted ({}{said}); use a service token or a personal \
             access token of account {account}",
            status_text(401)
        ),
        Some(403) => format!(
            "dbtCloudAuthToken may not read the runs of account {account} ({}{said}); give the \
             token read access to the account's jobs and runs",
            status_text(403)
        ),
        Some(status) => format!("{}{said}", status_text(status)),
        None => format!("no answer: {}", failure.reason()),
    }
}

/// The run to read: its id and, for messages, when it finished and whether it failed.
struct Run {
    id: String,
    finished_at: Option<String>,
    failed: bool,
}

fn latest_run(answer: &Value) -> Result<Option<Run>, String> {
    let Some(data) = answer.get("data").and_then(Value::as_array) else {
        return Err("the answer has no `data` list of runs".to_string());
    };
    let Some(run) = data.first() else {
        return Ok(None);
    };
    let id = match run.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err("the latest run has no `id`".to_string()),
    };
    Ok(Some(Run {
        id,
        finished_at: run
            .get("finished_at")
            .and_then(Value::as_str)
            .map(str::to_string),
        failed: run.get("status").and_then(Value::as_u64) == Some(STATUS_ERROR),
    }))
}

pub(crate) async fn fetch(
    config: &DbtCloudConfig,
    opts: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let config_error = |field: &str, reason: &str| FetchError::Config {
        field: field.to_string(),
        reason: reason.to_string(),
    };
    let account = trimmed(&config.dbt_cloud_account_id)
        .ok_or_else(|| {
            config_error(
                "dbtCloudAccountId",
                "is empty; give the dbt Cloud account id",
            )
        })?
        .to_string();
    let base = parse_url("dbtCloudUrl", &config.dbt_cloud_url)?;
    let token = config.dbt_cloud_auth_token.expose().trim();
    if token.is_empty() {
        return Err(config_error(
            "dbtCloudAuthToken",
            "is empty; give a dbt Cloud service token or personal access token",
        ));
    }
    let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        config_error(
            "dbtCloudAuthToken",
            "has characters an HTTP header cannot carry",
        )
    })?;
    auth.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, auth);
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let getter = HttpGetter::new(
        ClientSettings {
            headers,
            ..ClientSettings::default()
        },
        opts,
        "dbtCloudUrl",
    )?;

    let runs = api_url(&base, &["accounts", &account, "runs", ""]);
    let mut query = runs.clone();
    let project = non_empty(&config.dbt_cloud_project_id);
    let job = non_empty(&config.dbt_cloud_job_id);
    {
        let mut pairs = query.query_pairs_mut();
        pairs
            .append_pair("order_by", "-finished_at")
            .append_pair("limit", "1")
            .append_pair("status__in", FINISHED);
        if let Some(p) = project {
            pairs.append_pair("project_id", p);
        }
        if let Some(j) = job {
            pairs.append_pair("job_definition_id", j);
        }
    }
    let cloud_error = |failure: GetFailure, url: &Url| match failure {
        GetFailure::Local(e) => e,
        other => FetchError::Cloud {
            url: shown_url(url),
            status: other.status(),
            reason: match other.status() {
                Some(404) => format!(
                    "account {account} was not found ({}); check dbtCloudAccountId and \
                     dbtCloudUrl (the account's access URL, such as https://cloud.getdbt.com)",
                    status_text(404)
                ),
                _ => refusal(&other, &account),
            },
        },
    };
    let answer = getter
        .get_json(&query)
        .await
        .map_err(|f| cloud_error(f, &runs))?;
    let run = latest_run(&answer)
        .map_err(|reason| FetchError::Cloud {
            url: shown_url(&runs),
            status: None,
            reason,
        })?
        .ok_or_else(|| FetchError::NoFinishedRun {
            account: account.clone(),
            filters: match (project, job) {
                (None, None) => String::new(),
                (Some(p), None) => format!(" in project {p}"),
                (None, Some(j)) => format!(" of job {j}"),
                (Some(p), Some(j)) => format!(" of job {j} in project {p}"),
            },
        })?;

    let mut label = format!("dbt Cloud run {} (account {account}", run.id);
    if let Some(at) = &run.finished_at {
        label.push_str(&format!(", finished {at}"));
    }
    label.push(')');
    let mut warnings = Vec::new();
    if run.failed {
        warnings.push(format!(
            "{label} ended with an error; its artifacts may cover only part of the project"
        ));
    }
    tracing::info!("reading the artifacts of {label}");

    let artifact_url = |kind: ArtifactKind| {
        api_url(
            &base,
            &[
                "accounts",
                &account,
                "runs",
                &run.id,
                "artifacts",
                kind.file_name(),
            ],
        )
    };
    SingleSet {
        getter: &getter,
        label: label.clone(),
        manifest: artifact_url(ArtifactKind::Manifest),
        optional: [
            ArtifactKind::Catalog,
            ArtifactKind::RunResults,
            ArtifactKind::Sources,
        ]
        .into_iter()
        .map(|kind| (kind, artifact_url(kind)))
        .collect(),
        warnings,
        reported_absent: Vec::new(),
    }
    .download(
        opts,
        |failure| match failure.status() {
            Some(404) => format!(
                "{label} has no manifest.json ({}); the run may have stopped before dbt wrote \
                 it; set dbtCloudJobId to a job whose runs succeed",
                status_text(404)
            ),
            _ => refusal(failure, &account),
        },
        |kind, _, failure| match failure.status() {
            Some(404) => format!("{label} has no {}", kind.file_name()),
            _ => format!(
                "cannot download {} of {label} ({})",
                kind.file_name(),
                refusal(failure, &account)
            ),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_urls_keep_the_base_path_and_encode_segments() {
        let base = Url::parse("https://emea.dbt.com/").unwrap();
        assert_eq!(
            api_url(&base, &["accounts", "12", "runs", ""]).as_str(),
            "https://emea.dbt.com/api/v2/accounts/12/runs/"
        );
        let base = Url::parse("http://127.0.0.1:9/proxy").unwrap();
        assert_eq!(
            api_url(&base, &["accounts", "a/b", "runs"]).as_str(),
            "http://127.0.0.1:9/proxy/api/v2/accounts/a%2Fb/runs"
        );
    }

    #[test]
    fn the_latest_run_is_read_from_data() {
        let run = latest_run(&json!({"data": [{"id": 7, "status": 20, "finished_at": "t"}]}))
            .unwrap()
            .unwrap();
        assert_eq!((run.id.as_str(), run.failed), ("7", true));
        assert!(latest_run(&json!({"data": []})).unwrap().is_none());
        assert!(latest_run(&json!({"status": {}})).is_err());
    }

    #[test]
    fn refusals_say_what_to_check() {
        let f = GetFailure::Status {
            status: 403,
            body: r#"{"status":{"user_message":"Insufficient permissions"}}"#.into(),
        };
        let m = refusal(&f, "45");
        assert!(
            m.contains("account 45") && m.contains("Insufficient permissions"),
            "{m}"
        );
    }
}
