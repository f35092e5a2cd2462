//! The workflow files of `examples/workflows/` on the bundled sample catalog, and the
//! file sink's output for it: what the server (or the file) holds afterwards, as
//! reviewed snapshots.

use glue_mock::{Catalog, GlueMock};
use om_mock::OmMock;
use omctl_e2e::*;
use serde_json::{Value, json};

#[tokio::test]
async fn glue_database_example_fills_the_server() {
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let run = omctl
        .run(
            &example_workflow("glue-database.yaml"),
            Plugin::GlueDatabase,
            &[],
        )
        .await;
    run.assert_code(0).assert_no_secret();
    assert_eq!(run.report()["status"], "success", "{:#}", run.report());
    assert_eq!(run.report()["sourceType"], "glue");
    assert_eq!(run.report()["plugin"]["name"], "glue-database");

    // The caller's catalog: a service, a database, 4 schemas and 12 tables, plus a
    // lineage record for each of the 8 tables stored in S3. The sample's one
    // malformed column type is the source's only warning.
    assert_eq!(run.count("glue", "records"), 26);
    assert_eq!(run.count("glue", "warnings"), 1);
    assert_eq!(run.count("glue", "errors"), 0);
    assert_eq!(run.count("metadata-rest", "records"), 18);
    assert_eq!(run.count("metadata-rest", "errors"), 0);
    assert_eq!(run.count("metadata-rest", "deleted"), 0);
    assert_eq!(run.summary()["steps"]["metadata-rest"]["records"], 18);

    // Each entity was written once: none is past its first version.
    let state = exact_state(&om);
    let mut entities = 0;
    for (collection, list) in state["entities"].as_object().unwrap() {
        for e in list.as_array().unwrap() {
            entities += 1;
            assert_eq!(
                e["version"], 0.1,
                "{collection} {} was changed after it was created",
                e["fullyQualifiedName"]
            );
        }
    }
    assert_eq!(entities, 18);

    insta::assert_json_snapshot!("glue_database_server_state", snapshot_state(&om, None));
}

