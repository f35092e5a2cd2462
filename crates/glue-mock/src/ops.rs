//! Glue operation handlers, one function per `X-Amz-Target: AWSGlue.<Op>`, looked up
//! in a table. A handler reads the request body (JSON) and returns the response
//! body or a Glue error. Adding an operation is adding a function and a table row
//! (pipeline operations go in their own table next to [`CATALOG_OPS`]).

use serde_json::{Map, Value, json};

use crate::backend::{Backend, DbKey, ShareType};

/// A Glue error answer: HTTP 400 with `{"__type": code, "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub code: String,
    pub message: String,
}

impl OpError {
    pub fn new(code: &str, message: impl Into<String>) -> OpError {
        OpError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

pub type OpResult = Result<Value, OpError>;
pub type Handler = fn(&Backend, &Value) -> OpResult;

/// Data Catalog operations.
pub const CATALOG_OPS: &[(&str, Handler)] = &[
    ("GetDatabases", get_databases),
    ("GetDatabase", get_database),
    ("GetTables", get_tables),
    ("GetTable", get_table),
];

/// The handler for an operation name.
pub fn handler(op: &str) -> Option<Handler> {
    CATALOG_OPS
        .iter()
        .chain(crate::pipeline_ops::PIPELINE_OPS)
        .find(|(name, _)| *name == op)
        .map(|(_, h)| *h)
}

pub(crate) fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

pub(crate) fn required<'a>(body: &'a Value, key: &str) -> Result<&'a str, OpError> {
    str_field(body, key).filter(|s| !s.is_empty()).ok_or_else(|| {
        OpError::new(
            "ValidationException",
            format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

/// The catalog a call is about: `CatalogId`, or the caller's own.
fn catalog_of(backend: &Backend, body: &Value) -> Result<String, OpError> {
    let id = str_field(body, "CatalogId").unwrap_or(backend.account_id());
    if backend.has_catalog(id) {
        Ok(id.to_string())
    } else {
        Err(OpError::new(
            "AccessDeniedException",
            format!("Insufficient Lake Formation permission(s) on catalog {id}"),
        ))
    }
}

fn database_of(backend: &Backend, body: &Value, name_key: &str) -> Result<DbKey, OpError> {
    let catalog = catalog_of(backend, body)?;
    let name = required(body, name_key)?;
    backend.find_database(&catalog, name).ok_or_else(|| {
        OpError::new(
            "EntityNotFoundException",
            format!("Database {name} not found."),
        )
    })
}

/// A cheap stable hash, to tie a page token to the listing it came from.
fn scope_hash(scope: &str) -> u64 {
    scope.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The slice of a listing one call returns, and the token for the next call.
fn page(
    body: &Value,
    scope: &str,
    total: usize,
) -> Result<(usize, usize, Option<String>), OpError> {
    page_limited(body, scope, total, 100, 100)
}

/// [`page`] for operations with other page sizes: `default` when `MaxResults` is
/// absent, `limit` the largest `MaxResults` the operation accepts.
pub(crate) fn page_limited(
    body: &Value,
    scope: &str,
    total: usize,
    default: usize,
    limit: usize,
) -> Result<(usize, usize, Option<String>), OpError> {
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => default,
        Some(v) => {
            let n = v.as_u64().unwrap_or(0) as usize;
            if !(1..=limit).contains(&n) {
                return Err(OpError::new(
                    "ValidationException",
                    format!(
                        "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to {limit} and greater than or equal to 1"
                    ),
                ));
            }
            n
        }
    };
    let hash = format!("{:016x}", scope_hash(scope));
    let start = match str_field(body, "NextToken") {
        None => 0,
        Some(tok) => {
            let parsed = tok
                .split_once('.')
                .filter(|(_, h)| *h == hash)
                .and_then(|(o, _)| o.parse::<usize>().ok())
                .filter(|o| *o <= total);
            parsed
                .ok_or_else(|| OpError::new("InvalidInputException", "Invalid pagination token"))?
        }
    };
    let end = (start + max).min(total);
    let next = (end < total).then(|| format!("{end}.{hash}"));
    Ok((start, end, next))
}

pub(crate) fn with_token(mut m: Map<String, Value>, next: Option<String>) -> Value {
    if let Some(t) = next {
        m.insert("NextToken".into(), Value::String(t));
    }
    Value::Object(m)
}

fn get_databases(backend: &Backend, body: &Value) -> OpResult {
    let catalog = catalog_of(backend, body)?;
    let share = match str_field(body, "ResourceShareType") {
        None => ShareType::Own,
        Some("FOREIGN") => ShareType::Foreign,
        Some("ALL") => ShareType::All,
        Some(other) => {
            return Err(OpError::new(
                "ValidationException",
                format!(
                    "Value '{other}' at 'resourceShareType' failed to satisfy constraint: Member must satisfy enum value set: [FOREIGN, ALL, FEDERATED]"
                ),
            ));
        }
    };
    let keys = backend.list_databases(&catalog, share);
    let scope = format!("dbs/{catalog}/{share:?}");
    let (start, end, next) = page(body, &scope, keys.len())?;
    let list: Vec<Value> = keys[start..end]
        .iter()
        .map(|k| backend.database_value(k))
        .collect();
    let mut m = Map::new();
    m.insert("DatabaseList".into(), Value::Array(list));
    Ok(with_token(m, next))
}

fn get_database(backend: &Backend, body: &Value) -> OpResult {
    let key = database_of(backend, body, "Name")?;
    Ok(json!({"Database": backend.database_value(&key)}))
}

fn get_tables(backend: &Backend, body: &Value) -> OpResult {
    let key = database_of(backend, body, "DatabaseName")?;
    if body.get("Expression").is_some_and(|e| !e.is_null()) {
        return Err(OpError::new(
            "ValidationException",
            "glue-mock does not implement GetTables Expression filters",
        ));
    }
    let scope = format!("tables/{}/{}", key.catalog_id, key.index);
    let (start, end, next) = page(body, &scope, backend.table_count(&key))?;
    let list: Vec<Value> = (start..end).map(|i| backend.table_value(&key, i)).collect();
    let mut m = Map::new();
    m.insert("TableList".into(), Value::Array(list));
    Ok(with_token(m, next))
}

fn get_table(backend: &Backend, body: &Value) -> OpResult {
    let key = database_of(backend, body, "DatabaseName")?;
    let name = required(body, "Name")?;
    match backend.find_table(&key, name) {
        Some(t) => Ok(json!({"Table": t})),
        None => Err(OpError::new(
            "EntityNotFoundException",
            format!("Table {name} not found."),
        )),
    }
}
