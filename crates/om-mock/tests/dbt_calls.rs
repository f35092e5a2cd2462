//! The server calls a dbt ingestion makes behave as OpenMetadata's do.

mod common;

use common::Http;
use om_mock::{BulkSupport, MockSettings, OmMock, SeedError};
use serde_json::{Value, json};

const JAFFLE_SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/dbt/jaffle/om_seed.json"
);

/// A Glue-made schema `glue.awsdatacatalog.cafe` with tables `orders` and
/// `customers`.
fn seed_tables(mock: &OmMock) -> (Value, Value) {
    mock.seed_json(&json!({
        "services/databaseServices": [{"name": "glue", "serviceType": "Glue"}],
        "databases": [{"name": "awsdatacatalog", "service": "glue"}],
        "databaseSchemas": [{"name": "cafe", "database": "glue.awsdatacatalog"}],
        "tables": [
            {"name": "orders", "databaseSchema": "glue.awsdatacatalog.cafe",
             "columns": [{"name": "order_id", "dataType": "BIGINT"},
                         {"name": "Amount", "dataType": "DECIMAL"}]},
            {"name": "customers", "databaseSchema": "glue.awsdatacatalog.cafe",
             "columns": [{"name": "customer_id", "dataType": "BIGINT"}]}
        ]
    }))
    .unwrap();
    (
        mock.entity("tables", "glue.awsdatacatalog.cafe.orders")
            .unwrap(),
        mock.entity("tables", "glue.awsdatacatalog.cafe.customers")
            .unwrap(),
    )
}

fn id(entity: &Value) -> &str {
    entity["id"].as_str().unwrap()
}

#[tokio::test]
async fn the_jaffle_seed_gives_users_and_teams_found_by_name() {
    let mock = OmMock::start().await;
    let written = mock.seed_file(JAFFLE_SEED).unwrap();
    assert_eq!(written, 7);
    let http = Http::new(&mock);
    let (status, team) = http.get("teams/name/ops-team").await;
    assert_eq!(status, 200);
    assert_eq!(team["teamType"], json!("Group"));
    assert_eq!(team["fullyQualifiedName"], json!("ops-team"));
    let (status, user) = http.get("users/name/kai").await;
    assert_eq!(status, 200);
    assert_eq!(user["email"], json!("kai@jaffle.example"));
    let (status, body) = http.get("users/name/nobody").await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], json!("user instance for nobody not found"));
    assert_eq!(http.get("teams/name/kai").await.0, 404);
    let (status, dashboard) = http.get("dashboards/name/jaffle_metabase.cafe_ops").await;
    assert_eq!(status, 200);
    assert_eq!(dashboard["service"]["name"], json!("jaffle_metabase"));
}

