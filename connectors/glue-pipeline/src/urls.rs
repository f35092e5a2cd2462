//! Links to the AWS console for workflows, jobs, job runs, triggers and crawlers.
//! Names are percent-encoded (upstream pastes them raw, so a workflow named
//! `redshift workflow` gets a link with a space in it), and the host follows the
//! region's partition (China, GovCloud).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except RFC 3986 unreserved characters is escaped.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Console links of one region.
#[derive(Debug, Clone)]
pub struct Console {
    region: String,
    host: String,
}

impl Console {
    pub fn new(region: &str) -> Console {
        let host = if region.starts_with("cn-") {
            format!("{region}.console.amazonaws.cn")
        } else if region.starts_with("us-gov-") {
            format!("{region}.console.amazonaws-us-gov.com")
        } else {
            format!("{region}.console.aws.amazon.com")
        };
        Console {
            region: region.to_string(),
            host,
        }
    }

    fn glue(&self, app: &str, fragment: String) -> String {
        format!(
            "https://{}/{app}/home?region={}#{fragment}",
            self.host,
            enc(&self.region)
        )
    }

    pub fn workflow(&self, name: &str) -> String {
        self.glue(
            "glue",
            format!("/v2/etl-configuration/workflows/view/{}", enc(name)),
        )
    }

    pub fn trigger(&self, name: &str) -> String {
        self.glue(
            "glue",
            format!("/v2/etl-configuration/triggers/view/{}", enc(name)),
        )
    }

    pub fn crawler(&self, name: &str) -> String {
        self.glue(
            "glue",
            format!("/v2/data-catalog/crawlers/view/{}", enc(name)),
        )
    }

    pub fn job(&self, name: &str) -> String {
        self.glue("gluestudio", format!("/editor/job/{}/details", enc(name)))
    }

    pub fn job_run(&self, job: &str, run_id: &str) -> String {
        self.glue(
            "gluestudio",
            format!("/job/{}/run/{}", enc(job), enc(run_id)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_shape_encoded_and_partition_aware() {
        let c = Console::new("us-east-2");
        assert_eq!(
            c.workflow("redshift workflow"),
            "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/etl-configuration/workflows/view/redshift%20workflow"
        );
        assert_eq!(
            c.job_run("a/b", "jr_1"),
            "https://us-east-2.console.aws.amazon.com/gluestudio/home?region=us-east-2#/job/a%2Fb/run/jr_1"
        );
        assert!(
            Console::new("cn-north-1")
                .crawler("c")
                .starts_with("https://cn-north-1.console.amazonaws.cn/glue/")
        );
        assert!(
            Console::new("us-gov-west-1")
                .job("j")
                .starts_with("https://us-gov-west-1.console.amazonaws-us-gov.com/")
        );
    }
}
