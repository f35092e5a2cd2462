//! What the sink sends and reads back: the example payloads of the REST API round-trip
//! exactly, and answers from a newer server (unknown fields, enum values, connection types)
//! still parse.

use om_spec::generated::api::data::create_pipeline::CreatePipelineRequest;
use om_spec::generated::api::data::create_table::CreateTableRequest;
use om_spec::generated::api::lineage::add_lineage::AddLineageRequest;
use om_spec::generated::api::services::create_database_service::CreateDatabaseServiceRequest;
use om_spec::generated::api::services::create_pipeline_service::CreatePipelineServiceRequest;
use om_spec::generated::entity::data::pipeline::{PipelineStatus, StatusType};
use om_spec::generated::entity::data::table::{Column, DataType, Table, TableType};
use om_spec::generated::entity::services::database_service::DatabaseService;
use om_spec::generated::r#type::bulk_operation_result::BulkOperationResult;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Parses `payload` as `T` and checks that it serialises to exactly the same JSON: nothing
/// lost, nothing added (lenient types leave unset fields out).
fn round_trip<T: DeserializeOwned + Serialize>(payload: Value) -> T {
    let typed: T =
        serde_json::from_value(payload.clone()).unwrap_or_else(|e| panic!("{e}: {payload}"));
    assert_eq!(serde_json::to_value(&typed).unwrap(), payload);
    typed
}

#[test]
fn create_requests_round_trip_exactly() {
    let service: CreateDatabaseServiceRequest = round_trip(json!({
        "name": "glue_prod", "serviceType": "Glue",
        "connection": {"config": {"type": "Glue",
            "awsConfig": {"awsRegion": "us-east-1", "awsAccessKeyId": "AKIA", "awsSecretAccessKey": "s3cr3t"}}}
    }));
    assert!(!format!("{service:?}").contains("s3cr3t"));

    let table: CreateTableRequest = round_trip(json!({
        "name": "orders", "databaseSchema": "glue_prod.default.sales", "tableType": "External",
        "columns": [
            {"name": "id", "dataType": "BIGINT", "dataTypeDisplay": "bigint", "ordinalPosition": 1},
            {"name": "payload", "dataType": "STRUCT", "dataTypeDisplay": "struct<a:int>",
             "children": [{"name": "a", "dataType": "INT", "dataTypeDisplay": "int"}]}],
        "locationPath": "s3://bucket/orders/", "sourceHash": "9e107d9d372bb6826bd81d3542a419d6"
    }));
    assert_eq!(table.table_type, Some(TableType::External));
    assert_eq!(
        table.columns[1].children.as_ref().unwrap()[0].data_type,
        DataType::Int
    );

    round_trip::<CreatePipelineServiceRequest>(json!({
        "name": "glue_jobs", "serviceType": "GluePipeline",
        "connection": {"config": {"type": "GluePipeline", "awsConfig": {"awsRegion": "us-east-1"}}}
    }));
    round_trip::<CreatePipelineRequest>(json!({
        "name": "etl_orders", "displayName": "etl_orders", "service": "glue_jobs",
        "sourceUrl": "https://us-east-1.console.aws.amazon.com/gluestudio/home#/editor/job/etl_orders",
        "tasks": [{"name": "extract", "taskType": "JOB", "downstreamTasks": ["load"]},
                  {"name": "load", "taskType": "JOB"}]
    }));
    let status: PipelineStatus = round_trip(json!({
        "timestamp": 1718000000000_i64, "executionStatus": "Successful",
        "taskStatus": [{"name": "extract", "executionStatus": "Successful",
                        "startTime": 1718000000000_i64, "endTime": 1718000060000_i64}]
    }));
    assert_eq!(status.execution_status, StatusType::Successful);
    round_trip::<AddLineageRequest>(json!({
        "edge": {"fromEntity": {"id": "1b3a5c1e-0000-4000-8000-000000000001", "type": "table"},
                 "toEntity": {"id": "7f9a5c1e-0000-4000-8000-000000000002", "type": "table"},
                 "lineageDetails": {"pipeline": {"id": "c4da5c1e-0000-4000-8000-000000000003", "type": "pipeline"},
                                    "source": "PipelineLineage",
                                    "columnsLineage": [{"fromColumns": ["glue_prod.default.sales.orders.id"],
                                                        "toColumn": "glue_prod.default.mart.orders_agg.id"}]}}
    }));
}

#[test]
fn built_requests_carry_only_what_was_set() {
    let req = CreateTableRequest {
        name: "orders".into(),
        database_schema: "glue_prod.default.sales".into(),
        columns: vec![Column::new("id".into(), DataType::Bigint)],
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"name": "orders", "databaseSchema": "glue_prod.default.sales",
               "columns": [{"name": "id", "dataType": "BIGINT"}]})
    );
}

