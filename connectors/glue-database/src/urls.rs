//! Links to the AWS Glue console. Names are percent-encoded (upstream pastes them
//! raw, which breaks links for names with spaces, `#` or `&`), and `catalogId` is
//! the real catalog id even when `databaseName` renames the OpenMetadata database.

use connector_aws::console::{encode as enc, host as console_host};

/// The console page of a Glue database.
pub fn console_database_url(region: &str, catalog_id: &str, database: &str) -> String {
    format!(
        "https://{}/glue/home?region={}#/v2/data-catalog/databases/view/{}?catalogId={}",
        console_host(region),
        enc(region),
        enc(database),
        enc(catalog_id)
    )
}

/// The console page of a Glue table.
pub fn console_table_url(region: &str, catalog_id: &str, database: &str, table: &str) -> String {
    format!(
        "https://{}/glue/home?region={}#/v2/data-catalog/tables/view/{}?database={}&catalogId={}&versionId=latest",
        console_host(region),
        enc(region),
        enc(table),
        enc(database),
        enc(catalog_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_shape_and_encoding() {
        assert_eq!(
            console_table_url("us-east-2", "118146679784", "default", "cloudfront_logs"),
            "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/data-catalog/tables/view/cloudfront_logs?database=default&catalogId=118146679784&versionId=latest"
        );
        assert_eq!(
            console_database_url("us-east-2", "118146679784", "default"),
            "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/data-catalog/databases/view/default?catalogId=118146679784"
        );
        let odd = console_table_url("cn-north-1", "1", "my db", "a&b#c");
        assert!(
            odd.starts_with("https://cn-north-1.console.amazonaws.cn/"),
            "{odd}"
        );
        assert!(odd.contains("/view/a%26b%23c?database=my%20db&"), "{odd}");
    }
}