#[tokio::test]
async fn both_glue_workflows_fill_the_server_and_a_rerun_changes_nothing() {
    let pipeline_workflow = glue_pipeline_example();
    let anchor = anchor();
    let glue = GlueMock::start(sample_catalog_at(anchor)).await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let database_workflow = example_workflow("glue-database.yaml");

    omctl
        .run(&database_workflow, Plugin::GlueDatabase, &[])
        .await
        .assert_code(0);
    let run = omctl
        .run(&pipeline_workflow, Plugin::GluePipeline, &[])
        .await;
    run.assert_code(0).assert_no_secret();
    assert_eq!(run.report()["sourceType"], "gluepipeline");
    assert_eq!(run.count("gluepipeline", "errors"), 0, "{:#}", run.report());
    assert_eq!(
        run.count("metadata-rest", "errors"),
        0,
        "{:#}",
        run.report()
    );
    assert!(
        !om.entities("pipelines").is_empty(),
        "the pipeline workflow wrote no pipeline"
    );

    let state = snapshot_state(&om, Some(anchor));
    insta::assert_json_snapshot!(
        "glue_pipeline_server_state",
        json!({
            "pipelineServices": state["entities"]["services/pipelineServices"],
            "pipelines": state["entities"]["pipelines"],
            "pipelineStatuses": state["pipelineStatuses"],
            "lineage": state["lineage"],
        })
    );

    // The same two runs again: the pipelines, their statuses (same run times) and
    // the lineage are already there.
    let before = exact_state(&om);
    for (workflow, plugin) in [
        (&database_workflow, Plugin::GlueDatabase),
        (&pipeline_workflow, Plugin::GluePipeline),
    ] {
        let run = omctl.run(workflow, plugin, &[]).await;
        run.assert_code(0);
        assert_eq!(run.count("metadata-rest", "deleted"), 0);
    }
    assert_eq!(
        state_changes(&before, &exact_state(&om)),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn file_sink_output_for_the_sample_catalog() {
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write("file.yaml", &Workflow::template("glue-database-file.yaml"));
    let run = omctl.run(&workflow, Plugin::GlueDatabase, &[]).await;
    run.assert_code(0).assert_no_secret();
    assert_eq!(run.report()["sinkType"], "file");
    assert_eq!(om.received(), 0, "the file sink never calls the server");

    // read_ndjson also fails on a secret in the file.
    let records = read_ndjson(&omctl.dir().join("records.ndjson"));
    assert_stream_order(&records);
    let of = |kind: &str| records.iter().filter(|r| r["record"] == kind).count() as u64;
    let written = of("entity") + of("lineage");
    assert_eq!(written, 26);
    assert_eq!(run.count("glue", "records"), written);
    assert_eq!(run.count("file", "records"), written);
    assert_eq!(run.count("glue", "warnings"), 1);
    assert_eq!(run.count("file", "errors"), 0);
    let service = records
        .iter()
        .find(|r| r["kind"] == "databaseService")
        .expect("a service record");
    assert!(
        service["request"].get("connection").is_none(),
        "records never carry the connection: {service}"
    );

    insta::assert_json_snapshot!("glue_database_file_sink", stable_order(records));
}

/// The order a sink relies on: an entity comes after its parent, and no entity of a
/// scope comes after the marker that says the scope is complete.
fn assert_stream_order(records: &[Value]) {
    let mut written = std::collections::HashSet::new();
    let mut complete = std::collections::HashSet::new();
    for r in records {
        let parent = r["parent"].as_str();
        match r["record"].as_str() {
            Some("entity") => {
                if let Some(parent) = parent {
                    assert!(written.contains(parent), "{r} comes before its parent");
                }
                let scope = (r["kind"].to_string(), parent.map(str::to_string));
                assert!(
                    !complete.contains(&scope),
                    "{r} comes after its scope's end"
                );
                written.insert(r["fqn"].as_str().expect("an entity has an FQN"));
            }
            Some("scopeComplete") => {
                complete.insert((r["kind"].to_string(), parent.map(str::to_string)));
            }
            _ => {}
        }
    }
}

/// Records in an order that does not depend on how the connector interleaves
/// databases: entities by FQN (which puts every parent before its children), then
/// lineage, scope markers and events.
fn stable_order(mut records: Vec<Value>) -> Vec<Value> {
    let rank = |r: &Value| match r["record"].as_str() {
        Some("entity") => 0,
        Some("lineage") => 1,
        Some("scopeComplete") => 2,
        _ => 3,
    };
    let key = |r: &Value| match r["record"].as_str() {
        Some("entity") => r["fqn"].as_str().unwrap_or_default().to_string(),
        Some("lineage") => format!("{} {}", r["to"]["fqn"], r["from"]["fqn"]),
        _ => r.to_string(),
    };
    records.sort_by_cached_key(|r| (rank(r), key(r)));
    records
}

/// omctl's options for a connection whose schema has no `connectionArguments`
/// (GluePipeline) go in `workflowConfig.config.connectionArguments` and reach the
/// connector through the real binary and plugin.
#[tokio::test]
async fn pipeline_options_in_workflow_config_reach_the_connector() {
    let example = glue_pipeline_example();
    let glue = GlueMock::start(sample_catalog_at(anchor())).await;
    let standalone = |om: &OmMock| -> Vec<String> {
        om.entities("pipelines")
            .iter()
            .filter(|p| {
                p["sourceUrl"]
                    .as_str()
                    .is_some_and(|u| u.contains("/editor/job/") || u.contains("/crawlers/"))
            })
            .map(|p| p["name"].as_str().unwrap_or("?").to_string())
            .collect()
    };

    // By default, jobs and crawlers outside workflows become pipelines too.
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    omctl
        .run(&example, Plugin::GluePipeline, &[])
        .await
        .assert_code(0);
    assert!(
        !standalone(&om).is_empty(),
        "the sample account has standalone jobs"
    );

    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write(
        "no-standalone.yaml",
        &Workflow::from_file(&example).set(
            "workflowConfig.config.connectionArguments.includeStandaloneJobs",
            false,
        ),
    );
    omctl
        .run(&workflow, Plugin::GluePipeline, &[])
        .await
        .assert_code(0);
    assert!(
        !om.entities("pipelines").is_empty(),
        "workflows are still pipelines"
    );
    assert_eq!(standalone(&om), Vec::<String>::new());
    // The options are for the connector only: the service connection the server
    // stores is the one the file wrote (OpenMetadata's GluePipelineConnection has
    // no connectionArguments and a real server refuses the key).
    let services = om.entities("services/pipelineServices");
    assert_eq!(services.len(), 1, "{services:#?}");
    let connection = &services[0]["connection"]["config"];
    assert_eq!(connection["type"], "GluePipeline", "{connection:#}");
    assert!(
        connection.get("connectionArguments").is_none(),
        "omctl's connector options reached the server: {connection:#}"
    );
}