#[test]
fn answers_of_a_newer_server_still_parse() {
    let table: Table = serde_json::from_value(json!({
        "id": "8c0e5c1e-0000-4000-8000-000000000000", "name": "orders",
        "fullyQualifiedName": "glue_prod.default.sales.orders",
        "tableType": "Iceberg2", "brandNewField": {"x": 1},
        "columns": [{"name": "id", "dataType": "QUANTUM_INT", "fullyQualifiedName": "glue_prod.default.sales.orders.id",
                     "anotherNewField": true}],
        "version": 0.1, "updatedAt": 1718000000000_i64, "deleted": false
    }))
    .unwrap();
    assert_eq!(
        table.table_type,
        Some(TableType::Unrecognized("Iceberg2".into()))
    );
    assert_eq!(table.columns[0].data_type.as_str(), "QUANTUM_INT");
    // unknown values are written back as they came
    let again = serde_json::to_value(&table).unwrap();
    assert_eq!(again["tableType"], "Iceberg2");
    assert_eq!(again["columns"][0]["dataType"], "QUANTUM_INT");
    assert!(again.get("brandNewField").is_none());

    let service: DatabaseService = serde_json::from_value(json!({
        "id": "8c0e5c1e-0000-4000-8000-000000000000", "name": "glue_prod", "fullyQualifiedName": "glue_prod",
        "serviceType": "Glue",
        "connection": {"config": {"type": "Glue", "awsConfig": {"awsRegion": "us-east-1", "awsSecretAccessKey": "*********",
                                                                 "newAwsOption": 3}}},
        "version": 0.1, "updatedAt": 1718000000000_i64, "updatedBy": "ingestion-bot",
        "href": "http://localhost:8585/api/v1/services/databaseServices/8c0e", "deleted": false
    }))
    .unwrap();
    assert_eq!(service.service_type.as_str(), "Glue");
}

#[test]
fn bulk_results_parse() {
    let r: BulkOperationResult = serde_json::from_value(json!({
        "status": "success", "numberOfRowsProcessed": 1, "numberOfRowsPassed": 1,
        "numberOfRowsFailed": 0, "successRequest": [], "failedRequest": []
    }))
    .unwrap();
    assert_eq!(r.number_of_rows_passed, Some(1));
}

#[test]
fn enum_values_that_are_not_identifiers_round_trip() {
    for value in ["MEASURE HIDDEN", "PG_LSN", "BIGINT"] {
        let column: Column = round_trip(json!({"name": "c", "dataType": value}));
        assert_eq!(column.data_type.as_str(), value);
        assert_eq!(column.data_type.to_string(), value);
    }
    assert_eq!(DataType::MeasureHidden.as_str(), "MEASURE HIDDEN");
}

#[test]
fn an_ingestion_pipeline_of_an_unknown_kind_still_parses() {
    use om_spec::generated::entity::services::ingestion_pipelines::ingestion_pipeline::IngestionPipeline;
    use om_spec::generated::metadata_ingestion::workflow::lenient::Config;
    let payload = json!({
        "id": "8c0e5c1e-0000-4000-8000-000000000000", "name": "glue_prod_profiler",
        "pipelineType": "profilerNext",
        "sourceConfig": {"config": {"type": "ProfilerNext", "someOption": 1}},
        "airflowConfig": {"scheduleInterval": "0 * * * *"},
        "loggerLevel": "TRACE"
    });
    let pipeline: IngestionPipeline = serde_json::from_value(payload.clone()).unwrap();
    let Some(Config::Unrecognized(raw)) = &pipeline.source_config.config else {
        panic!("{:?}", pipeline.source_config)
    };
    assert_eq!(raw["someOption"], 1);
    let again = serde_json::to_value(&pipeline).unwrap();
    assert_eq!(again["sourceConfig"], payload["sourceConfig"]);
    assert_eq!(again["pipelineType"], "profilerNext");
    assert_eq!(again["loggerLevel"], "TRACE");

    // a kind we know is typed, lenient copy included
    let known: IngestionPipeline = serde_json::from_value(json!({
        "name": "glue_prod_metadata", "pipelineType": "metadata",
        "sourceConfig": {"config": {"type": "DatabaseMetadata", "markDeletedTables": false, "futureOption": true}},
        "airflowConfig": {}
    }))
    .unwrap();
    let Some(Config::DatabaseMetadata(meta)) = &known.source_config.config else {
        panic!()
    };
    assert_eq!(meta.mark_deleted_tables, Some(false));
    assert_eq!(
        meta.include_views, None,
        "lenient types leave defaults to the server"
    );
}
