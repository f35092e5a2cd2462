//! `omctl test-connection` for Glue: the steps OpenMetadata's server defines for
//! Glue (`GetDatabases`, then `GetTables` on a few databases), each answering what
//! is wrong and what to change.

use connector_aws::{AwsCall, AwsClient, classify};
use connector_sdk::{TestConnectionReport, TestStep};

use crate::config::GlueConfig;

/// How many databases the `GetTables` step tries before concluding that no
/// tables are visible.
pub const TABLE_PROBE_DATABASES: usize = 10;

/// Probes give up sooner than a run: the user is waiting.
const PROBE_ATTEMPTS: u32 = 3;

const LAKE_FORMATION_NOTE: &str = "if the catalog is governed by AWS Lake Formation, entities this \
     identity has no Lake Formation permission on are silently left out of listings: grant it \
     DESCRIBE on databases and DESCRIBE or SELECT on tables";

pub async fn run(cfg: &GlueConfig) -> TestConnectionReport {
    let mut steps = Vec::new();
    let aws = match AwsClient::connect(cfg.aws.clone()).await {
        Ok(a) => a,
        Err(e) => {
            steps.push(TestStep::failed(
                "GetDatabases",
                true,
                e.to_string(),
                e.to_string(),
            ));
            steps.push(TestStep::failed(
                "GetTables",
                true,
                "not run: the AWS settings are not usable",
                "",
            ));
            return TestConnectionReport { steps };
        }
    };
    let glue = aws.glue_with_max_attempts(PROBE_ATTEMPTS);

    let call = AwsCall::new("glue", "GetDatabases");
    let listed = glue
        .get_databases()
        .set_catalog_id(aws.catalog_id().map(str::to_string))
        .set_resource_share_type(cfg.resource_share_type.clone())
        .max_results(100)
        .send()
        .await;
    let databases = match listed {
        Err(e) => {
            let log = connector_aws::error::chain(&e);
            let err = classify(&call, e);
            steps.push(TestStep::failed(
                "GetDatabases",
                true,
                format!("{err} (endpoint {})", aws.endpoint_description()),
                log,
            ));
            steps.push(TestStep::failed(
                "GetTables",
                true,
                "not run: GetDatabases failed",
                "",
            ));
            return TestConnectionReport { steps };
        }
        Ok(page) => {
            let dbs: Vec<(String, Option<String>)> = page
                .database_list()
                .iter()
                .map(|d| (d.name().to_string(), d.catalog_id().map(str::to_string)))
                .collect();
            let mut message = format!("{} databases enumerated (glue:GetDatabases)", dbs.len());
            if page.next_token().is_some() {
                message.push_str(&format!(" (showing first {}; more exist)", dbs.len()));
            }
            if dbs.is_empty() {
                message.push_str(&format!(
                    ". No databases visible: check awsRegion and connectionArguments.catalogId; {LAKE_FORMATION_NOTE}"
                ));
            }
            steps.push(TestStep::passed("GetDatabases", true, message));
            dbs
        }
    };

    let mut tables_step = None;
    for (name, catalog) in databases.iter().take(TABLE_PROBE_DATABASES) {
        let catalog = catalog
            .clone()
            .or_else(|| aws.catalog_id().map(str::to_string));
        let call = AwsCall::new("glue", "GetTables").on(format!("database '{name}'"));
        match glue
            .get_tables()
            .database_name(name)
            .set_catalog_id(catalog)
            .max_results(100)
            .send()
            .await
        {
            Err(e) => {
                let log = connector_aws::error::chain(&e);
                let err = classify(&call, e);
                tables_step = Some(TestStep::failed("GetTables", true, err.to_string(), log));
                break;
            }
            Ok(page) if !page.table_list().is_empty() => {
                let n = page.table_list().len();
                let more = if page.next_token().is_some() { "+" } else { "" };
                tables_step = Some(TestStep::passed(
                    "GetTables",
                    true,
                    format!(
                        "{n}{more} {} in database '{name}' (glue:GetTables (DatabaseName={name}))",
                        if n == 1 && more.is_empty() {
                            "table"
                        } else {
                            "tables"
                        }
                    ),
                ));
                break;
            }
            Ok(_) => {}
        }
    }
    steps.push(tables_step.unwrap_or_else(|| {
        TestStep::passed(
            "GetTables",
            true,
            format!(
                "No tables visible in the first {} databases; {LAKE_FORMATION_NOTE}",
                databases.len().min(TABLE_PROBE_DATABASES)
            ),
        )
    }));
    TestConnectionReport { steps }
}
