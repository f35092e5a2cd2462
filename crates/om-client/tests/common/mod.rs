//! Shared by the sink tests: a small Glue-shaped record stream and a runner.
#![allow(dead_code)]

use om_client::{ClientError, MetadataRestSink, ServerConfig, SinkOptions};
use omctl_record::sink::{Sink, SinkError};
use omctl_record::status::StepSummary;
use omctl_record::{EntityKind, EntityRef, Event, Record};
use serde_json::{Value, json};

pub const SERVICE: &str = "glue_prod";
pub const PIPELINE_SERVICE: &str = "glue_jobs";

pub fn service(name: &str) -> Record {
    Record::Entity {
        kind: EntityKind::DatabaseService,
        fqn: name.to_string(),
        parent: None,
        request: json!({"name": name, "serviceType": "Glue"}),
    }
}

pub fn database(service: &str, name: &str) -> Record {
    Record::Entity {
        kind: EntityKind::Database,
        fqn: format!("{service}.{name}"),
        parent: Some(service.to_string()),
        request: json!({"name": name, "service": service}),
    }
}

pub fn schema(database: &str, name: &str) -> Record {
    Record::Entity {
        kind: EntityKind::DatabaseSchema,
        fqn: format!("{database}.{name}"),
        parent: Some(database.to_string()),
        request: json!({"name": name, "database": database}),
    }
}

pub fn table(schema: &str, name: &str) -> Record {
    let fqn = format!("{schema}.{}", om_spec::fqn::quote_name(name).unwrap());
    Record::Entity {
        kind: EntityKind::Table,
        fqn,
        parent: Some(schema.to_string()),
        request: json!({
            "name": name,
            "databaseSchema": schema,
            "tableType": "External",
            "columns": [
                {"name": "id", "dataType": "BIGINT", "dataTypeDisplay": "bigint"},
                {"name": "amount", "dataType": "DECIMAL", "dataTypeDisplay": "decimal(10,2)"}
            ]
        }),
    }
}

pub fn tables_complete(schema: &str) -> Record {
    Record::ScopeComplete {
        kind: EntityKind::Table,
        parent: schema.to_string(),
    }
}

pub fn filtered_table(schema: &str, name: &str) -> Record {
    Record::Event(Event::filtered(
        EntityKind::Table,
        format!("{schema}.{name}"),
        "excluded by tableFilterPattern",
    ))
}

/// The Glue catalog of the snapshot test: a service, a database, two schemas,
/// tables (one with a dot in its name), a pipeline with a status, and lineage.
pub fn glue_stream() -> Vec<Record> {
    let db = format!("{SERVICE}.default");
    let sales = format!("{db}.sales");
    let mart = format!("{db}.mart");
    vec![
        service(SERVICE),
        database(SERVICE, "default"),
        schema(&db, "sales"),
        schema(&db, "mart"),
        table(&sales, "orders"),
        table(&sales, "orders.v2"),
        table(&sales, "customers"),
        tables_complete(&sales),
        table(&mart, "orders_agg"),
        tables_complete(&mart),
        Record::ScopeComplete {
            kind: EntityKind::DatabaseSchema,
            parent: db.clone(),
        },
        Record::Entity {
            kind: EntityKind::PipelineService,
            fqn: PIPELINE_SERVICE.to_string(),
            parent: None,
            request: json!({"name": PIPELINE_SERVICE, "serviceType": "GluePipeline"}),
        },
        Record::Entity {
            kind: EntityKind::Pipeline,
            fqn: format!("{PIPELINE_SERVICE}.etl_orders"),
            parent: Some(PIPELINE_SERVICE.to_string()),
            request: json!({
                "name": "etl_orders",
                "service": PIPELINE_SERVICE,
                "tasks": [
                    {"name": "extract", "taskType": "JOB", "downstreamTasks": ["load"]},
                    {"name": "load", "taskType": "JOB"}
                ]
            }),
        },
        Record::PipelineStatus {
            pipeline: format!("{PIPELINE_SERVICE}.etl_orders"),
            status: json!({
                "timestamp": 1718000000000i64,
                "executionStatus": "Successful",
                "taskStatus": [{"name": "extract", "executionStatus": "Successful"}]
            }),
        },
        Record::Lineage {
            from: EntityRef::new(EntityKind::Table, format!("{sales}.\"orders.v2\"")),
            to: EntityRef::new(EntityKind::Table, format!("{mart}.orders_agg")),
            details: Some(json!({
                "pipeline": {"type": "pipeline", "fqn": format!("{PIPELINE_SERVICE}.etl_orders")},
                "source": "PipelineLineage"
            })),
        },
    ]
}

/// A bigger catalog: `schemas` schemas of `tables` tables each, every scope complete.
pub fn catalog(schemas: usize, tables: usize) -> Vec<Record> {
    let db = format!("{SERVICE}.default");
    let mut out = vec![service(SERVICE), database(SERVICE, "default")];
    for s in 0..schemas {
        let sch = format!("{db}.schema_{s:03}");
        out.push(schema(&db, &format!("schema_{s:03}")));
        for t in 0..tables {
            out.push(table(&sch, &format!("table_{t:04}")));
        }
        out.push(tables_complete(&sch));
    }
    out
}

pub fn server_config(url: &str) -> ServerConfig {
    ServerConfig::from_json(&json!({"hostPort": url, "authProvider": "basic"})).unwrap()
}

pub fn options(sink_config: Value) -> SinkOptions {
    SinkOptions {
        dry_run: false,
        sink_config,
        source_config: json!({"type": "DatabaseMetadata", "markDeletedTables": true}),
        service_name: Some(SERVICE.to_string()),
        service_connection: Some(json!({"config": {
            "type": "Glue",
            "awsConfig": {"awsRegion": "us-east-1", "awsAccessKeyId": "AKIATEST", "awsSecretAccessKey": "test-secret"}
        }})),
    }
}

/// Connects, writes every record and closes.
pub async fn run_with(
    url: &str,
    opts: SinkOptions,
    records: Vec<Record>,
) -> Result<StepSummary, String> {
    let mut sink = MetadataRestSink::connect(server_config(url), opts)
        .await
        .map_err(|e: ClientError| e.to_string())?;
    for r in records {
        sink.write(r).await.map_err(|e: SinkError| e.to_string())?;
    }
    sink.close().await.map_err(|e| e.to_string())
}

pub async fn run(url: &str, sink_config: Value, records: Vec<Record>) -> StepSummary {
    run_with(url, options(sink_config), records)
        .await
        .expect("the run completes")
}

pub fn fqns(mock: &om_mock::OmMock, collection: &str) -> Vec<String> {
    mock.entities(collection)
        .iter()
        .filter(|e| e["deleted"] != json!(true))
        .map(|e| e["fullyQualifiedName"].as_str().unwrap().to_string())
        .collect()
}

pub fn deleted_fqns(mock: &om_mock::OmMock, collection: &str) -> Vec<String> {
    mock.entities(collection)
        .iter()
        .filter(|e| e["deleted"] == json!(true))
        .map(|e| e["fullyQualifiedName"].as_str().unwrap().to_string())
        .collect()
}

/// No failure and no warning; shows them otherwise.
pub fn assert_clean(summary: &StepSummary) {
    assert_eq!(
        (summary.errors, summary.warnings),
        (0, 0),
        "{:?} {:?}",
        summary.failures,
        summary.warning_messages
    );
}

/// How many requests the emulator got with `method` and a path starting with
/// `path_start`.
pub fn count_requests(mock: &om_mock::OmMock, method: &str, path_start: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(path_start))
        .count()
}
