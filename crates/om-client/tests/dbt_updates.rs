//! Updates of existing tables (what a dbt run sends) against the OpenMetadata
//! emulator: finding tables whatever the case, bulk listings, not-found hints,
//! descriptions, columns, owners, tags, data models, 412 retries, reruns and dry
//! runs, and the service check at connect.

mod common;

use common::{assert_clean, count_requests, run_with, server_config};
use om_client::{ClientError, MetadataRestSink, OmClient, SinkOptions};
use om_mock::{MockSettings, OmMock};
use omctl_record::status::StepSummary;
use omctl_record::{ColumnUpdate, EntityKind, EntityUpdate, OwnersUpdate, Record, TextUpdate};
use serde_json::{Value, json};

const SVC: &str = "glue_svc";

/// A Glue-ingested catalog: `glue_svc.awsdatacatalog` with schemas `cafe`
/// (`Orders` spelt with a capital, `customers`) and `raw` (`orders_src`); a Group
/// team `data-eng`, a Department team `finance`, users `kai` and `finance`.
fn seed_catalog(mock: &OmMock) {
    let seed = |collection: &str, request: Value| {
        mock.seed(collection, request)
            .unwrap_or_else(|e| panic!("seeding {collection}: {e}"));
    };
    seed(
        "services/databaseServices",
        json!({"name": SVC, "serviceType": "Glue"}),
    );
    seed(
        "databases",
        json!({"name": "awsdatacatalog", "service": SVC}),
    );
    for schema in ["cafe", "raw"] {
        seed(
            "databaseSchemas",
            json!({"name": schema, "database": format!("{SVC}.awsdatacatalog")}),
        );
    }
    seed(
        "tables",
        json!({
            "name": "Orders",
            "databaseSchema": format!("{SVC}.awsdatacatalog.cafe"),
            "columns": [
                {"name": "order_id", "dataType": "BIGINT"},
                {"name": "Amount", "dataType": "DECIMAL", "description": "set by hand"},
                {"name": "customer", "dataType": "STRUCT", "children": [
                    {"name": "City", "dataType": "STRING"}
                ]}
            ]
        }),
    );
    seed(
        "tables",
        json!({
            "name": "customers",
            "databaseSchema": format!("{SVC}.awsdatacatalog.cafe"),
            "description": "Customers, as the Glue catalog says",
            "columns": [{"name": "id", "dataType": "BIGINT"}]
        }),
    );
    seed(
        "tables",
        json!({
            "name": "orders_src",
            "databaseSchema": format!("{SVC}.awsdatacatalog.raw"),
            "columns": [{"name": "id", "dataType": "BIGINT"}]
        }),
    );
    seed("teams", json!({"name": "data-eng", "teamType": "Group"}));
    seed(
        "teams",
        json!({"name": "finance", "teamType": "Department"}),
    );
    seed("users", json!({"name": "kai", "email": "kai@example.com"}));
    seed(
        "users",
        json!({"name": "finance", "email": "finance@example.com"}),
    );
}

const ORDERS: &str = "glue_svc.awsdatacatalog.cafe.Orders";
const CUSTOMERS: &str = "glue_svc.awsdatacatalog.cafe.customers";

fn dbt_options(dry_run: bool) -> SinkOptions {
    SinkOptions {
        dry_run,
        sink_config: json!({"concurrency": 4}),
        source_config: json!({"type": "DBT"}),
        service_name: Some(SVC.to_string()),
        service_connection: None,
    }
}

fn update(fqn: &str, update: EntityUpdate) -> Record {
    Record::Update {
        kind: EntityKind::Table,
        fqn: fqn.to_string(),
        update,
    }
}

fn text(t: &str, overwrite: bool) -> Option<TextUpdate> {
    Some(TextUpdate {
        text: t.to_string(),
        overwrite,
    })
}

/// A table description only.
fn describe(fqn: &str, t: &str, overwrite: bool) -> Record {
    update(
        fqn,
        EntityUpdate {
            description: text(t, overwrite),
            ..EntityUpdate::default()
        },
    )
}

