//! Datasets of a Visual ETL job, from its `CodeGenConfigurationNodes`.
//!
//! * Data Catalog nodes (`CatalogSource`, `S3CatalogTarget`, the Hudi, Delta,
//!   Iceberg, Kafka, Kinesis, DynamoDB and JDBC-catalog variants, and the
//!   catalog-backed `RedshiftSource`/`RedshiftTarget`) name a Glue table.
//! * S3 nodes name paths (`Paths` of sources, `Path` of targets).
//! * JDBC nodes (`JDBCConnector*`, `DirectJDBCSource`, `AthenaConnectorSource`) and
//!   the `AmazonRedshift*` and `Snowflake*` nodes name a table of another database,
//!   through a Glue connection whose JDBC URL names the database.
//!
//! Transforms (joins, mappings, SQL) carry no datasets. Nodes are read in the order
//! of their ids, so the result does not depend on the map's order.

use aws_sdk_glue::types::{
    AmazonRedshiftNodeData, CodeGenConfigurationNode, Job, SnowflakeNodeData,
};

use super::{DataRef, JobLineage};

fn option_value(o: Option<&aws_sdk_glue::types::Option>) -> Option<&str> {
    o.and_then(|o| o.value())
}

/// An `AmazonRedshift*` node: a Redshift table through a connection, or (when the
/// node reads through the Data Catalog) a Glue table.
fn redshift(data: Option<&AmazonRedshiftNodeData>) -> Option<DataRef> {
    let d = data?;
    if let Some(table) = option_value(d.table()) {
        return DataRef::jdbc(
            option_value(d.connection()),
            None,
            None,
            option_value(d.schema()),
            table,
        );
    }
    DataRef::catalog(
        option_value(d.catalog_database())?,
        option_value(d.catalog_table())?,
    )
}

fn snowflake(data: Option<&SnowflakeNodeData>) -> Option<DataRef> {
    let d = data?;
    DataRef::jdbc(
        option_value(d.connection()),
        None,
        d.database(),
        d.schema(),
        d.table()?,
    )
}

/// Adds one node's datasets.
fn node(n: &CodeGenConfigurationNode, out: &mut JobLineage) {
    macro_rules! catalog {
        ($($acc:ident => $dir:ident),* $(,)?) => {
            $( if let Some(x) = n.$acc() { out.$dir(DataRef::catalog(x.database(), x.table())); } )*
        };
    }
    catalog!(
        catalog_source => source,
        s3_catalog_source => source,
        relational_catalog_source => source,
        dynamo_db_catalog_source => source,
        catalog_kinesis_source => source,
        catalog_kafka_source => source,
        governed_catalog_source => source,
        microsoft_sql_server_catalog_source => source,
        my_sql_catalog_source => source,
        oracle_sql_catalog_source => source,
        postgre_sql_catalog_source => source,
        s3_catalog_hudi_source => source,
        catalog_hudi_source => source,
        s3_catalog_delta_source => source,
        catalog_delta_source => source,
        s3_catalog_iceberg_source => source,
        catalog_iceberg_source => source,
        redshift_source => source,
        catalog_target => target,
        s3_catalog_target => target,
        governed_catalog_target => target,
        microsoft_sql_server_catalog_target => target,
        my_sql_catalog_target => target,
        oracle_sql_catalog_target => target,
        postgre_sql_catalog_target => target,
        s3_hudi_catalog_target => target,
        s3_delta_catalog_target => target,
        s3_iceberg_catalog_target => target,
        redshift_target => target,
    );

    macro_rules! s3_sources {
        ($($acc:ident),* $(,)?) => {
            $( if let Some(x) = n.$acc() { for p in x.paths() { out.source(DataRef::s3(p)); } } )*
        };
    }
    s3_sources!(
        s3_csv_source,
        s3_json_source,
        s3_parquet_source,
        s3_hudi_source,
        s3_delta_source,
        s3_excel_source
    );

    macro_rules! s3_targets {
        ($($acc:ident),* $(,)?) => {
            $( if let Some(x) = n.$acc() { out.target(DataRef::s3(x.path())); } )*
        };
    }
    s3_targets!(
        s3_direct_target,
        s3_glue_parquet_target,
        s3_hudi_direct_target,
        s3_delta_direct_target,
        s3_iceberg_direct_target,
        s3_hyper_direct_target,
    );

    if let Some(x) = n.jdbc_connector_source()
        && let Some(table) = x.connection_table()
    {
        out.source(DataRef::jdbc(
            Some(x.connection_name()),
            None,
            None,
            None,
            table,
        ));
    }
    if let Some(x) = n.jdbc_connector_target() {
        out.target(DataRef::jdbc(
            Some(x.connection_name()),
            None,
            None,
            None,
            x.connection_table(),
        ));
    }
    if let Some(x) = n.direct_jdbc_source() {
        out.source(DataRef::jdbc(
            Some(x.connection_name()),
            None,
            Some(x.database()),
            None,
            x.table(),
        ));
    }
    if let Some(x) = n.athena_connector_source()
        && let Some(table) = x.connection_table()
    {
        out.source(DataRef::jdbc(
            Some(x.connection_name()),
            None,
            None,
            Some(x.schema_name()),
            table,
        ));
    }
    if let Some(x) = n.amazon_redshift_source() {
        out.source(redshift(x.data()));
    }
    if let Some(x) = n.amazon_redshift_target() {
        out.target(redshift(x.data()));
    }
    if let Some(x) = n.snowflake_source() {
        out.source(snowflake(x.data()));
    }
    if let Some(x) = n.snowflake_target() {
        out.target(snowflake(x.data()));
    }
}

