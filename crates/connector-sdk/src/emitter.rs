//! Where a connector puts what it finds.

use omctl_record::{EntityKind, Event, Record};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::{ConnectorError, Context, Stopped};

/// Sends records to the host. `emit` waits while the host's buffer is full, so a
/// connector reads its source no faster than the host writes: memory stays
/// bounded whatever the catalog's size. Cheap to clone (one per task).
#[derive(Clone)]
pub struct Emitter {
    tx: mpsc::Sender<Record>,
    ctx: Context,
}

impl Emitter {
    pub(crate) fn new(tx: mpsc::Sender<Record>, ctx: Context) -> Self {
        Emitter { tx, ctx }
    }

    /// Sends one record. `Err(Stopped)` when the host cancelled or stopped
    /// reading: return it (with `?`) to end the run.
    pub async fn emit(&self, record: Record) -> Result<(), Stopped> {
        if self.ctx.is_cancelled() {
            return Err(Stopped);
        }
        let record = match self.tx.try_send(record) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(Stopped),
            Err(mpsc::error::TrySendError::Full(record)) => record,
        };
        tokio::select! {
            sent = self.tx.send(record) => sent.map_err(|_| Stopped),
            () = self.ctx.cancel_token().cancelled() => Err(Stopped),
        }
    }

    /// Sends an entity: `request` is the OpenMetadata create request for `kind`
    /// (`CreateTableRequest`...), `fqn` the entity's FQN, `parent` its parent's FQN
    /// (`None` for a service).
    pub async fn entity<T: Serialize>(
        &self,
        kind: EntityKind,
        fqn: impl Into<String>,
        parent: Option<&str>,
        request: &T,
    ) -> Result<(), ConnectorError> {
        let fqn = fqn.into();
        let record = Record::entity(kind, fqn.clone(), parent.map(str::to_owned), request)
            .map_err(|e| ConnectorError::internal(format!("cannot encode {kind} {fqn}: {e}")))?;
        Ok(self.emit(record).await?)
    }

    /// Says that every entity of `kind` directly under `parent` has been sent and
    /// the listing finished without error: the sink may mark the others deleted.
    pub async fn scope_complete(
        &self,
        kind: EntityKind,
        parent: impl Into<String>,
    ) -> Result<(), Stopped> {
        self.emit(Record::ScopeComplete {
            kind,
            parent: parent.into(),
        })
        .await
    }

    /// Something was lost or degraded, but the entity was still produced.
    pub async fn warn(
        &self,
        kind: impl Into<Option<EntityKind>>,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<(), Stopped> {
        self.emit(Record::Event(Event::warning(kind.into(), name, reason)))
            .await
    }

    /// An entity (or a part of the source) could not be produced. The run goes on.
    pub async fn fail(
        &self,
        kind: impl Into<Option<EntityKind>>,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<(), Stopped> {
        self.emit(Record::Event(Event::failure(kind.into(), name, reason)))
            .await
    }

    /// An entity was left out on purpose (a filter pattern, an include flag).
    pub async fn filtered(
        &self,
        kind: EntityKind,
        fqn: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<(), Stopped> {
        self.emit(Record::Event(Event::filtered(kind, fqn, reason)))
            .await
    }

    /// Cancellation, progress and run options.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Shorthand for `context().is_cancelled()`.
    pub fn is_cancelled(&self) -> bool {
        self.ctx.is_cancelled()
    }
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("capacity", &self.tx.capacity())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
