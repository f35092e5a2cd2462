//! The synthetic dbt project is what dbt would write, matches the tables it
//! seeds, and is the same on every run.

use std::collections::BTreeSet;

use dbt_artifacts::{Artifacts, ResourceType, Warning, latest_test_results};
use om_mock::OmMock;
use om_mock::dbt_synth::DbtSynth;

#[test]
fn the_same_numbers_give_the_same_project() {
    let a = DbtSynth::new(120, 300).generate();
    let b = DbtSynth::new(120, 300).generate();
    assert_eq!(a, b);
    assert_ne!(a.manifest, DbtSynth::new(121, 300).generate().manifest);
}

#[test]
fn dbt_artifacts_reads_what_the_generator_writes() {
    let project = DbtSynth::new(200, 600).generate();
    let dir = tempfile::tempdir().unwrap();
    project.write_artifacts(dir.path()).unwrap();
    let artifacts = Artifacts::load(dir.path()).unwrap();

    // sources.json is the one artifact not generated.
    assert!(
        artifacts
            .warnings
            .iter()
            .all(|w| matches!(w, Warning::ArtifactMissing { .. })),
        "{:?}",
        artifacts.warnings
    );
    assert_eq!(artifacts.warnings.len(), 1);
    let counts = project.counts;
    let m = &artifacts.manifest;
    assert_eq!(m.nodes_of(&ResourceType::Model).count(), 200);
    assert_eq!(m.sources().len(), counts.sources);
    assert_eq!(m.nodes_of(&ResourceType::Test).count(), 600);
    assert_eq!(counts.tests, 600);
    assert_eq!(
        counts.ephemeral + counts.views + counts.tables,
        counts.models
    );
    assert_eq!(counts.ephemeral, 20);
    assert!(counts.views > 50 && counts.tables > 50, "{counts:?}");
    let ephemeral = m
        .nodes_of(&ResourceType::Model)
        .filter(|n| n.is_ephemeral())
        .count();
    assert_eq!(ephemeral, counts.ephemeral);

    // 1–3 parents each; lineage through ephemeral models lands on relations.
    let mut edges = BTreeSet::new();
    for node in m.nodes_of(&ResourceType::Model) {
        assert!(
            (1..=3).contains(&node.depends_on.len()),
            "{}",
            node.unique_id
        );
        if node.is_ephemeral() {
            continue;
        }
        let upstream = m.upstream(node);
        assert!(upstream.missing.is_empty());
        assert!(!upstream.nodes.is_empty());
        for parent in upstream.nodes {
            assert!(parent.has_relation(), "{}", parent.unique_id);
            edges.insert((parent.unique_id.clone(), node.unique_id.clone()));
        }
        assert!(node.compiled_code.is_some() && node.raw_code.is_some());
    }
    assert_eq!(edges.len(), counts.lineage_edges);

    // Every test is on a relation and on a column dbt documents there.
    let mut kinds = BTreeSet::new();
    for test in m.nodes_of(&ResourceType::Test) {
        let target = m.tested_node(test).unwrap();
        assert!(target.node.has_relation(), "{}", test.unique_id);
        let column = target.column.expect("column tests only");
        assert!(target.node.column(column).is_some(), "{}", test.unique_id);
        kinds.insert(
            test.test
                .as_ref()
                .unwrap()
                .test_name
                .clone()
                .unwrap_or_default(),
        );
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["accepted_values", "not_null", "relationships", "unique"]
    );

    // The catalog has every relation with all its columns.
    let catalog = artifacts.catalog.as_ref().unwrap();
    assert_eq!(
        catalog.nodes().len() + catalog.sources().len(),
        counts.relations
    );

    // One timed result per test, with the planned outcomes.
    let results = latest_test_results(&artifacts.run_results);
    assert_eq!(results.len(), 600);
    assert!(results.values().all(|r| r.timestamp_millis.is_some()));
    let failed = results
        .values()
        .filter(|r| r.result.status.as_str() == "fail")
        .count();
    let warned = results
        .values()
        .filter(|r| r.result.status.as_str() == "warn")
        .count();
    assert_eq!((failed, warned), (counts.tests_failed, counts.tests_warned));
    assert!(failed > 0 && warned > 0, "{counts:?}");
}

#[tokio::test]
async fn the_seed_holds_one_table_per_relation_under_dbts_names() {
    let synth = DbtSynth::new(100, 50);
    let project = synth.generate();
    let mock = OmMock::start().await;
    let written = mock.seed_json(&project.om_seed).unwrap();
    let tables = mock.entities("tables");
    assert_eq!(tables.len(), project.counts.relations);
    assert!(written > tables.len());

    let dir = tempfile::tempdir().unwrap();
    project.write_artifacts(dir.path()).unwrap();
    let artifacts = Artifacts::load(dir.path()).unwrap();
    let m = &artifacts.manifest;
    for node in m
        .nodes()
        .iter()
        .chain(m.sources())
        .filter(|n| n.has_relation())
    {
        let fqn = format!(
            "{}.{}.{}.{}",
            synth.service,
            node.database.as_deref().unwrap(),
            node.schema,
            node.alias.as_deref().unwrap_or(&node.name)
        );
        let table = mock
            .entity("tables", &fqn)
            .unwrap_or_else(|| panic!("no table {fqn}"));
        let catalog_columns = artifacts
            .catalog
            .as_ref()
            .unwrap()
            .get(&node.unique_id)
            .unwrap()
            .columns
            .len();
        assert_eq!(
            table["columns"].as_array().unwrap().len(),
            catalog_columns,
            "{fqn}"
        );
    }
    for owner in ["kai", "ana"] {
        assert!(mock.entity("users", owner).is_some());
    }
    for team in ["ops-team", "data-eng"] {
        assert_eq!(mock.entity("teams", team).unwrap()["teamType"], "Group");
    }
}
