//! What a Glue job reads and writes, and the OpenMetadata entities that are.
//!
//! A job's datasets come from its Visual ETL graph (`CodeGenConfigurationNodes`,
//! [`visual`]) when it has one, otherwise from its script ([`script`]). [`resolve`]
//! turns each dataset into the FQNs it has in OpenMetadata; every source × target
//! pair of a job is an edge carrying the pipeline.

pub mod resolve;
pub mod script;
pub mod visual;

use std::fmt;

/// A dataset a job reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataRef {
    /// A Glue Data Catalog table (`database.table`).
    Catalog { database: String, table: String },
    /// An S3 location, as written in the job.
    S3 { path: String },
    /// A table reached over JDBC (Redshift, PostgreSQL, MySQL...). `table` may be
    /// `schema.table`; the database comes from the JDBC URL when not given.
    Jdbc {
        connection: Option<String>,
        url: Option<String>,
        database: Option<String>,
        schema: Option<String>,
        table: String,
    },
}

impl DataRef {
    pub fn catalog(database: &str, table: &str) -> Option<DataRef> {
        let (database, table) = (database.trim(), table.trim());
        (!database.is_empty() && !table.is_empty()).then(|| DataRef::Catalog {
            database: database.to_string(),
            table: table.to_string(),
        })
    }

    pub fn s3(path: &str) -> Option<DataRef> {
        let path = path.trim();
        (!path.is_empty()).then(|| DataRef::S3 {
            path: path.to_string(),
        })
    }

    /// A JDBC table; `None` without a table name.
    pub fn jdbc(
        connection: Option<&str>,
        url: Option<&str>,
        database: Option<&str>,
        schema: Option<&str>,
        table: &str,
    ) -> Option<DataRef> {
        let clean = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let table = table.trim();
        (!table.is_empty()).then(|| DataRef::Jdbc {
            connection: clean(connection),
            url: clean(url),
            database: clean(database),
            schema: clean(schema),
            table: table.to_string(),
        })
    }
}

impl fmt::Display for DataRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataRef::Catalog { database, table } => write!(f, "Glue table {database}.{table}"),
            DataRef::S3 { path } => write!(f, "S3 location {path}"),
            DataRef::Jdbc {
                connection,
                database,
                schema,
                table,
                ..
            } => {
                write!(f, "JDBC table ")?;
                for part in [database, schema].into_iter().flatten() {
                    write!(f, "{part}.")?;
                }
                write!(f, "{table}")?;
                if let Some(c) = connection {
                    write!(f, " (connection {c})")?;
                }
                Ok(())
            }
        }
    }
}

/// The datasets one job reads and writes, each once, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobLineage {
    pub sources: Vec<DataRef>,
    pub targets: Vec<DataRef>,
}

impl JobLineage {
    pub fn source(&mut self, r: Option<DataRef>) {
        if let Some(r) = r
            && !self.sources.contains(&r)
        {
            self.sources.push(r);
        }
    }

    pub fn target(&mut self, r: Option<DataRef>) {
        if let Some(r) = r
            && !self.targets.contains(&r)
        {
            self.targets.push(r);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty() && self.targets.is_empty()
    }
}

/// The database in a JDBC URL: `jdbc:redshift://host:5439/dev` -> `dev`,
/// `jdbc:sqlserver://host;databaseName=sales` -> `sales`,
/// `jdbc:oracle:thin:@//host:1521/ORCL` -> `ORCL`.
pub fn jdbc_url_database(url: &str) -> Option<String> {
    let rest = url.trim().strip_prefix("jdbc:")?;
    let clean = |s: &str| {
        let s = s.split(['?', ';']).next().unwrap_or_default().trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    // Property style (SQL Server and others): `;databaseName=x` or `;database=x`.
    for part in rest.split(';').skip(1) {
        if let Some((k, v)) = part.split_once('=')
            && (k.eq_ignore_ascii_case("databaseName") || k.eq_ignore_ascii_case("database"))
        {
            return clean(v);
        }
    }
    // Oracle: `oracle:thin:@host:1521/SERVICE`, `@//host:1521/SERVICE`, `@host:1521:SID`.
    if let Some((_, target)) = rest.split_once('@') {
        let target = target.trim_start_matches('/');
        if let Some((_, service)) = target.split_once('/') {
            return clean(service);
        }
        return target
            .rsplit(':')
            .next()
            .filter(|s| !s.contains('.'))
            .and_then(clean);
    }
    let (_, after_scheme) = rest.split_once("://")?;
    let (_, path) = after_scheme.split_once('/')?;
    clean(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Parity with upstream's TestParseJdbcUrl, plus forms it does not read.
    #[test]
    fn jdbc_url_databases() {
        assert_eq!(
            jdbc_url_database(
                "jdbc:redshift://cluster.abc.us-east-1.redshift.amazonaws.com:5439/dev"
            )
            .as_deref(),
            Some("dev")
        );
        assert_eq!(
            jdbc_url_database("jdbc:postgresql://myhost:5432/mydb").as_deref(),
            Some("mydb")
        );
        assert_eq!(
            jdbc_url_database("jdbc:mysql://host:3306/salesdb").as_deref(),
            Some("salesdb")
        );
        assert_eq!(jdbc_url_database(""), None);
        assert_eq!(jdbc_url_database("not-a-jdbc-url"), None);
        assert_eq!(
            jdbc_url_database("jdbc:postgresql://h:5432/db?ssl=true").as_deref(),
            Some("db")
        );
        assert_eq!(
            jdbc_url_database("jdbc:sqlserver://h:1433;databaseName=sales;encrypt=true").as_deref(),
            Some("sales")
        );
        assert_eq!(
            jdbc_url_database("jdbc:oracle:thin:@//h:1521/ORCL").as_deref(),
            Some("ORCL")
        );
        assert_eq!(
            jdbc_url_database("jdbc:oracle:thin:@h:1521:XE").as_deref(),
            Some("XE")
        );
        assert_eq!(jdbc_url_database("jdbc:mysql://host:3306/"), None);
    }

    #[test]
    fn lineage_keeps_first_occurrence_only() {
        let mut l = JobLineage::default();
        l.source(DataRef::catalog("a", "b"));
        l.source(DataRef::catalog("a", "b"));
        l.source(DataRef::catalog("", "b"));
        l.target(DataRef::s3("s3://x/"));
        assert_eq!(l.sources.len(), 1);
        assert_eq!(
            l.targets,
            [DataRef::S3 {
                path: "s3://x/".into()
            }]
        );
    }
}
