//! External-table lineage: a Glue table stored at an S3 location is linked to the
//! storage container at that location when a storage service on the server has
//! one (OpenMetadata looks containers up by their `fullPath`), and quietly left
//! unlinked when none has.

use glue_mock::{Catalog, GlueMock};
use omctl_e2e::*;
use serde_json::json;

#[tokio::test]
async fn external_tables_are_linked_to_the_containers_at_their_location() {
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    // What an S3 ingestion left on the server. Container FQNs are the storage
    // service's name and the container names, never the S3 path.
    om.seed(
        "services/storageServices",
        json!({"name": "e2e_s3", "serviceType": "S3"}),
    )
    .unwrap();
    for (name, full_path) in [
        ("orders", "s3://acme-lake/sales/orders"),
        // Containers may keep the trailing `/`.
        ("clickstream", "s3://acme-lake/analytics/clickstream/"),
    ] {
        om.seed(
            "containers",
            json!({"name": name, "service": "e2e_s3", "fullPath": full_path}),
        )
        .unwrap();
    }
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write("glue.yaml", &Workflow::template("glue-database.yaml"));
    let run = omctl.run(&workflow, Plugin::GlueDatabase, &[]).await;
    run.assert_code(0);

    let edges: Vec<(String, String)> = om.snapshot()["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"]["fqn"].as_str().unwrap_or("?").to_string(),
                e["to"]["fqn"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    let table = |t: &str| format!("e2e_glue.123456789012.{t}");
    assert_eq!(
        edges,
        [
            (
                "e2e_s3.clickstream".to_string(),
                table("analytics.clickstream_raw")
            ),
            ("e2e_s3.orders".to_string(), table("sales.orders")),
        ],
        "{}",
        run.stderr
    );
    // The six tables whose location no container has are not a warning each.
    assert_eq!(run.count("metadata-rest", "warnings"), 0, "{}", run.stderr);
}
