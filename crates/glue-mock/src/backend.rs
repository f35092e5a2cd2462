//! Where served data comes from: a catalog held as data, or a generated one.
//! Handlers only see this interface, so both serve every operation the same way.

use serde_json::Value;

use crate::model::Catalog;
use crate::synthetic::Synthetic;

/// The catalog behind a mock.
#[derive(Debug, Clone)]
pub enum Backend {
    Static(Catalog),
    Synthetic(Synthetic),
}

impl From<Catalog> for Backend {
    fn from(c: Catalog) -> Backend {
        Backend::Static(c)
    }
}

impl From<Synthetic> for Backend {
    fn from(s: Synthetic) -> Backend {
        Backend::Synthetic(s)
    }
}

/// A database by position: (catalog id, index within that catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbKey {
    pub catalog_id: String,
    pub index: usize,
}

/// Which databases `GetDatabases` lists (`ResourceShareType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareType {
    /// Not given: the catalog's own databases.
    Own,
    /// Only databases shared with the caller from other catalogs.
    Foreign,
    /// Both.
    All,
}

impl Backend {
    pub fn account_id(&self) -> &str {
        match self {
            Backend::Static(c) => &c.account_id,
            Backend::Synthetic(s) => &s.account_id,
        }
    }

    /// Whether a catalog with this id exists.
    pub fn has_catalog(&self, catalog_id: &str) -> bool {
        match self {
            Backend::Static(c) => c.catalog(catalog_id).is_some() || catalog_id == c.account_id,
            Backend::Synthetic(s) => catalog_id == s.account_id,
        }
    }

    /// The databases `GetDatabases` lists, in order.
    pub fn list_databases(&self, catalog_id: &str, share: ShareType) -> Vec<DbKey> {
        let own = |id: &str| -> Vec<DbKey> {
            let n = match self {
                Backend::Static(c) => c.catalog(id).map_or(0, |cd| cd.databases.len()),
                Backend::Synthetic(s) if id == s.account_id => s.databases,
                Backend::Synthetic(_) => 0,
            };
            (0..n)
                .map(|index| DbKey {
                    catalog_id: id.to_string(),
                    index,
                })
                .collect()
        };
        let foreign = || -> Vec<DbKey> {
            match self {
                Backend::Static(c) => c
                    .catalogs
                    .iter()
                    .filter(|cd| cd.shared_with_account && cd.catalog_id != c.account_id)
                    .flat_map(|cd| own(&cd.catalog_id))
                    .collect(),
                Backend::Synthetic(_) => Vec::new(),
            }
        };
        match share {
            ShareType::Own => own(catalog_id),
            ShareType::Foreign => foreign(),
            ShareType::All => {
                let mut v = own(catalog_id);
                v.extend(foreign());
                v
            }
        }
    }

    pub fn find_database(&self, catalog_id: &str, name: &str) -> Option<DbKey> {
        let index = match self {
            Backend::Static(c) => c
                .catalog(catalog_id)?
                .databases
                .iter()
                .position(|d| d.name.eq_ignore_ascii_case(name))?,
            Backend::Synthetic(s) if catalog_id == s.account_id => s.database_index(name)?,
            Backend::Synthetic(_) => return None,
        };
        Some(DbKey {
            catalog_id: catalog_id.to_string(),
            index,
        })
    }

    /// The `Database` shape of a database.
    pub fn database_value(&self, key: &DbKey) -> Value {
        match self {
            Backend::Static(c) => c
                .catalog(&key.catalog_id)
                .expect("key from this backend")
                .databases[key.index]
                .to_glue(&key.catalog_id),
            Backend::Synthetic(s) => s.database(key.index).to_glue(&key.catalog_id),
        }
    }

    fn database_name(&self, key: &DbKey) -> String {
        match self {
            Backend::Static(c) => c
                .catalog(&key.catalog_id)
                .expect("key from this backend")
                .databases[key.index]
                .name
                .clone(),
            Backend::Synthetic(s) => s.database_name(key.index),
        }
    }

    pub fn table_count(&self, key: &DbKey) -> usize {
        match self {
            Backend::Static(c) => c
                .catalog(&key.catalog_id)
                .expect("key from this backend")
                .databases[key.index]
                .tables
                .len(),
            Backend::Synthetic(s) => s.tables_per_database,
        }
    }

    /// The `Table` shape of the `i`-th table of a database.
    pub fn table_value(&self, key: &DbKey, i: usize) -> Value {
        let db_name = self.database_name(key);
        match self {
            Backend::Static(c) => c
                .catalog(&key.catalog_id)
                .expect("key from this backend")
                .databases[key.index]
                .tables[i]
                .to_glue(&key.catalog_id, &db_name),
            Backend::Synthetic(s) => s.table(key.index, i).into_glue(&key.catalog_id, &db_name),
        }
    }

    pub fn find_table(&self, key: &DbKey, name: &str) -> Option<Value> {
        let i = match self {
            Backend::Static(c) => c.catalog(&key.catalog_id)?.databases[key.index]
                .tables
                .iter()
                .position(|t| t.name.eq_ignore_ascii_case(name))?,
            Backend::Synthetic(s) => s.table_index(name)?,
        };
        Some(self.table_value(key, i))
    }
}
