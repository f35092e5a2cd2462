//! Data quality: dbt tests, unit tests and source freshness as OpenMetadata test
//! definitions, test cases and test-case results.

use std::collections::{BTreeMap, HashMap};

use dbt_artifacts::{
    Artifacts, FreshnessResult, Node, TestCaseStatus as DbtStatus, TestOutcome, TestRun,
    latest_test_results,
};
use om_spec::fqn;
use om_spec::generated::api::tests::create_test_case::CreateTestCaseRequest;
use om_spec::generated::api::tests::create_test_definition::CreateTestDefinitionRequest;
use om_spec::generated::tests::basic::{TestCaseResult, TestCaseStatus, TestResultValue};
use om_spec::generated::tests::test_case::TestCaseParameterValue;
use om_spec::generated::tests::test_definition::{
    EntityType, TestCaseParameterDefinition, TestPlatform,
};
use omctl_record::{EntityKind, Event};
use serde_json::Value;

use crate::names::{child_fqn, entity_link};
use crate::non_blank;
use crate::pass::{Place, Places};

/// The one definition every source's freshness check uses.
pub const FRESHNESS_DEFINITION: &str = "source_freshness";

/// The definition of dbt unit tests.
pub const UNIT_TEST_DEFINITION: &str = "dbt_unit_test";

/// Test arguments that say where the test runs rather than what it checks: the
/// entity link carries them.
const PLACEMENT_ARGUMENTS: &[&str] = &["model", "column_name"];

/// A test case to create, and its latest result.
#[derive(Debug, Clone)]
pub struct PlannedTestCase {
    /// `<table fqn>[.<column>].<name>`.
    pub fqn: String,
    pub table_fqn: String,
    pub request: CreateTestCaseRequest,
    pub result: Option<TestCaseResult>,
}

#[derive(Debug, Clone)]
struct Definition {
    entity_type: EntityType,
    description: String,
    /// Parameter names in first-seen order.
    parameters: Vec<String>,
}

/// The test definitions and test cases of one artifact set.
#[derive(Debug, Default)]
pub struct Quality {
    definitions: BTreeMap<String, Definition>,
    pub cases: Vec<PlannedTestCase>,
}

impl Quality {
    /// The distinct definitions the test cases use, by name.
    pub fn definition_requests(&self) -> Vec<CreateTestDefinitionRequest> {
        self.definitions
            .iter()
            .map(|(name, d)| {
                let mut request = CreateTestDefinitionRequest::new(
                    name.clone(),
                    d.entity_type.clone(),
                    vec![TestPlatform::Dbt],
                );
                request.description = Some(d.description.clone());
                if !d.parameters.is_empty() {
                    request.parameter_definition = Some(
                        d.parameters
                            .iter()
                            .map(|p| TestCaseParameterDefinition {
                                name: Some(p.clone()),
                                display_name: Some(p.clone()),
                                required: Some(false),
                                ..Default::default()
                            })
                            .collect(),
                    );
                }
                request
            })
            .collect()
    }

    fn define(&mut self, name: &str, entity_type: EntityType, description: String) {
        self.definitions
            .entry(name.to_string())
            .or_insert(Definition {
                entity_type,
                description,
                parameters: Vec::new(),
            });
    }

    /// Adds the test case of a dbt test or unit test, with its latest result
    /// from run_results when it has one.
    fn add_dbt_case(
        &mut self,
        spec: CaseSpec<'_>,
        run: Option<&TestRun<'_>>,
        events: &mut Vec<Event>,
    ) {
        let subject = spec.subject.to_string();
        let Some(mut case) = new_case(spec, events) else {
            return;
        };
        if let Some(run) = run {
            match run.timestamp_millis {
                Some(ts) => {
                    case.result = Some(result_of(&run.outcome, ts, run.result.status.as_str()));
                }
                None => events.push(Event::warning(
                    Some(EntityKind::TestCase),
                    subject,
                    "the dbt result has no time that can be read (no execute.completed_at and no \
                     generated_at); the result is left out",
                )),
            }
        }
        self.cases.push(case);
    }