fn owners(names: &[&str], overwrite: bool) -> Option<OwnersUpdate> {
    Some(OwnersUpdate {
        names: names.iter().map(|n| n.to_string()).collect(),
        overwrite,
    })
}

/// A column description only.
fn column(name: &str, t: &str, overwrite: bool) -> ColumnUpdate {
    ColumnUpdate {
        name: name.to_string(),
        description: text(t, overwrite),
        tags: vec![],
    }
}

fn label(tag_fqn: &str) -> Value {
    json!({"tagFQN": tag_fqn, "source": "Classification", "labelType": "Automated", "state": "Suggested"})
}

async fn run_opts(mock: &OmMock, opts: SinkOptions, records: Vec<Record>) -> StepSummary {
    run_with(mock.url(), opts, records)
        .await
        .expect("the run completes")
}

async fn run(mock: &OmMock, records: Vec<Record>) -> StepSummary {
    run_opts(mock, dbt_options(false), records).await
}

fn table(mock: &OmMock, fqn: &str) -> Value {
    mock.entity("tables", fqn)
        .unwrap_or_else(|| panic!("{fqn} is on the server"))
}

/// Requests other than GET.
fn writes(mock: &OmMock) -> Vec<String> {
    mock.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn case_insensitive_match_keeps_the_server_spelling() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![update(
            "glue_svc.AwsDataCatalog.CAFE.orders",
            EntityUpdate {
                description: text("Orders placed in the cafe", false),
                data_model: Some(json!({
                    "modelType": "DBT",
                    "resourceType": "model",
                    "upstream": ["glue_svc.awsdatacatalog.RAW.Orders_Src", "glue_svc.awsdatacatalog.raw.gone"]
                })),
                ..EntityUpdate::default()
            },
        )],
    )
    .await;
    assert_clean(&summary);
    assert_eq!((summary.records, summary.updated_records), (1, 1));
    let orders = table(&mock, ORDERS);
    assert_eq!(orders["description"], "Orders placed in the cafe");
    // Upstream in the server's spelling; the one not on the server left out.
    assert_eq!(
        orders["dataModel"]["upstream"],
        json!(["glue_svc.awsdatacatalog.raw.orders_src"])
    );
    // The writes address the table by id; nothing was created.
    let id = orders["id"].as_str().unwrap();
    assert_eq!(
        writes(&mock),
        [
            format!("PUT /api/v1/tables/{id}/dataModel 200"),
            format!("PATCH /api/v1/tables/{id} 200"),
        ]
    );
    assert_eq!(mock.entities("tables").len(), 3);
}

#[tokio::test]
async fn one_listing_per_schema_for_many_tables() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    for i in 0..40 {
        mock.seed(
            "tables",
            json!({"name": format!("model_{i:02}"), "databaseSchema": format!("{SVC}.awsdatacatalog.cafe"),
                   "columns": [{"name": "id", "dataType": "BIGINT"}]}),
        )
        .unwrap();
    }
    mock.clear_requests();
    let records = (0..40)
        .map(|i| {
            describe(
                &format!("glue_svc.awsdatacatalog.cafe.MODEL_{i:02}"),
                "a dbt model",
                false,
            )
        })
        .collect();
    let mut opts = dbt_options(false);
    opts.sink_config = json!({"concurrency": 16, "listPageSize": 10});
    let summary = run_opts(&mock, opts, records).await;
    assert_clean(&summary);
    assert_eq!((summary.records, summary.updated_records), (40, 40));
    // One listing of the service's databases, one of the schemas, one of the
    // schema's tables (43 tables in pages of 10: 5 pages), whatever the concurrency.
    assert_eq!(count_requests(&mock, "GET", "/api/v1/databases?"), 1);
    assert_eq!(count_requests(&mock, "GET", "/api/v1/databaseSchemas?"), 1);
    let table_pages: Vec<String> = mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/tables?"))
        .map(|r| r.path)
        .collect();
    assert_eq!(table_pages.len(), 5, "{table_pages:#?}");
    assert_eq!(
        table_pages.iter().filter(|p| !p.contains("after=")).count(),
        1,
        "the first page is read once: {table_pages:#?}"
    );
    assert!(table_pages[0].contains("fields=columns%2Ctags%2Cowners%2CdataModel"));
    // No lookup by name of any table.
    assert_eq!(count_requests(&mock, "GET", "/api/v1/tables/"), 0);
    assert_eq!(count_requests(&mock, "PATCH", "/api/v1/tables/"), 40);
    assert_eq!(mock.received(), 1 + 1 + 1 + 1 + 5 + 40);
}

