//! The workflow file: OpenMetadata's own example files parse into the generated types and
//! serialise back without loss; mistakes are rejected naming what is wrong.

use om_spec::generated::entity::services::connections::service_connection::ServiceConnection;
use om_spec::generated::entity::services::database_service;
use om_spec::generated::metadata_ingestion::dbt_pipeline::DbtConfigSource;
use om_spec::generated::metadata_ingestion::workflow::{
    Config, LogLevels, OpenMetadataWorkflowConfig,
};
use serde_json::Value;

const EXAMPLES: &[&str] = &[
    "glue.yaml",
    "gluepipeline.yaml",
    "seed-glue.yaml",
    "glue-om-reference.yaml",
    "dbt-local.yaml",
];

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(yaml: &str) -> Result<OpenMetadataWorkflowConfig, String> {
    serde_yaml::from_str(yaml).map_err(|e| e.to_string())
}

/// Every key and value of `input` is in `output` unchanged (the output may add the spec
/// defaults the input left out).
fn assert_contained(input: &Value, output: &Value, path: &str) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in i {
                let p = format!("{path}.{k}");
                let got = o.get(k).unwrap_or_else(|| panic!("{p} lost in {output}"));
                assert_contained(v, got, &p);
            }
        }
        (Value::Array(i), Value::Array(o)) => {
            assert_eq!(i.len(), o.len(), "{path}: array length changed");
            for (n, (a, b)) in i.iter().zip(o).enumerate() {
                assert_contained(a, b, &format!("{path}[{n}]"));
            }
        }
        _ => assert_eq!(input, output, "{path} changed"),
    }
}

#[test]
fn example_workflows_round_trip_without_loss() {
    for name in EXAMPLES {
        let text = data(name);
        let input: Value = serde_yaml::from_str(&text).unwrap();
        let config = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let output = serde_json::to_value(&config).unwrap();
        assert_contained(&input, &output, name);
        // What we write reads back as the same configuration, and writes the same again.
        let again: OpenMetadataWorkflowConfig = serde_json::from_value(output.clone()).unwrap();
        assert_eq!(again, config, "{name}");
        assert_eq!(serde_json::to_value(&again).unwrap(), output, "{name}");
    }
}