    fn add_parameters(&mut self, name: &str, values: &[TestCaseParameterValue]) {
        if let Some(d) = self.definitions.get_mut(name) {
            for v in values {
                if let Some(p) = &v.name
                    && !d.parameters.contains(p)
                {
                    d.parameters.push(p.clone());
                }
            }
        }
    }
}

/// Where a test, unit test or freshness check goes: the table's FQN, or why not.
enum Target {
    Table(String),
    /// Filtered out: nothing to say, the filter event names the table.
    Skip,
}

fn place_of(
    places: &Places<'_>,
    subject_kind: &str,
    subject: &str,
    node: &Node,
    events: &mut Vec<Event>,
) -> Target {
    match places.get(node.unique_id.as_str()) {
        Some(Place::Table(fqn)) => Target::Table(fqn.clone()),
        Some(Place::Filtered) => Target::Skip,
        None => {
            let why = if node.is_ephemeral() {
                format!(
                    "{subject_kind} `{subject}` is on the ephemeral model `{}`, which dbt inlines \
                     into its children and which has no table of its own; no test case is created",
                    node.unique_id
                )
            } else {
                format!(
                    "{subject_kind} `{subject}` is on `{}`, which has no table in OpenMetadata; \
                     no test case is created",
                    node.unique_id
                )
            };
            events.push(Event::warning(Some(EntityKind::TestCase), subject, why));
            Target::Skip
        }
    }
}

/// A test argument as a parameter value: text as it is, anything else as JSON.
fn parameter_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn case_fqn(table_fqn: &str, column: Option<&str>, name: &str) -> Result<String, fqn::FqnError> {
    match column {
        Some(column) => child_fqn(&child_fqn(table_fqn, column)?, name),
        None => child_fqn(table_fqn, name),
    }
}

/// A dbt outcome at a time as OpenMetadata's test-case result.
fn result_of(outcome: &TestOutcome, timestamp: i64, dbt_status: &str) -> TestCaseResult {
    let mut result = TestCaseResult::new(timestamp);
    result.test_case_status = Some(match outcome.status {
        DbtStatus::Success => TestCaseStatus::Success,
        DbtStatus::Failed => TestCaseStatus::Failed,
        DbtStatus::Aborted => TestCaseStatus::Aborted,
    });
    result.result = outcome.result.clone();
    let mut values = vec![TestResultValue {
        name: Some("dbtStatus".to_string()),
        value: Some(dbt_status.to_string()),
        ..Default::default()
    }];
    if let Some(failures) = outcome.failures {
        values.push(TestResultValue {
            name: Some("failures".to_string()),
            value: Some(failures.to_string()),
            ..Default::default()
        });
        result.failed_rows = i64::try_from(failures).ok();
    }
    result.test_result_value = Some(values);
    result
}