/// The datasets of a job's visual graph; `None` when the job has no graph (a
/// script or notebook job).
pub fn visual_lineage(job: &Job) -> Option<JobLineage> {
    let nodes = job
        .code_gen_configuration_nodes()
        .filter(|n| !n.is_empty())?;
    let mut ids: Vec<&String> = nodes.keys().collect();
    ids.sort();
    let mut out = JobLineage::default();
    for id in ids {
        node(&nodes[id], &mut out);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_glue::types::{
        AmazonRedshiftTarget, BasicCatalogTarget, CatalogSource, S3JsonSource,
    };

    #[test]
    fn nodes_by_kind_and_direction() {
        let job = Job::builder()
            .name("j")
            .code_gen_configuration_nodes(
                "b",
                CodeGenConfigurationNode::builder()
                    .catalog_source(
                        CatalogSource::builder()
                            .name("o")
                            .database("sales")
                            .table("orders")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .code_gen_configuration_nodes(
                "a",
                CodeGenConfigurationNode::builder()
                    .s3_json_source(
                        S3JsonSource::builder()
                            .name("raw")
                            .paths("s3://raw/events/")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            // A transform (no dataset of its own).
            .code_gen_configuration_nodes("c", CodeGenConfigurationNode::builder().build())
            .code_gen_configuration_nodes(
                "d",
                CodeGenConfigurationNode::builder()
                    .catalog_target(
                        BasicCatalogTarget::builder()
                            .name("t")
                            .inputs("c")
                            .database("sales")
                            .table("daily")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .code_gen_configuration_nodes(
                "e",
                CodeGenConfigurationNode::builder()
                    .amazon_redshift_target(
                        AmazonRedshiftTarget::builder()
                            .data(
                                AmazonRedshiftNodeData::builder()
                                    .connection(
                                        aws_sdk_glue::types::Option::builder().value("rs").build(),
                                    )
                                    .schema(
                                        aws_sdk_glue::types::Option::builder()
                                            .value("public")
                                            .build(),
                                    )
                                    .table(
                                        aws_sdk_glue::types::Option::builder().value("out").build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();
        let l = visual_lineage(&job).unwrap();
        assert_eq!(
            l.sources,
            [
                DataRef::S3 {
                    path: "s3://raw/events/".into()
                },
                DataRef::Catalog {
                    database: "sales".into(),
                    table: "orders".into()
                },
            ]
        );
        assert_eq!(l.targets.len(), 2);
        assert_eq!(
            l.targets[0],
            DataRef::Catalog {
                database: "sales".into(),
                table: "daily".into()
            }
        );
        assert!(
            matches!(&l.targets[1], DataRef::Jdbc { schema: Some(s), table, .. } if s == "public" && table == "out")
        );
        assert!(visual_lineage(&Job::builder().name("script").build()).is_none());
    }
}