#[tokio::test]
async fn a_table_not_found_is_a_warning_with_the_catalog_mapping_fix() {
    let mock = OmMock::start().await;
    mock.seed(
        "services/databaseServices",
        json!({"name": SVC, "serviceType": "Glue"}),
    )
    .unwrap();
    mock.seed("databases", json!({"name": "123456789012", "service": SVC}))
        .unwrap();
    mock.seed(
        "databaseSchemas",
        json!({"name": "cafe", "database": format!("{SVC}.123456789012")}),
    )
    .unwrap();
    let fqn = "glue_svc.awsdatacatalog.cafe.orders";
    let summary = run(&mock, vec![describe(fqn, "Orders", false)]).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.not_found, 1);
    assert_eq!(summary.warnings, 1);
    assert_eq!(summary.records, 0);
    assert_eq!(summary.warning_messages[0].name, format!("table {fqn}"));
    assert_eq!(
        summary.warning_messages[0].error,
        "table glue_svc.awsdatacatalog.cafe.orders was not found on the server: database service glue_svc \
         has no database awsdatacatalog, its only database is 123456789012; to match them, set \
         `catalogMapping: {awsdatacatalog: \"123456789012\"}` in the dbt workflow (source.sourceConfig.config), \
         or set `databaseName: awsdatacatalog` in the Glue connection and re-run the Glue workflow"
    );
    assert!(writes(&mock).is_empty());
}

#[tokio::test]
async fn a_missing_table_in_a_known_schema_names_the_schema() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![describe(
            "glue_svc.awsdatacatalog.cafe.refunds",
            "Refunds",
            false,
        )],
    )
    .await;
    assert_eq!(summary.not_found, 1);
    assert_eq!(
        summary.warning_messages[0].error,
        "table glue_svc.awsdatacatalog.cafe.refunds was not found on the server: schema glue_svc.awsdatacatalog.cafe has no table refunds"
    );
}

#[tokio::test]
async fn search_across_databases_finds_the_table_elsewhere() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let mut opts = dbt_options(false);
    opts.source_config = json!({"type": "DBT", "searchAcrossDatabases": true});
    let summary = run_opts(
        &mock,
        opts,
        vec![describe(
            "glue_svc.other_catalog.cafe.orders",
            "found across databases",
            false,
        )],
    )
    .await;
    assert_clean(&summary);
    assert_eq!(
        table(&mock, ORDERS)["description"],
        "found across databases"
    );
}

#[tokio::test]
async fn a_database_part_of_star_finds_the_table_in_any_database() {
    // dbt-spark and dbt-glue nodes have no database; the dbt connector writes `*`.
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![describe(
            "glue_svc.*.cafe.orders",
            "found without a database",
            false,
        )],
    )
    .await;
    assert_clean(&summary);
    assert_eq!(
        table(&mock, ORDERS)["description"],
        "found without a database"
    );
}