/// Builds the test definitions and test cases of an artifact set: dbt tests
/// (generic and singular), unit tests, and source freshness checks.
pub fn plan(artifacts: &Artifacts, places: &Places<'_>, events: &mut Vec<Event>) -> Quality {
    let manifest = &artifacts.manifest;
    let latest = latest_test_results(&artifacts.run_results);
    let mut quality = Quality::default();

    for test in manifest.nodes().iter().filter(|n| n.test.is_some()) {
        let Some(details) = test.test.as_deref() else {
            continue;
        };
        let target = match manifest.tested_node(test) {
            Ok(t) => t,
            Err(e) => {
                events.push(Event::warning(
                    Some(EntityKind::TestCase),
                    &test.unique_id,
                    format!("{e}; no test case is created"),
                ));
                continue;
            }
        };
        let Target::Table(table_fqn) =
            place_of(places, "test", &test.unique_id, target.node, events)
        else {
            continue;
        };
        // The catalog's spelling of the column, when it has the table.
        let column = target.column.map(|c| {
            artifacts
                .catalog
                .as_ref()
                .and_then(|cat| cat.get(&target.node.unique_id))
                .and_then(|t| t.column(c))
                .map_or(c, |col| col.name.as_str())
        });
        let definition = match (&details.test_name, column) {
            (Some(name), Some(_)) => {
                quality.define(
                    name,
                    EntityType::Column,
                    generic_description(details.namespace.as_deref(), name, "a column"),
                );
                name.clone()
            }
            (Some(name), None) => {
                let table_name = format!("{name}_table");
                quality.define(
                    &table_name,
                    EntityType::Table,
                    generic_description(details.namespace.as_deref(), name, "a table"),
                );
                table_name
            }
            (None, _) => {
                let file = test.original_file_path.as_deref().unwrap_or(&test.name);
                quality.define(
                    &test.name,
                    EntityType::Table,
                    format!("dbt singular test: the query in `{file}` returns the rows that fail."),
                );
                test.name.clone()
            }
        };
        let parameters: Vec<TestCaseParameterValue> = details
            .kwargs
            .iter()
            .filter(|(k, _)| !PLACEMENT_ARGUMENTS.contains(&k.as_str()))
            .filter_map(|(k, v)| {
                Some(TestCaseParameterValue {
                    name: Some(k.clone()),
                    value: Some(parameter_text(v)?),
                })
            })
            .collect();
        quality.add_parameters(&definition, &parameters);
        let description = non_blank(&test.description).or_else(|| {
            test.meta
                .get("description")
                .and_then(Value::as_str)
                .and_then(non_blank)
        });
        let spec = CaseSpec {
            table_fqn: &table_fqn,
            column,
            name: &test.name,
            definition: &definition,
            description,
            parameters,
            subject: &test.unique_id,
        };
        quality.add_dbt_case(spec, latest.get(test.unique_id.as_str()), events);
    }

    plan_unit_tests(artifacts, places, &latest, &mut quality, events);
    plan_freshness(artifacts, places, &mut quality, events);
    quality
}

fn generic_description(namespace: Option<&str>, name: &str, on: &str) -> String {
    match namespace {
        Some(ns) => format!("dbt generic test `{ns}.{name}` on {on}."),
        None => format!("dbt generic test `{name}` on {on}."),
    }
}

/// What a test case is made of.
struct CaseSpec<'a> {
    table_fqn: &'a str,
    column: Option<&'a str>,
    name: &'a str,
    definition: &'a str,
    description: Option<String>,
    parameters: Vec<TestCaseParameterValue>,
    /// The dbt id the case comes from, for warnings.
    subject: &'a str,
}

fn new_case(spec: CaseSpec<'_>, events: &mut Vec<Event>) -> Option<PlannedTestCase> {
    let CaseSpec {
        table_fqn,
        column,
        name,
        definition,
        description,
        parameters,
        subject,
    } = spec;
    let fqn = match case_fqn(table_fqn, column, name) {
        Ok(f) => f,
        Err(e) => {
            events.push(Event::warning(
                Some(EntityKind::TestCase),
                subject,
                format!("cannot name the test case: {e}"),
            ));
            return None;
        }
    };
    let mut request = CreateTestCaseRequest::new(
        name.to_string(),
        definition.to_string(),
        entity_link(table_fqn, column),
    );
    request.description = description;
    if !parameters.is_empty() {
        request.parameter_values = Some(parameters);
    }
    Some(PlannedTestCase {
        fqn,
        table_fqn: table_fqn.to_string(),
        request,
        result: None,
    })
}

