//! The interface every sink implements (`file`, `metadata-rest`).
//!
//! The runtime pulls records from the source and hands them to the sink one at a
//! time. `write` may return before the record reaches its destination (a sink keeps
//! a bounded window of writes in flight); awaiting it is the back-pressure. Failures
//! of one record are counted in the sink's [`StepSummary`]; only a failure that
//! stops the whole sink (server unreachable, authentication refused) is an `Err`.

use std::future::Future;
use std::pin::Pin;

use crate::Record;
use crate::status::StepSummary;

/// A boxed future, so that sinks can be chosen at run time.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a sink cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The destination cannot be reached or refuses our credentials.
    #[error("{0}")]
    Connection(String),
    /// Anything else that makes every further write pointless (disk full...).
    #[error("{0}")]
    Fatal(String),
}

/// A destination for records.
pub trait Sink: Send {
    /// The step name shown in the summary (`metadata-rest`, `file`).
    fn name(&self) -> &str;

    /// Takes one record.
    fn write<'a>(&'a mut self, record: Record) -> BoxFuture<'a, Result<(), SinkError>>;

    /// Waits for every write in flight, acts on completed scopes (mark-deleted) and
    /// returns what the sink did.
    fn close<'a>(&'a mut self) -> BoxFuture<'a, Result<StepSummary, SinkError>>;
}