#[tokio::test]
async fn descriptions_only_where_empty_unless_overwrite_and_never_empty() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![
            // Has a description: kept without overwrite.
            describe(CUSTOMERS, "Customers from dbt", false),
            // Has none: set. Its column Amount has one: kept; order_id: set; an
            // empty text is never written.
            update(
                ORDERS,
                EntityUpdate {
                    description: text("Orders from dbt", false),
                    columns: vec![
                        column("amount", "Amount from dbt", false),
                        column("ORDER_ID", "Key", false),
                        column("customer.city", "   ", true),
                    ],
                    ..EntityUpdate::default()
                },
            ),
        ],
    )
    .await;
    assert_clean(&summary);
    // customers: nothing to change, no write; Orders: one patch.
    assert_eq!((summary.records, summary.updated_records), (2, 1));
    assert_eq!(
        table(&mock, CUSTOMERS)["description"],
        "Customers, as the Glue catalog says"
    );
    let orders = table(&mock, ORDERS);
    assert_eq!(orders["description"], "Orders from dbt");
    assert_eq!(orders["columns"][0]["description"], "Key");
    assert_eq!(orders["columns"][1]["description"], "set by hand");
    assert!(
        orders["columns"][2]["children"][0]
            .get("description")
            .is_none()
    );

    // With overwrite: replaced, and an empty text still never written.
    let summary = run(
        &mock,
        vec![
            describe(CUSTOMERS, "Customers from dbt", true),
            update(
                ORDERS,
                EntityUpdate {
                    description: text("", true),
                    columns: vec![column("Amount", "Amount from dbt", true)],
                    ..EntityUpdate::default()
                },
            ),
        ],
    )
    .await;
    assert_clean(&summary);
    assert_eq!(table(&mock, CUSTOMERS)["description"], "Customers from dbt");
    let orders = table(&mock, ORDERS);
    assert_eq!(orders["description"], "Orders from dbt");
    assert_eq!(orders["columns"][1]["description"], "Amount from dbt");
}

#[tokio::test]
async fn column_updates_match_by_case_insensitive_dotted_path() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![update(
            ORDERS,
            EntityUpdate {
                columns: vec![
                    ColumnUpdate {
                        name: "CUSTOMER.city".into(),
                        description: text("Where the customer lives", false),
                        tags: vec![label("dbtTags.pii")],
                    },
                    column("no_such_column", "lost", false),
                ],
                ..EntityUpdate::default()
            },
        )],
    )
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.warnings, 1);
    assert_eq!(
        summary.warning_messages[0].error,
        "table glue_svc.awsdatacatalog.cafe.Orders has no column no_such_column: its description and tags were not set"
    );
    let city = &table(&mock, ORDERS)["columns"][2]["children"][0];
    assert_eq!(city["name"], "City");
    assert_eq!(city["description"], "Where the customer lives");
    assert_eq!(city["tags"], json!([label("dbtTags.pii")]));
}

#[tokio::test]
async fn owners_team_or_user_set_when_none_or_with_overwrite() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![
            // A Group team.
            update(
                ORDERS,
                EntityUpdate {
                    owners: owners(&["data-eng"], false),
                    ..EntityUpdate::default()
                },
            ),
            // `finance` is a Department team: the user of that name owns it.
            update(
                CUSTOMERS,
                EntityUpdate {
                    owners: owners(&["finance", "nobody"], false),
                    ..EntityUpdate::default()
                },
            ),
        ],
    )
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.warnings, 1, "{:?}", summary.warning_messages);
    assert_eq!(
        summary.warning_messages[0].error,
        format!(
            "owner nobody of table {CUSTOMERS} was not set: the server has no team or user named nobody"
        )
    );
    let owner_of = |fqn: &str| -> Vec<(String, String)> {
        table(&mock, fqn)["owners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let id = o["id"].as_str().unwrap();
                let kind = o["type"].as_str().unwrap().to_string();
                let collection = if kind == "team" { "teams" } else { "users" };
                let name = mock
                    .entities(collection)
                    .into_iter()
                    .find(|e| e["id"] == id)
                    .map(|e| e["name"].as_str().unwrap().to_string())
                    .unwrap();
                (kind, name)
            })
            .collect()
    };
    assert_eq!(owner_of(ORDERS), [("team".into(), "data-eng".into())]);
    assert_eq!(owner_of(CUSTOMERS), [("user".into(), "finance".into())]);

    // Owned already: kept without overwrite, replaced with it (the email finds
    // the user kai).
    run(
        &mock,
        vec![update(
            ORDERS,
            EntityUpdate {
                owners: owners(&["kai"], false),
                ..EntityUpdate::default()
            },
        )],
    )
    .await;
    assert_eq!(owner_of(ORDERS), [("team".into(), "data-eng".into())]);
    let summary = run(
        &mock,
        vec![update(
            ORDERS,
            EntityUpdate {
                owners: owners(&["kai@example.com"], true),
                ..EntityUpdate::default()
            },
        )],
    )
    .await;
    assert_clean(&summary);
    assert_eq!(owner_of(ORDERS), [("user".into(), "kai".into())]);
}

