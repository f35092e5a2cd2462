//! Credentials: `omctl test-connection` (and `omctl run`) against the Glue
//! emulator with good credentials and with an access key AWS does not recognise,
//! and the secrets staying out of everything omctl prints, even at trace level.

use glue_mock::{Catalog, GlueMock};
use omctl_e2e::*;

#[tokio::test]
async fn test_connection_passes_against_the_emulator() {
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write("glue.yaml", &Workflow::template("glue-database.yaml"));
    let run = omctl
        .test_connection(&workflow, Plugin::GlueDatabase, &[])
        .await;
    run.assert_code(0).assert_no_secret();
    let summary = run.summary();
    assert_eq!(summary["passed"], true, "{summary}");
    let steps: Vec<(&str, bool)> = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(steps, [("GetDatabases", true), ("GetTables", true)]);
    assert!(
        run.stderr.contains("4 databases enumerated") && run.stderr.contains("Result: passed"),
        "{}",
        run.stderr
    );
    // The requests were signed with the configured key, and nothing was written.
    assert!(
        glue.requests()
            .iter()
            .all(|r| r.access_key.as_deref() == Some(ACCESS_KEY))
    );
    assert_eq!(om.writes(), 0);
}

#[tokio::test]
async fn an_unrecognised_access_key_fails_with_exit_3_and_says_so() {
    let glue = GlueMock::builder(Catalog::sample())
        .bad_access_key(ACCESS_KEY)
        .start()
        .await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write("glue.yaml", &Workflow::template("glue-database.yaml"));

    for extra in [&[][..], &["--debug"][..]] {
        let run = omctl
            .test_connection(&workflow, Plugin::GlueDatabase, extra)
            .await;
        run.assert_code(3).assert_no_secret();
        assert_eq!(run.summary()["passed"], false);
        for want in [
            "FAIL GetDatabases",
            "did not recognise the credentials",
            "UnrecognizedClientException",
            "awsConfig.awsAccessKeyId",
            "Result: failed",
        ] {
            assert!(
                run.stderr.contains(want),
                "{want:?} missing:\n{}",
                run.stderr
            );
        }
    }
    assert!(
        glue.requests()
            .iter()
            .all(|r| r.error.as_deref() == Some("UnrecognizedClientException")),
        "{:?}",
        glue.requests()
    );

    // A run stops at the first refused call: a connection failure.
    let run = omctl.run(&workflow, Plugin::GlueDatabase, &[]).await;
    run.assert_code(3).assert_no_secret();
    assert_eq!(run.report()["status"], "failed");
    assert_eq!(run.report()["stopped"]["kind"], "connection");
    assert!(
        run.stderr.contains("did not recognise the credentials"),
        "{}",
        run.stderr
    );
    assert!(om.entities("tables").is_empty());
}

#[tokio::test]
async fn secrets_stay_out_of_a_run_logged_at_trace_level() {
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    let mut omctl = Omctl::new(&glue, &om);
    // Every library's logs too: the AWS SDK signs requests with the secret key and
    // the OpenMetadata client sends the token on every call.
    omctl.set_env("RUST_LOG", "trace");
    let workflow = omctl.write("glue.yaml", &Workflow::template("glue-database.yaml"));
    let run = omctl
        .run(&workflow, Plugin::GlueDatabase, &["--debug"])
        .await;
    run.assert_code(0).assert_no_secret();
    assert!(
        run.stderr.contains("TRACE"),
        "trace logging was not on:\n{}",
        run.stderr
    );
    assert!(!om.entities("tables").is_empty());
}