fn plan_unit_tests(
    artifacts: &Artifacts,
    places: &Places<'_>,
    latest: &BTreeMap<&str, TestRun<'_>>,
    quality: &mut Quality,
    events: &mut Vec<Event>,
) {
    let manifest = &artifacts.manifest;
    for unit in manifest.unit_tests() {
        let model = unit
            .depends_on
            .iter()
            .filter_map(|id| manifest.get(id))
            .find(|n| n.name == unit.model)
            .or_else(|| {
                manifest.nodes().iter().find(|n| {
                    n.name == unit.model && n.resource_type == dbt_artifacts::ResourceType::Model
                })
            });
        let Some(model) = model else {
            events.push(Event::warning(
                Some(EntityKind::TestCase),
                &unit.unique_id,
                format!(
                    "unit test `{}` is on the model `{}`, which the manifest does not hold; \
                     no test case is created",
                    unit.unique_id, unit.model
                ),
            ));
            continue;
        };
        let Target::Table(table_fqn) =
            place_of(places, "unit test", &unit.unique_id, model, events)
        else {
            continue;
        };
        quality.define(
            UNIT_TEST_DEFINITION,
            EntityType::Table,
            "dbt unit test: the model's SQL run on fixed input rows and compared with the \
             expected rows."
                .to_string(),
        );
        let spec = CaseSpec {
            table_fqn: &table_fqn,
            column: None,
            name: &unit.name,
            definition: UNIT_TEST_DEFINITION,
            description: non_blank(&unit.description),
            parameters: Vec::new(),
            subject: &unit.unique_id,
        };
        quality.add_dbt_case(spec, latest.get(unit.unique_id.as_str()), events);
    }
}

fn plan_freshness(
    artifacts: &Artifacts,
    places: &Places<'_>,
    quality: &mut Quality,
    events: &mut Vec<Event>,
) {
    let manifest = &artifacts.manifest;
    let generated_at = artifacts
        .sources
        .as_ref()
        .and_then(|s| s.metadata.generated_at.as_deref());
    let results: HashMap<&str, &FreshnessResult> = artifacts
        .sources
        .iter()
        .flat_map(|s| &s.results)
        .map(|r| (r.unique_id.as_str(), r))
        .collect();
    for source in manifest.sources() {
        let Some(details) = source.source.as_deref() else {
            continue;
        };
        let result = results.get(source.unique_id.as_str()).copied();
        let criteria = details
            .freshness
            .as_ref()
            .filter(|c| c.is_set())
            .or_else(|| {
                result
                    .and_then(|r| r.criteria.as_ref())
                    .filter(|c| c.is_set())
            });
        let Some(criteria) = criteria else { continue };
        let Target::Table(table_fqn) = place_of(
            places,
            "freshness check of",
            &source.unique_id,
            source,
            events,
        ) else {
            continue;
        };
        quality.define(
            FRESHNESS_DEFINITION,
            EntityType::Table,
            "dbt source freshness: the time since a source table was last loaded, against its \
             warn_after and error_after limits."
                .to_string(),
        );
        let mut parameters = Vec::new();
        let mut parameter = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                parameters.push(TestCaseParameterValue {
                    name: Some(name.to_string()),
                    value: Some(value),
                });
            }
        };
        parameter(
            "warn_after",
            criteria.warn_after.as_ref().and_then(|t| t.describe()),
        );
        parameter(
            "error_after",
            criteria.error_after.as_ref().and_then(|t| t.describe()),
        );
        parameter("filter", criteria.filter.clone());
        parameter("loaded_at_field", details.loaded_at_field.clone());
        quality.add_parameters(FRESHNESS_DEFINITION, &parameters);
        let name = format!("{}_freshness", source.name);
        let spec = CaseSpec {
            table_fqn: &table_fqn,
            column: None,
            name: &name,
            definition: FRESHNESS_DEFINITION,
            description: Some(format!(
                "Freshness of the dbt source `{}.{}`.",
                details.source_name, source.name
            )),
            parameters,
            subject: &source.unique_id,
        };
        let Some(mut case) = new_case(spec, events) else {
            continue;
        };
        if let Some(result) = result {
            match result.timestamp_millis(generated_at) {
                Some(ts) => {
                    case.result = Some(result_of(&result.outcome(), ts, result.status.as_str()));
                }
                None => events.push(Event::warning(
                    Some(EntityKind::TestCase),
                    &source.unique_id,
                    "the freshness result in sources.json has no time that can be read; it is \
                     left out",
                )),
            }
        }
        quality.cases.push(case);
    }
}