#[tokio::test]
async fn owner_lookups_are_cached() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let records = [ORDERS, CUSTOMERS, "glue_svc.awsdatacatalog.raw.orders_src"]
        .iter()
        .map(|fqn| {
            update(
                fqn,
                EntityUpdate {
                    owners: owners(&["kai"], false),
                    ..EntityUpdate::default()
                },
            )
        })
        .collect();
    let summary = run(&mock, records).await;
    assert_clean(&summary);
    assert_eq!(count_requests(&mock, "GET", "/api/v1/teams/name/kai"), 1);
    assert_eq!(count_requests(&mock, "GET", "/api/v1/users/name/kai"), 1);
}

#[tokio::test]
async fn tags_are_added_once_and_a_tier_replaces_the_tier() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let tags = |labels: &[&str]| EntityUpdate {
        tags: labels.iter().map(|l| label(l)).collect(),
        ..EntityUpdate::default()
    };
    run(
        &mock,
        vec![update(ORDERS, tags(&["dbtTags.pii", "Tier.Tier2"]))],
    )
    .await;
    let summary = run(
        &mock,
        vec![update(
            ORDERS,
            tags(&["dbtTags.pii", "Tier.Tier1", "dbtTags.finance"]),
        )],
    )
    .await;
    assert_clean(&summary);
    let stored: Vec<String> = table(&mock, ORDERS)["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tagFQN"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stored, ["dbtTags.pii", "Tier.Tier1", "dbtTags.finance"]);
}

#[tokio::test]
async fn a_412_reads_the_table_again_and_retries() {
    let mock = OmMock::start_with(MockSettings {
        conflict_next_patches: 1,
        ..MockSettings::default()
    })
    .await;
    seed_catalog(&mock);
    let summary = run(&mock, vec![describe(ORDERS, "Orders from dbt", false)]).await;
    assert_clean(&summary);
    assert_eq!((summary.records, summary.updated_records), (1, 1));
    let orders = table(&mock, ORDERS);
    assert_eq!(orders["description"], "Orders from dbt");
    let id = orders["id"].as_str().unwrap();
    assert_eq!(
        writes(&mock),
        [
            format!("PATCH /api/v1/tables/{id} 412"),
            format!("PATCH /api/v1/tables/{id} 200"),
        ]
    );
    // Read again by id between the two attempts, with the If-Match of the new
    // version on the second.
    assert_eq!(
        count_requests(&mock, "GET", &format!("/api/v1/tables/{id}?")),
        1
    );
}

#[tokio::test]
async fn a_patch_names_the_version_it_was_computed_from() {
    // The emulator compares If-Match with the stored version: a patch from a
    // stale read is refused, one from the current version applies.
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let (client, _) = OmClient::connect(server_config(mock.url()))
        .await
        .expect("connects");
    let orders = table(&mock, ORDERS);
    let id = orders["id"].as_str().unwrap();
    let version = orders["version"].to_string();
    let patch = |text: &str| json!([{"op": "add", "path": "/description", "value": text}]);
    let stale = client
        .patch_with_version(EntityKind::Table, id, ORDERS, &patch("stale"), Some("0.0"))
        .await
        .expect_err("a stale version is refused");
    assert_eq!(stale.status(), Some(412), "{stale}");
    let patched = client
        .patch_with_version(
            EntityKind::Table,
            id,
            ORDERS,
            &patch("current"),
            Some(&version),
        )
        .await
        .expect("the current version applies");
    assert_eq!(patched["description"], "current");
    assert_eq!(table(&mock, ORDERS)["description"], "current");
}