#[tokio::test]
async fn a_seed_entry_that_fails_is_named() {
    let mock = OmMock::start().await;
    let err = mock
        .seed_json(&json!({
            "users": [{"name": "kai"}],
            "dashboards": [{"name": "d", "service": "missing"}]
        }))
        .unwrap_err();
    match &err {
        SeedError::Entry {
            collection,
            index,
            name,
            message,
        } => {
            assert_eq!(
                (collection.as_str(), *index, name.as_str()),
                ("dashboards", 0, "d")
            );
            assert!(message.contains("missing"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("dashboards[0] (`d`)"), "{err}");
    // What came before the failing entry stays.
    assert!(mock.entity("users", "kai").is_some());
    assert!(matches!(
        mock.seed_json(&json!({"users": {"name": "x"}})),
        Err(SeedError::Shape(_))
    ));
    assert!(matches!(
        mock.seed_file("/nonexistent/om_seed.json"),
        Err(SeedError::Read { .. })
    ));
}

#[tokio::test]
async fn patch_honours_if_match() {
    let mock = OmMock::start().await;
    let (orders, _) = seed_tables(&mock);
    let http = Http::new(&mock);
    let path = format!("tables/{}", id(&orders));
    let describe = |text: &str| json!([{"op": "add", "path": "/description", "value": text}]);

    let (status, patched) = http.patch(&path, describe("one"), Some("W/\"0.1\"")).await;
    assert_eq!(status, 200);
    assert_eq!(patched["version"], json!(0.2));

    // The version moved on: the old tag is refused and nothing changes.
    let (status, body) = http.patch(&path, describe("two"), Some("W/\"0.1\"")).await;
    assert_eq!(status, 412);
    assert_eq!(body["code"], json!(412));
    assert!(body["message"].as_str().unwrap().contains("0.2"), "{body}");
    assert_eq!(
        mock.entity("tables", "glue.awsdatacatalog.cafe.orders")
            .unwrap()["description"],
        json!("one")
    );

    // A strong tag and no tag at all both go through.
    let (status, patched) = http.patch(&path, describe("two"), Some("\"0.2\"")).await;
    assert_eq!((status, &patched["version"]), (200, &json!(0.3)));
    let (status, patched) = http.patch(&path, describe("three"), None).await;
    assert_eq!((status, &patched["version"]), (200, &json!(0.4)));

    // Requests are counted per kind of call, names and ids left out.
    http.get("tables/name/glue.awsdatacatalog.cafe.orders")
        .await;
    http.get("tables?databaseSchema=glue.awsdatacatalog.cafe")
        .await;
    let counts = mock.request_counts();
    let count = |family: &str| counts.get(family).copied().unwrap_or(0);
    assert_eq!(count("PATCH /api/v1/tables/{}"), 4, "{counts:?}");
    assert_eq!(count("GET /api/v1/tables/name/{}"), 1, "{counts:?}");
    assert_eq!(count("GET /api/v1/tables"), 1, "{counts:?}");
    assert_eq!(counts.values().sum::<u64>(), mock.received());
}

#[tokio::test]
async fn forced_conflicts_make_each_of_the_next_patched_entities_retry_once() {
    let mock = OmMock::start_with(MockSettings {
        conflict_next_patches: 2,
        ..MockSettings::default()
    })
    .await;
    let (orders, customers) = seed_tables(&mock);
    let http = Http::new(&mock);
    let describe = json!([{"op": "add", "path": "/description", "value": "d"}]);
    for table in [&orders, &customers] {
        let path = format!("tables/{}", id(table));
        let (status, body) = http.patch(&path, describe.clone(), Some("W/\"0.1\"")).await;
        assert_eq!(status, 412, "{body}");
        // Retrying with the same tag fails: someone else changed the table.
        assert_eq!(
            http.patch(&path, describe.clone(), Some("W/\"0.1\""))
                .await
                .0,
            412
        );
        let (_, fresh) = http.get(&path).await;
        assert_eq!(fresh["version"], json!(0.2));
        let (status, patched) = http.patch(&path, describe.clone(), Some("W/\"0.2\"")).await;
        assert_eq!((status, &patched["version"]), (200, &json!(0.3)));
    }
    // Both forced conflicts are used up.
    let (_, orders_now) = http.get(&format!("tables/{}", id(&orders))).await;
    let (status, _) = http
        .patch(
            &format!("tables/{}", id(&orders)),
            json!([{"op": "add", "path": "/description", "value": "e"}]),
            Some(&format!("W/\"{}\"", orders_now["version"])),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn data_model_sets_owners_only_when_absent_and_adds_tags_by_exact_column_name() {
    let mock = OmMock::start().await;
    let (orders, _) = seed_tables(&mock);
    let http = Http::new(&mock);
    let label = |fqn: &str| json!({"tagFQN": fqn, "source": "Classification", "labelType": "Automated", "state": "Suggested"});
    let model = json!({
        "modelType": "DBT",
        "resourceType": "model",
        "sql": "select 1",
        "owners": [{"id": "00000000-0000-4000-8000-000000000001", "type": "user", "name": "kai"}],
        "tags": [label("dbtTags.mart")],
        "columns": [
            {"name": "order_id", "dataType": "BIGINT", "tags": [label("dbtTags.pii")]},
            {"name": "amount", "dataType": "DECIMAL", "tags": [label("dbtTags.kpi")]}
        ]
    });
    let path = format!("tables/{}/dataModel", id(&orders));
    let (status, table) = http.put(&path, model.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(table["version"], json!(0.2));
    assert_eq!(table["owners"][0]["name"], json!("kai"));
    assert_eq!(table["tags"], json!([label("dbtTags.mart")]));
    assert_eq!(table["columns"][0]["tags"], json!([label("dbtTags.pii")]));
    // `amount` is not `Amount`: the server matches column names exactly.
    assert!(table["columns"][1].get("tags").is_none(), "{table}");
    assert_eq!(table["dataModel"]["sql"], json!("select 1"));

    // The owners stay; tags already there are not doubled.
    let mut second = model;
    second["owners"] =
        json!([{"id": "00000000-0000-4000-8000-000000000002", "type": "team", "name": "ops-team"}]);
    second["tags"] = json!([label("dbtTags.mart"), label("Tier.Tier1")]);
    let (_, table) = http.put(&path, second).await;
    assert_eq!(table["owners"][0]["name"], json!("kai"));
    assert_eq!(
        table["tags"],
        json!([label("dbtTags.mart"), label("Tier.Tier1")])
    );
    assert_eq!(table["columns"][0]["tags"], json!([label("dbtTags.pii")]));
    assert_eq!(
        table["dataModel"]["owners"][0]["name"],
        json!("ops-team"),
        "the model itself is stored as sent"
    );

    // Reads leave the data model out unless asked for.
    let (_, plain) = http.get(&format!("tables/{}", id(&orders))).await;
    assert!(plain.get("dataModel").is_none());
    let (_, asked) = http
        .get(&format!("tables/{}?fields=dataModel,owners", id(&orders)))
        .await;
    assert_eq!(asked["dataModel"]["modelType"], json!("DBT"));

    let (status, _) = http.put(&path, json!({"sql": "x"})).await;
    assert_eq!(status, 400, "modelType is required");
    let (status, _) = http
        .put(
            "tables/00000000-0000-4000-8000-000000000000/dataModel",
            json!({"modelType": "DBT"}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn deleting_lineage_by_source_removes_only_that_sources_incoming_edges() {
    let mock = OmMock::start().await;
    let (orders, customers) = seed_tables(&mock);
    mock.seed(
        "tables",
        json!({"name": "raw", "databaseSchema": "glue.awsdatacatalog.cafe"}),
    )
    .unwrap();
    let raw = mock
        .entity("tables", "glue.awsdatacatalog.cafe.raw")
        .unwrap();
    let http = Http::new(&mock);
    let edge = |from: &Value, to: &Value, source: &str| {
        json!({"edge": {
            "fromEntity": {"id": from["id"], "type": "table"},
            "toEntity": {"id": to["id"], "type": "table"},
            "lineageDetails": {"source": source}
        }})
    };
    for body in [
        edge(&raw, &orders, "DbtLineage"),
        edge(&customers, &orders, "Manual"),
        edge(&orders, &customers, "DbtLineage"),
    ] {
        assert_eq!(http.put("lineage", body).await.0, 200);
    }
    let (status, _) = http
        .delete(&format!("lineage/table/{}/type/DbtLineage", id(&orders)))
        .await;
    assert_eq!(status, 200);
    let left: Vec<(String, String)> = mock.snapshot()["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"]["fqn"].as_str().unwrap().to_string(),
                e["to"]["fqn"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.iter().any(|(f, _)| f.ends_with(".raw")));
    let (status, _) = http
        .delete("lineage/table/00000000-0000-4000-8000-000000000000/type/DbtLineage")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn test_cases_need_a_real_column_and_join_the_tables_basic_suite() {
    let mock = OmMock::start().await;
    seed_tables(&mock);
    mock.seed(
        "dataQuality/testDefinitions",
        json!({"name": "not_null", "entityType": "COLUMN", "testPlatforms": ["dbt"]}),
    )
    .unwrap();
    let http = Http::new(&mock);
    let case = |name: &str, link: &str| json!({"name": name, "testDefinition": "not_null", "entityLink": link});
    let (status, body) = http
        .put(
            "dataQuality/testCases",
            case(
                "nn_amount",
                "<#E::table::glue.awsdatacatalog.cafe.orders::columns::amount>",
            ),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], json!("Invalid column name amount"));

    let (status, created) = http
        .put(
            "dataQuality/testCases",
            case(
                "nn_amount",
                "<#E::table::glue.awsdatacatalog.cafe.orders::columns::Amount>",
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["fullyQualifiedName"],
        json!("glue.awsdatacatalog.cafe.orders.Amount.nn_amount")
    );
    let suite_fqn = "glue.awsdatacatalog.cafe.orders.testSuite";
    assert_eq!(created["testSuite"]["fullyQualifiedName"], json!(suite_fqn));
    let (status, _) = http
        .put(
            "dataQuality/testCases",
            case("rows", "<#E::table::glue.awsdatacatalog.cafe.orders>"),
        )
        .await;
    assert_eq!(status, 201);

    let (status, suite) = http
        .get(&format!(
            "dataQuality/testSuites/name/{suite_fqn}?fields=tests"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(suite["basic"], json!(true));
    assert_eq!(suite["name"], json!(suite_fqn));
    assert_eq!(
        suite["basicEntityReference"]["fullyQualifiedName"],
        json!("glue.awsdatacatalog.cafe.orders")
    );
    let tests: Vec<&str> = suite["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tests, ["nn_amount", "rows"]);
    // One suite per table, however many test cases.
    assert_eq!(mock.entities("dataQuality/testSuites").len(), 1);
}

#[tokio::test]
async fn create_many_makes_all_test_cases_or_none_and_the_table_names_its_suite() {
    let mock = OmMock::start().await;
    seed_tables(&mock);
    let http = Http::new(&mock);
    let table = "glue.awsdatacatalog.cafe.orders";
    let (_, before) = http
        .get(&format!("tables/name/{table}?fields=testSuite"))
        .await;
    assert!(before.get("testSuite").is_none(), "{before}");

    let case = |name: &str, column: &str| {
        json!({"name": name, "testDefinition": "not_null",
               "entityLink": format!("<#E::table::{table}::columns::{column}>")})
    };
    // One bad column refuses the whole list: nothing is created.
    let (status, body) = http
        .post(
            "dataQuality/testCases/createMany",
            json!([case("a", "Amount"), case("b", "amount")]),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], json!("Invalid column name amount"));
    assert!(mock.entities("dataQuality/testCases").is_empty());

    let (status, body) = http
        .post(
            "dataQuality/testCases/createMany",
            json!([case("a", "Amount"), case("b", "Amount")]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fullyQualifiedName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [format!("{table}.Amount.a"), format!("{table}.Amount.b")]
    );
    let (_, after) = http
        .get(&format!("tables/name/{table}?fields=testSuite"))
        .await;
    assert_eq!(
        after["testSuite"]["fullyQualifiedName"],
        json!(format!("{table}.testSuite"))
    );
    // Not asked for, not answered.
    let (_, plain) = http.get(&format!("tables/name/{table}")).await;
    assert!(plain.get("testSuite").is_none());

    // One that exists (or a name twice) refuses the list: nothing more is created.
    for list in [
        json!([case("c", "Amount"), case("a", "Amount")]),
        json!([case("d", "Amount"), case("d", "Amount")]),
    ] {
        let (status, body) = http.post("dataQuality/testCases/createMany", list).await;
        assert_eq!(status, 409, "{body}");
    }
    assert_eq!(mock.entities("dataQuality/testCases").len(), 2);

    let many: Vec<Value> = (0..101).map(|i| case(&format!("t{i}"), "Amount")).collect();
    let (status, _) = http
        .post("dataQuality/testCases/createMany", Value::Array(many))
        .await;
    assert_eq!(status, 413);

    mock.update(|s| s.bulk = BulkSupport::NotFound);
    let (status, _) = http
        .post(
            "dataQuality/testCases/createMany",
            json!([case("e", "Amount")]),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        mock.request_counts()
            .get("POST /api/v1/dataQuality/testCases/createMany")
            .copied(),
        Some(6)
    );
}

#[tokio::test]
async fn test_case_results_filter_by_time_and_keep_duplicates() {
    let mock = OmMock::start().await;
    seed_tables(&mock);
    mock.seed(
        "dataQuality/testCases",
        json!({"name": "t", "testDefinition": "unique", "entityLink": "<#E::table::glue.awsdatacatalog.cafe.orders>"}),
    )
    .unwrap();
    let http = Http::new(&mock);
    let fqn = "glue.awsdatacatalog.cafe.orders.t";
    let result = |ts: i64, status: &str| json!({"timestamp": ts, "testCaseStatus": status});
    for (ts, status) in [(2000, "Success"), (1000, "Failed"), (1000, "Failed")] {
        let (code, _) = http
            .post(
                &format!("dataQuality/testCases/testCaseResults/{fqn}"),
                result(ts, status),
            )
            .await;
        assert_eq!(code, 200);
    }
    let get = |range: &str| {
        let http = &http;
        let path = format!("dataQuality/testCases/testCaseResults/{fqn}{range}");
        async move {
            let (code, page) = http.get(&path).await;
            assert_eq!(code, 200);
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["timestamp"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(get("").await, [1000, 1000, 2000]);
    assert_eq!(get("?startTs=1000&endTs=1000").await, [1000, 1000]);
    assert_eq!(get("?startTs=1500&endTs=3000").await, [2000]);
    assert_eq!(get("?startTs=3000").await, Vec::<i64>::new());

    // The test case carries its latest result when asked for.
    let (_, case) = http
        .get(&format!(
            "dataQuality/testCases/name/{fqn}?fields=testCaseResult"
        ))
        .await;
    assert_eq!(case["testCaseResult"]["timestamp"], json!(2000));
    assert_eq!(case["version"], json!(0.1));
    let (_, plain) = http.get(&format!("dataQuality/testCases/name/{fqn}")).await;
    assert!(plain.get("testCaseResult").is_none());
}

#[tokio::test]
async fn listings_by_parent_page_and_carry_the_fields_asked_for() {
    let mock = OmMock::start().await;
    seed_tables(&mock);
    mock.seed("databases", json!({"name": "other", "service": "glue"}))
        .unwrap();
    mock.seed(
        "databaseSchemas",
        json!({"name": "raw", "database": "glue.awsdatacatalog"}),
    )
    .unwrap();
    mock.seed(
        "tables",
        json!({"name": "zeta", "databaseSchema": "glue.awsdatacatalog.cafe",
               "columns": [{"name": "z", "dataType": "INT"}],
               "tags": [{"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}]}),
    )
    .unwrap();
    let http = Http::new(&mock);

    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = "tables?databaseSchema=glue.awsdatacatalog.cafe&fields=columns,tags,owners,dataModel&limit=2"
            .to_string();
        if let Some(a) = &after {
            q.push_str(&format!("&after={a}"));
        }
        let (status, page) = http.get(&q).await;
        assert_eq!(status, 200);
        assert_eq!(page["paging"]["total"], json!(3));
        for t in page["data"].as_array().unwrap() {
            assert!(t["columns"].is_array(), "columns asked for: {t}");
            names.push(t["name"].as_str().unwrap().to_string());
            if t["name"] == "zeta" {
                assert_eq!(t["tags"][0]["tagFQN"], json!("Tier.Tier1"));
            }
        }
        match page["paging"]["after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    assert_eq!(names, ["customers", "orders", "zeta"]);
    let (_, bare) = http
        .get("tables?databaseSchema=glue.awsdatacatalog.cafe&limit=10")
        .await;
    assert!(bare["data"][0].get("columns").is_none());

    let (_, dbs) = http.get("databases?service=glue&limit=10").await;
    let db_names: Vec<&str> = dbs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(db_names, ["awsdatacatalog", "other"]);
    let (_, schemas) = http
        .get("databaseSchemas?database=glue.awsdatacatalog&limit=1")
        .await;
    assert_eq!(schemas["paging"]["total"], json!(2));
    assert_eq!(schemas["data"][0]["name"], json!("cafe"));
    let (_, rest) = http
        .get(&format!(
            "databaseSchemas?database=glue.awsdatacatalog&limit=1&after={}",
            schemas["paging"]["after"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["data"][0]["name"], json!("raw"));
    assert!(rest["paging"].get("after").is_none());
}

#[tokio::test]
async fn test_cases_list_by_table_link_with_their_columns_tests_and_latest_result() {
    let mock = OmMock::start().await;
    seed_tables(&mock);
    let http = Http::new(&mock);
    let table_link = "<#E::table::glue.awsdatacatalog.cafe.orders>";
    for (name, link) in [
        ("rows", table_link.to_string()),
        (
            "nn_amount",
            "<#E::table::glue.awsdatacatalog.cafe.orders::columns::Amount>".to_string(),
        ),
        (
            "other_table",
            "<#E::table::glue.awsdatacatalog.cafe.customers>".to_string(),
        ),
    ] {
        let (status, _) = http
            .put(
                "dataQuality/testCases",
                json!({"name": name, "testDefinition": "not_null", "entityLink": link}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, _) = http
        .post(
            "dataQuality/testCases/testCaseResults/glue.awsdatacatalog.cafe.orders.rows",
            json!({"timestamp": 7, "testCaseStatus": "Success"}),
        )
        .await;
    assert_eq!(status, 200);
    let encoded =
        percent_encoding::utf8_percent_encode(table_link, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let names = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, only_table) = http
        .get(&format!("dataQuality/testCases?entityLink={encoded}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(names(&only_table), ["rows"]);
    let path = format!(
        "dataQuality/testCases?entityLink={encoded}&includeAllTests=true&fields=testCaseResult,testDefinition&limit=1"
    );
    let (_, first) = http.get(&path).await;
    assert_eq!(first["paging"]["total"], json!(2));
    assert_eq!(names(&first), ["nn_amount"]);
    assert!(
        first["data"][0]
            .get("testCaseResult")
            .is_none_or(Value::is_null)
    );
    let after = first["paging"]["after"].as_str().unwrap();
    let (_, second) = http.get(&format!("{path}&after={after}")).await;
    assert_eq!(names(&second), ["rows"]);
    assert_eq!(second["data"][0]["testCaseResult"]["timestamp"], json!(7));
    assert!(second["paging"].get("after").is_none());
}

#[tokio::test]
async fn lineage_of_an_entity_gives_the_edges_into_it_and_its_ancestors_by_depth() {
    let mock = OmMock::start().await;
    let (orders, customers) = seed_tables(&mock);
    mock.seed(
        "tables",
        json!({"name": "totals", "databaseSchema": "glue.awsdatacatalog.cafe"}),
    )
    .unwrap();
    let totals = mock
        .entity("tables", "glue.awsdatacatalog.cafe.totals")
        .unwrap();
    let http = Http::new(&mock);
    let edge = |from: &Value, to: &Value, details: Value| {
        json!({"edge": {"fromEntity": {"id": id(from), "type": "table"},
                        "toEntity": {"id": id(to), "type": "table"},
                        "lineageDetails": details}})
    };
    for body in [
        edge(
            &orders,
            &customers,
            json!({"source": "DbtLineage", "sqlQuery": "q"}),
        ),
        edge(&customers, &totals, json!({"source": "Manual"})),
    ] {
        assert_eq!(http.put("lineage", body).await.0, 200);
    }
    let (status, lineage) = http
        .get(&format!(
            "lineage/table/{}?upstreamDepth=1&downstreamDepth=0",
            id(&customers)
        ))
        .await;
    assert_eq!(status, 200, "{lineage}");
    assert_eq!(lineage["entity"]["id"], json!(id(&customers)));
    assert_eq!(
        lineage["upstreamEdges"],
        json!([{"fromEntity": id(&orders), "toEntity": id(&customers),
                "lineageDetails": {"source": "DbtLineage", "sqlQuery": "q"}}])
    );
    assert_eq!(lineage["downstreamEdges"], json!([]));
    assert_eq!(
        lineage["nodes"][0]["fullyQualifiedName"],
        json!("glue.awsdatacatalog.cafe.orders")
    );
    let (_, both) = http.get(&format!("lineage/table/{}", id(&customers))).await;
    assert_eq!(both["downstreamEdges"][0]["toEntity"], json!(id(&totals)));
    // Deeper: the edges into every entity fewer than `depth` edges above.
    let upstream_of = |lineage: &Value| -> Vec<(String, String)> {
        lineage["upstreamEdges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["fromEntity"].as_str().unwrap().to_string(),
                    e["toEntity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (_, one) = http
        .get(&format!("lineage/table/{}?downstreamDepth=0", id(&totals)))
        .await;
    let pair = |from: &Value, to: &Value| (id(from).to_string(), id(to).to_string());
    assert_eq!(upstream_of(&one), [pair(&customers, &totals)]);
    for depth in [2, 3] {
        let (status, deep) = http
            .get(&format!(
                "lineage/table/{}?upstreamDepth={depth}&downstreamDepth=0",
                id(&totals)
            ))
            .await;
        assert_eq!(status, 200, "{deep}");
        assert_eq!(
            upstream_of(&deep),
            [pair(&customers, &totals), pair(&orders, &customers)],
            "depth {depth}"
        );
        assert_eq!(deep["nodes"].as_array().unwrap().len(), 2);
    }
    let (status, _) = http
        .get(&format!("lineage/table/{}?upstreamDepth=4", id(&customers)))
        .await;
    assert_eq!(status, 400);
    let (status, _) = http
        .get("lineage/table/00000000-0000-4000-8000-000000000000?upstreamDepth=1")
        .await;
    assert_eq!(status, 404);
}
