//! Sinks the runtime provides itself. The `metadata-rest` sink lives in
//! `om-client`; all of them implement [`omctl_record::sink::Sink`].

pub mod file;
