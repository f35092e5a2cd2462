//! A client-side request-rate cap (`connectionArguments.requestsPerSecond`).
//!
//! Glue throttles per account and region, and the quota is shared with crawlers,
//! Athena and everything else in the account. The cap is applied below the SDK, on
//! the HTTP connector, so that every attempt (retries included) of every call made
//! through one [`crate::AwsClient`] waits for its slot, whichever service it is for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::time::Instant;

/// Hands out evenly spaced start times: at most one request per `interval`.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer for `per_second` requests per second (must be positive and finite).
    pub fn per_second(per_second: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next_slot: Mutex::new(None),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits until this caller's slot. Slots are reserved in call order, so waiters
    /// never starve each other.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next_slot.lock().expect("pacer lock");
            let now = Instant::now();
            let slot = match *next {
                Some(t) if t > now => t,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// An HTTP client whose connectors wait for the pacer before each request.
#[derive(Debug, Clone)]
pub(crate) struct PacedHttpClient {
    pub(crate) inner: SharedHttpClient,
    pub(crate) pacer: Arc<Pacer>,
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let pacer = self.pacer.clone();
        HttpConnectorFuture::new(async move {
            pacer.wait().await;
            inner.call(request).await
        })
    }
}

/// The HTTPS client the SDK would build by default (hyper 1 + rustls), which the
/// pacer wraps.
pub(crate) fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lower bounds only (the n-th slot starts n intervals after the first): a sleep
    // never ends early, so this cannot flake on a busy machine.
    #[tokio::test]
    async fn slots_are_spaced_by_the_interval() {
        let pacer = Arc::new(Pacer::per_second(50.0));
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..5 {
            let p = pacer.clone();
            handles.push(tokio::spawn(async move {
                p.wait().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for h in handles {
            times.push(h.await.unwrap() - start);
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            assert!(*t >= Duration::from_millis(20) * i as u32, "{times:?}");
        }
    }
}