#[test]
fn unions_pick_the_member_named_by_type() {
    let glue = parse(&data("glue.yaml")).unwrap();
    let Some(ServiceConnection::DatabaseConnection(db)) = &glue.source.service_connection else {
        panic!(
            "not a database connection: {:?}",
            glue.source.service_connection
        )
    };
    let Some(database_service::Config::Glue(conn)) = db.config.as_ref() else {
        panic!("not a Glue connection: {:?}", db.config)
    };
    assert_eq!(conn.r#type.as_str(), "Glue");
    assert_eq!(conn.aws_config.aws_region, "us-east-1");
    assert_eq!(
        conn.aws_config
            .aws_secret_access_key
            .as_ref()
            .unwrap()
            .expose(),
        "aws_secret_access_key"
    );
    let Some(Config::DatabaseMetadata(meta)) = &glue.source.source_config.config else {
        panic!("not DatabaseMetadata")
    };
    // absent keys carry the spec defaults
    assert!(meta.mark_deleted_tables);
    assert!(meta.include_views);
    assert!(!meta.mark_deleted_databases);
    assert_eq!(glue.workflow_config.logger_level, LogLevels::Info);
    assert_eq!(glue.workflow_config.success_threshold, 90);

    let pipeline = parse(&data("gluepipeline.yaml")).unwrap();
    assert!(matches!(
        pipeline.source.service_connection,
        Some(ServiceConnection::PipelineConnection(_))
    ));
    assert!(matches!(
        pipeline.source.source_config.config,
        Some(Config::PipelineMetadata(_))
    ));

    let dbt = parse(&data("dbt-local.yaml")).unwrap();
    let Some(Config::Dbt(dbt)) = &dbt.source.source_config.config else {
        panic!("not dbt")
    };
    let DbtConfigSource::Local(local) = &dbt.dbt_config_source else {
        panic!("not local")
    };
    assert_eq!(local.dbt_manifest_file_path, "/data/jaffle/manifest.json");
}

#[test]
fn a_misspelt_key_is_rejected_by_name() {
    let glue = data("glue.yaml");
    // (text to replace, replacement, the key the error must name)
    for (right, wrong, key) in [
        (
            "type: DatabaseMetadata",
            "type: DatabaseMetadata\n      markDeletedTabels: true",
            "markDeletedTabels",
        ),
        ("awsRegion: us-east-1", "awsRegoin: us-east-1", "awsRegoin"),
        (
            "workflowConfig:",
            "workflowConfg: {}\nworkflowConfig:",
            "workflowConfg",
        ),
        (
            "hostPort: http",
            "hostport: x\n    hostPort: http",
            "hostport",
        ),
        ("  config: {}", "  config: {}\n  typo: 1", "typo"),
        (
            "serviceName: local_glue",
            "servicename: local_glue",
            "servicename",
        ),
    ] {
        let bad = glue.replacen(right, wrong, 1);
        assert_ne!(bad, glue);
        let err = parse(&bad).expect_err(key);
        assert!(
            err.contains(&format!("unknown field `{key}`")),
            "{key}: {err}"
        );
    }
}

#[test]
fn unknown_values_in_the_workflow_file_are_errors() {
    let glue = data("glue.yaml");
    let err =
        parse(&glue.replace("type: DatabaseMetadata", "type: DatabaseMetadataX")).unwrap_err();
    assert!(
        err.contains("DatabaseMetadataX") && err.contains("DatabaseMetadata"),
        "{err}"
    );
    let err = parse(&glue.replace("type: Glue", "type: Mysql")).unwrap_err();
    assert!(err.contains("Mysql") && err.contains("`Glue`"), "{err}");
    let err = parse(&glue.replace("#  loggerLevel: DEBUG", "  loggerLevel: VERBOSE")).unwrap_err();
    assert!(err.contains("VERBOSE"), "{err}");
}

#[test]
fn secrets_stay_out_of_debug_output() {
    // seed-glue.yaml: awsSecretAccessKey `SECRET`, jwtToken `{bot_jwt_token}`
    let config = parse(&data("seed-glue.yaml")).unwrap();
    let debug = format!("{config:?} {config:#?}");
    assert!(!debug.contains("SECRET"), "secret key in Debug output");
    assert!(!debug.contains("bot_jwt_token"), "JWT in Debug output");
    assert!(
        debug.contains("aws_secret_access_key: Some(**********)"),
        "{debug}"
    );
    // but a serialised config carries them, as OpenMetadata expects
    let json = serde_json::to_string(&config).unwrap();
    assert!(json.contains("\"SECRET\"") && json.contains("{bot_jwt_token}"));
}

#[test]
fn an_aws_session_token_is_masked_like_the_secret_key() {
    // OpenMetadata's spec does not mark awsSessionToken as a password; the
    // generator treats it as one all the same (UNMARKED_SECRETS in the xtask).
    use om_spec::generated::security::credentials::aws_credentials::AWSCredentials;
    let creds: AWSCredentials = serde_json::from_value(serde_json::json!({
        "awsRegion": "us-east-1",
        "awsSessionToken": "FwoGZXIvYXdzEXAMPLETOKEN",
    }))
    .unwrap();
    let debug = format!("{creds:?}");
    assert!(!debug.contains("EXAMPLETOKEN"), "{debug}");
    let wire = serde_json::to_value(&creds).unwrap();
    assert_eq!(wire["awsSessionToken"], "FwoGZXIvYXdzEXAMPLETOKEN");
}

#[test]
fn default_config_equals_parsed_empty_sections() {
    use om_spec::generated::metadata_ingestion::database_service_metadata_pipeline::DatabaseServiceMetadataPipeline;
    let parsed: DatabaseServiceMetadataPipeline = serde_json::from_str("{}").unwrap();
    assert_eq!(parsed, DatabaseServiceMetadataPipeline::default());
}
