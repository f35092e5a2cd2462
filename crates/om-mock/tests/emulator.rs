//! The emulator behaves like the server on the calls omctl makes.

mod common;

use common::Http;
use om_mock::{BulkSupport, MockSettings, OmMock};
use serde_json::{Value, json};

async fn hierarchy(http: &Http) {
    assert_eq!(
        http.put(
            "services/databaseServices",
            json!({"name": "svc", "serviceType": "Glue"})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        http.put("databases", json!({"name": "db", "service": "svc"}))
            .await
            .0,
        201
    );
    assert_eq!(
        http.put(
            "databaseSchemas",
            json!({"name": "sch", "database": "svc.db"})
        )
        .await
        .0,
        201
    );
}

#[tokio::test]
async fn create_or_update_bumps_the_version_only_on_change() {
    let mock = OmMock::start().await;
    let http = Http::new(&mock);
    hierarchy(&http).await;
    let table = json!({"name": "a.b", "databaseSchema": "svc.db.sch", "columns": [{"name": "c", "dataType": "INT"}]});
    let (status, created) = http.put("tables", table.clone()).await;
    assert_eq!(status, 201);
    assert_eq!(created["fullyQualifiedName"], json!("svc.db.sch.\"a.b\""));
    assert_eq!(
        created["columns"][0]["fullyQualifiedName"],
        json!("svc.db.sch.\"a.b\".c")
    );
    assert_eq!(created["databaseSchema"]["type"], json!("databaseSchema"));
    assert_eq!(created["service"]["name"], json!("svc"));
    let (status, same) = http.put("tables", table.clone()).await;
    assert_eq!(
        (status, &same["version"], &same["id"]),
        (200, &json!(0.1), &created["id"])
    );
    assert!(same.get("incrementalChangeDescription").is_none());
    let mut changed = table;
    changed["description"] = json!("now described");
    let (_, updated) = http.put("tables", changed).await;
    assert_eq!(updated["version"], json!(0.2));
    assert_eq!(
        updated["incrementalChangeDescription"],
        json!({"previousVersion": 0.1, "fieldsAdded": [{"name": "description"}],
            "fieldsUpdated": [], "fieldsDeleted": []})
    );

    let (status, got) = http.get("tables/name/svc.db.sch.%22a.b%22").await;
    assert_eq!(status, 200);
    assert_eq!(got["description"], json!("now described"));
}

#[tokio::test]
async fn a_child_without_its_parent_is_refused_like_the_server_does() {
    let mock = OmMock::start().await;
    let http = Http::new(&mock);
    let (status, body) = http
        .put(
            "tables",
            json!({"name": "t", "databaseSchema": "svc.db.nope"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        json!("databaseSchema instance for svc.db.nope not found")
    );
    let (status, _) = http
        .put("databases", json!({"name": "a::b", "service": "svc"}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn listings_page_with_cursors_and_filters() {
    let mock = OmMock::start().await;
    let http = Http::new(&mock);
    hierarchy(&http).await;
    http.put(
        "databaseSchemas",
        json!({"name": "other", "database": "svc.db"}),
    )
    .await;
    for i in 0..7 {
        http.put(
            "tables",
            json!({"name": format!("t{i}"), "databaseSchema": "svc.db.sch"}),
        )
        .await;
    }
    http.put(
        "tables",
        json!({"name": "elsewhere", "databaseSchema": "svc.db.other"}),
    )
    .await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = match &after {
            Some(a) => format!("tables?databaseSchema=svc.db.sch&limit=3&after={a}"),
            None => "tables?databaseSchema=svc.db.sch&limit=3".to_string(),
        };
        let (status, page) = http.get(&q).await;
        assert_eq!(status, 200);
        assert_eq!(page["paging"]["total"], json!(7));
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string()),
        );
        match page["paging"]["after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
    let (_, by_db) = http.get("tables?database=svc.db&limit=100").await;
    assert_eq!(by_db["paging"]["total"], json!(8));
}

#[tokio::test]
async fn soft_delete_hides_and_hard_delete_removes() {
    let mock = OmMock::start().await;
    let http = Http::new(&mock);
    hierarchy(&http).await;
    let (_, t) = http
        .put(
            "tables",
            json!({"name": "t", "databaseSchema": "svc.db.sch"}),
        )
        .await;
    let id = t["id"].as_str().unwrap().to_string();
    let (_, schema) = http.get("databaseSchemas/name/svc.db.sch").await;
    let schema_id = schema["id"].as_str().unwrap().to_string();
    assert_eq!(
        http.delete(&format!("databaseSchemas/{schema_id}")).await.0,
        400,
        "children need recursive=true"
    );
    assert_eq!(
        http.delete(&format!("tables/{id}?hardDelete=false&recursive=true"))
            .await
            .0,
        200
    );
    assert_eq!(http.get("tables/name/svc.db.sch.t").await.0, 404);
    let (status, deleted) = http.get("tables/name/svc.db.sch.t?include=deleted").await;
    assert_eq!((status, &deleted["deleted"]), (200, &json!(true)));
    let (_, listed) = http.get("tables?databaseSchema=svc.db.sch").await;
    assert_eq!(listed["paging"]["total"], json!(0));
    let (_, all) = http
        .get("tables?databaseSchema=svc.db.sch&include=all")
        .await;
    assert_eq!(all["paging"]["total"], json!(1));
    // A PUT brings a soft-deleted entity back.
    let (status, back) = http
        .put(
            "tables",
            json!({"name": "t", "databaseSchema": "svc.db.sch"}),
        )
        .await;
    assert_eq!(
        (status, &back["deleted"], &back["id"]),
        (200, &json!(false), &t["id"])
    );
    assert_eq!(
        http.delete(&format!(
            "databaseSchemas/{schema_id}?recursive=true&hardDelete=true"
        ))
        .await
        .0,
        200
    );
    assert!(mock.entities("tables").is_empty());
    // Re-created after a hard delete: a new id.
    http.put(
        "databaseSchemas",
        json!({"name": "sch", "database": "svc.db"}),
    )
    .await;
    let (_, again) = http
        .put(
            "tables",
            json!({"name": "t", "databaseSchema": "svc.db.sch"}),
        )
        .await;
    assert_ne!(again["id"], t["id"]);
}

#[tokio::test]
async fn bulk_answers_per_entity_results_or_404() {
    let mut settings = MockSettings::default();
    settings
        .reject_names
        .insert("bad".to_string(), "bad table".to_string());
    let mock = OmMock::start_with(settings).await;
    let http = Http::new(&mock);
    hierarchy(&http).await;
    let body = json!([
        {"name": "ok", "databaseSchema": "svc.db.sch"},
        {"name": "bad", "databaseSchema": "svc.db.sch"}
    ]);
    let (status, result) = http.put("tables/bulk?async=false", body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(result["status"], json!("partialSuccess"));
    assert_eq!(result["numberOfRowsFailed"], json!(1));
    assert_eq!(result["failedRequest"][0]["request"]["name"], json!("bad"));
    assert_eq!(result["successRequest"][0]["status"], json!(201));
    mock.update(|s| s.bulk = BulkSupport::MethodNotAllowed);
    assert_eq!(http.put("tables/bulk", body).await.0, 405);
}

#[tokio::test]
async fn statuses_replace_by_timestamp_and_lineage_needs_both_ends() {
    let mock = OmMock::start().await;
    let http = Http::new(&mock);
    http.put(
        "services/pipelineServices",
        json!({"name": "jobs", "serviceType": "GluePipeline"}),
    )
    .await;
    let (_, p) = http
        .put("pipelines", json!({"name": "etl", "service": "jobs"}))
        .await;
    let status = |s: &str| json!({"timestamp": 1000, "executionStatus": s});
    assert_eq!(
        http.put("pipelines/jobs.etl/status", status("Pending"))
            .await
            .0,
        200
    );
    assert_eq!(
        http.put("pipelines/jobs.etl/status", status("Successful"))
            .await
            .0,
        200
    );
    assert_eq!(
        http.put(
            "pipelines/jobs.etl/status",
            json!({"timestamp": 2000, "executionStatus": "Failed"})
        )
        .await
        .0,
        200
    );
    let statuses = mock.pipeline_statuses("jobs.etl");
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0]["executionStatus"], json!("Successful"));
    assert_eq!(
        http.put("pipelines/jobs.nope/status", status("Failed"))
            .await
            .0,
        404
    );

    let edge = |to: &Value| json!({"edge": {"fromEntity": {"id": p["id"], "type": "pipeline"}, "toEntity": {"id": to, "type": "pipeline"}}});
    assert_eq!(
        http.put(
            "lineage",
            edge(&json!("00000000-0000-4000-8000-000000000000"))
        )
        .await
        .0,
        404
    );
    let (status, body) = http.put("lineage", edge(&p["id"])).await;
    assert_eq!((status, body), (200, Value::Null));
    assert_eq!(
        mock.snapshot()["lineage"][0]["to"]["fqn"],
        json!("jobs.etl")
    );
}

#[tokio::test]
async fn faults_are_injected_as_configured() {
    let mock = OmMock::start_with(MockSettings {
        fail_every_nth_write: Some(2),
        ..MockSettings::default()
    })
    .await;
    let http = Http::new(&mock);
    let svc = json!({"name": "svc", "serviceType": "Glue"});
    assert_eq!(
        http.put("services/databaseServices", svc.clone()).await.0,
        201
    );
    assert_eq!(
        http.put("services/databaseServices", svc.clone()).await.0,
        503
    );
    mock.update(|s| {
        s.fail_every_nth_write = None;
        s.throttle_every_nth_write = Some((1, 7));
    });
    let resp = reqwest::Client::new()
        .put(format!("{}/v1/services/databaseServices", mock.url()))
        .json(&svc)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    mock.update(|s| s.require_token = Some("t0k".to_string()));
    assert_eq!(http.get("system/version").await.0, 401);
    let log = mock.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [201, 503, 429, 401]
    );
}

#[tokio::test]
async fn containers_are_found_by_full_path_with_the_search_api() {
    let mock = OmMock::start().await;
    mock.seed(
        "services/storageServices",
        json!({"name": "lake", "serviceType": "S3"}),
    )
    .unwrap();
    mock.seed(
        "containers",
        json!({"name": "orders", "service": "lake", "fullPath": "s3://b/orders/",
            "dataModel": {"columns": [{"name": "id", "dataType": "INT"}]}}),
    )
    .unwrap();
    let http = Http::new(&mock);
    let search = |path: &str| {
        format!(
            "search/query?q=fullPath:%22{}%22&index=container_search_index",
            path.replace('/', "%2F").replace(':', "%3A")
        )
    };
    let (status, found) = http.get(&search("s3://b/orders/")).await;
    assert_eq!(status, 200);
    let hits = found["hits"]["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["_source"]["fullyQualifiedName"], "lake.orders");
    assert_eq!(
        hits[0]["_source"]["dataModel"]["columns"][0]["fullyQualifiedName"],
        "lake.orders.id"
    );
    // Exact match only: without the trailing `/` it is another path.
    let (_, none) = http.get(&search("s3://b/orders")).await;
    assert_eq!(none["hits"]["hits"], json!([]));
    let (status, _) = http
        .get("search/query?q=name:orders&index=table_search_index")
        .await;
    assert_eq!(status, 400);
}
