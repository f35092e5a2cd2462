//! What the emulator's tests share: a small HTTP client for its REST API.

#![allow(dead_code)]

use om_mock::OmMock;
use serde_json::Value;

/// Sends requests to `/api/v1/...` of an emulator and reads `(status, JSON body)`.
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    pub fn new(mock: &OmMock) -> Http {
        Http {
            client: reqwest::Client::new(),
            base: format!("{}/v1", mock.url()),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}/{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body), None)
            .await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None, None).await
    }

    pub async fn patch(&self, path: &str, patch: Value, if_match: Option<&str>) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(patch), if_match)
            .await
    }
}
