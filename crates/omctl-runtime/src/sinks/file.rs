//! `sink.type: file`: every record as one line of JSON (NDJSON), exactly as it
//! crossed the plugin boundary. The file is what a `metadata-rest` sink would be
//! given; records carry no secrets (a service record has no connection).
//!
//! `sink.config`: `filename` (as in OpenMetadata's file sink), relative to the
//! working directory; the file is created or truncated.
//!
//! In a dry run nothing is written to the file; the lines go to the writer the
//! caller gives (the CLI gives stdout), so a user sees what would be written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use omctl_record::Record;
use omctl_record::sink::{BoxFuture, Sink, SinkError};
use omctl_record::status::StepSummary;
use serde::Deserialize;

/// `sink.config` of the file sink.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    pub filename: PathBuf,
}

/// Writes records as NDJSON.
pub struct FileSink {
    out: Box<dyn Write + Send>,
    /// Where the lines go, for messages.
    target: String,
    summary: StepSummary,
}

impl FileSink {
    /// The step name in summaries.
    pub const NAME: &'static str = "file";

    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<FileSink, SinkError> {
        let file = File::create(path)
            .map_err(|e| SinkError::Fatal(format!("cannot create {}: {e}", path.display())))?;
        Ok(FileSink::to_writer(
            Box::new(BufWriter::with_capacity(64 * 1024, file)),
            path.display().to_string(),
        ))
    }

    /// Writes to `out` instead of a file (a dry run shows the lines on stdout).
    pub fn to_writer(out: Box<dyn Write + Send>, target: impl Into<String>) -> FileSink {
        FileSink {
            out,
            target: target.into(),
            summary: StepSummary::new(Self::NAME),
        }
    }

    fn write_line(&mut self, record: &Record) -> Result<(), SinkError> {
        let mut line = record.to_line();
        line.push('\n');
        self.out
            .write_all(line.as_bytes())
            .map_err(|e| SinkError::Fatal(format!("cannot write to {}: {e}", self.target)))?;
        if !matches!(record, Record::Event(_) | Record::ScopeComplete { .. }) {
            self.summary.records += 1;
        }
        Ok(())
    }
}

impl Sink for FileSink {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn write<'a>(&'a mut self, record: Record) -> BoxFuture<'a, Result<(), SinkError>> {
        // A buffered write of one line: cheap enough to do on the async side.
        let result = self.write_line(&record);
        Box::pin(async move { result })
    }

    fn close<'a>(&'a mut self) -> BoxFuture<'a, Result<StepSummary, SinkError>> {
        let result = self
            .out
            .flush()
            .map_err(|e| SinkError::Fatal(format!("cannot write to {}: {e}", self.target)))
            .map(|()| self.summary.clone());
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omctl_record::{EntityKind, Event};
    use std::sync::{Arc, Mutex};

    fn records() -> Vec<Record> {
        vec![
            Record::Entity {
                kind: EntityKind::DatabaseService,
                fqn: "svc".into(),
                parent: None,
                request: serde_json::json!({"name": "svc", "serviceType": "Glue"}),
            },
            Record::Event(Event::filtered(
                EntityKind::Table,
                "svc.db.sch.tmp",
                "excluded",
            )),
            Record::ScopeComplete {
                kind: EntityKind::Table,
                parent: "svc.db.sch".into(),
            },
        ]
    }

    #[tokio::test]
    async fn writes_one_record_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let mut sink = FileSink::create(&path).unwrap();
        for r in records() {
            sink.write(r).await.unwrap();
        }
        let summary = sink.close().await.unwrap();
        assert_eq!(summary.name, "file");
        assert_eq!(
            summary.records, 1,
            "events and scope markers are not entities"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let back: Vec<Record> = lines
            .iter()
            .map(|l| Record::from_line(l).unwrap())
            .collect();
        assert_eq!(back, records());
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn unwritable_path_is_a_fatal_error_naming_it() {
        let err = FileSink::create(Path::new("/nonexistent-dir/x/out.ndjson"))
            .err()
            .unwrap();
        assert!(
            matches!(&err, SinkError::Fatal(m) if m.contains("/nonexistent-dir/x/out.ndjson")),
            "{err}"
        );
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn writer_mode_shows_the_same_lines() {
        let shared = Shared::default();
        let mut sink = FileSink::to_writer(Box::new(shared.clone()), "stdout");
        for r in records() {
            sink.write(r).await.unwrap();
        }
        sink.close().await.unwrap();
        let text = String::from_utf8(shared.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn config_is_strict() {
        let c: FileSinkConfig =
            serde_json::from_value(serde_json::json!({"filename": "a.ndjson"})).unwrap();
        assert_eq!(c.filename, PathBuf::from("a.ndjson"));
        let err = serde_json::from_value::<FileSinkConfig>(serde_json::json!({"fileName": "a"}))
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `fileName`"),
            "{err}"
        );
    }
}