/// The full update of one model, as a dbt run sends it.
fn full_update() -> Record {
    update(
        "glue_svc.awsdatacatalog.cafe.orders",
        EntityUpdate {
            data_model: Some(json!({
                "modelType": "DBT",
                "resourceType": "model",
                "path": "models/orders.sql",
                "rawSql": "select * from {{ ref('orders_src') }}",
                "sql": "select * from raw.orders_src",
                "upstream": ["glue_svc.awsdatacatalog.raw.orders_src"],
                "tags": [label("dbtTags.pii")],
                "columns": [
                    {"name": "order_id", "dataType": "BIGINT", "description": "Key", "tags": [label("dbtTags.pii")]}
                ],
                "dbtSourceProject": "cafe"
            })),
            description: text("Orders from dbt", false),
            columns: vec![ColumnUpdate {
                name: "order_id".into(),
                description: text("Key", false),
                tags: vec![label("dbtTags.pii")],
            }],
            owners: owners(&["kai"], false),
            tags: vec![label("dbtTags.pii"), label("Tier.Tier1")],
        },
    )
}

#[tokio::test]
async fn a_full_update_then_a_rerun_that_writes_nothing() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(&mock, vec![full_update()]).await;
    assert_clean(&summary);
    assert_eq!((summary.records, summary.updated_records), (1, 1));
    let mut orders = table(&mock, ORDERS);
    orders.as_object_mut().unwrap().remove("updatedAt");
    insta::assert_json_snapshot!("full_update_orders", orders);

    mock.clear_requests();
    let again = run(&mock, vec![full_update()]).await;
    assert_clean(&again);
    assert_eq!((again.records, again.updated_records), (1, 0));
    assert!(writes(&mock).is_empty(), "{:#?}", writes(&mock));
    let mut after = table(&mock, ORDERS);
    after.as_object_mut().unwrap().remove("updatedAt");
    assert_eq!(after, orders);
}

#[tokio::test]
async fn a_dry_run_reads_but_writes_nothing() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let before = mock.snapshot();
    let summary = run_opts(&mock, dbt_options(true), vec![full_update()]).await;
    assert_clean(&summary);
    assert_eq!(summary.records, 1);
    assert_eq!(mock.writes(), 0);
    assert_eq!(mock.snapshot(), before);
}

#[tokio::test]
async fn updates_of_other_kinds_fail() {
    let mock = OmMock::start().await;
    seed_catalog(&mock);
    let summary = run(
        &mock,
        vec![Record::Update {
            kind: EntityKind::Database,
            fqn: format!("{SVC}.awsdatacatalog"),
            update: EntityUpdate {
                description: text("x", false),
                ..EntityUpdate::default()
            },
        }],
    )
    .await;
    assert_eq!(summary.errors, 1);
    assert!(
        summary.failures[0]
            .error
            .starts_with("updates of database are not supported"),
        "{:?}",
        summary.failures
    );
}

#[tokio::test]
async fn a_dbt_run_fails_at_connect_when_the_service_is_missing() {
    let mock = OmMock::start().await;
    let e = MetadataRestSink::connect(server_config(mock.url()), dbt_options(false))
        .await
        .err()
        .expect("connect fails");
    assert!(
        matches!(&e, ClientError::MissingService { service } if service == SVC),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "database service `glue_svc` does not exist on the server; run the Glue (or other database) workflow first, or fix source.serviceName"
    );
    // Other workflows do not check.
    let mut opts = dbt_options(false);
    opts.source_config = json!({"type": "DatabaseMetadata"});
    assert!(
        MetadataRestSink::connect(server_config(mock.url()), opts)
            .await
            .is_ok()
    );
}
