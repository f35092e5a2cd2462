//! Throughput and memory of the `metadata-rest` sink against the OpenMetadata
//! emulator with a fixed latency per request.
//!
//! ```text
//! cargo run --release -p om-client --example sink_bench              # 10k and 100k tables
//! cargo run --release -p om-client --example sink_bench -- --single 10000 [--bulk] [--latency-ms 5] [--concurrency 16]
//! ```
//!
//! Each size runs in its own process (peak memory, `VmHWM`, is per process), and the
//! emulator runs in yet another one, so that the figure is the sink's alone. The
//! records are generated one at a time, as a connector streams them. The time
//! bound is what the window allows: requests ÷ concurrency × latency. `--probe` then
//! sends the same table writes again straight through the client with the same
//! window, as a floor for this machine and emulator without the sink's logic.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use om_client::{MetadataRestSink, ServerConfig, SinkOptions};
use om_mock::{MockSettings, OmMock};
use omctl_record::sink::Sink;
use omctl_record::{EntityKind, Record};
use serde_json::json;

const TABLES_PER_SCHEMA: usize = 500;

struct Args {
    single: Option<usize>,
    serve_mock: bool,
    /// An emulator already running (for profiling the sink alone).
    url: Option<String>,
    /// Also time the same number of bare `GET /system/version` calls with the same
    /// window: the floor this machine and emulator allow, without the sink.
    probe: bool,
    bulk: bool,
    latency_ms: u64,
    concurrency: usize,
    sizes: Vec<usize>,
}

fn parse_args() -> Args {
    let mut a = Args {
        single: None,
        serve_mock: false,
        url: None,
        probe: false,
        bulk: false,
        latency_ms: 5,
        concurrency: 16,
        sizes: vec![10_000, 100_000],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match arg.as_str() {
            "--single" => a.single = Some(value("--single").parse().expect("a number of tables")),
            "--serve-mock" => a.serve_mock = true,
            "--url" => a.url = Some(value("--url")),
            "--bulk" => a.bulk = true,
            "--probe" => a.probe = true,
            "--latency-ms" => a.latency_ms = value("--latency-ms").parse().expect("milliseconds"),
            "--concurrency" => a.concurrency = value("--concurrency").parse().expect("a number"),
            "--sizes" => {
                a.sizes = value("--sizes")
                    .split(',')
                    .map(|s| s.parse().expect("numbers of tables"))
                    .collect()
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// Peak resident memory of this process, in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) this process used, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
    (ticks(11) + ticks(12)) / 100.0
}

/// The catalog, generated one record at a time.
fn records(tables: usize) -> impl Iterator<Item = Record> {
    let svc = "bench";
    let db = "bench.warehouse";
    let head = vec![
        Record::Entity {
            kind: EntityKind::DatabaseService,
            fqn: svc.into(),
            parent: None,
            request: json!({"name": svc, "serviceType": "Glue"}),
        },
        Record::Entity {
            kind: EntityKind::Database,
            fqn: db.into(),
            parent: Some(svc.into()),
            request: json!({"name": "warehouse", "service": svc}),
        },
    ];
    let schemas = tables.div_ceil(TABLES_PER_SCHEMA);
    let body = (0..schemas).flat_map(move |s| {
        let schema = format!("{db}.s{s:04}");
        let first = s * TABLES_PER_SCHEMA;
        let last = (first + TABLES_PER_SCHEMA).min(tables);
        let schema_record = Record::Entity {
            kind: EntityKind::DatabaseSchema,
            fqn: schema.clone(),
            parent: Some(db.into()),
            request: json!({"name": format!("s{s:04}"), "database": db}),
        };
        let sch = schema.clone();
        let table_records = (first..last).map(move |t| {
            let name = format!("table_{t:06}");
            let columns: Vec<_> = (0..10)
                .map(|c| json!({"name": format!("col_{c}"), "dataType": "STRING", "dataTypeDisplay": "string"}))
                .collect();
            Record::Entity {
                kind: EntityKind::Table,
                fqn: format!("{sch}.{name}"),
                parent: Some(sch.clone()),
                request: json!({"name": name, "databaseSchema": sch, "tableType": "External", "columns": columns}),
            }
        });
        std::iter::once(schema_record)
            .chain(table_records)
            .chain(std::iter::once(Record::ScopeComplete {
                kind: EntityKind::Table,
                parent: schema,
            }))
    });
    head.into_iter().chain(body)
}

/// The same table writes again (as updates, everything exists by then), `window`
/// at a time, straight through the client: what the emulator and the machine allow
/// without the sink's ordering, batching and bookkeeping.
async fn probe(server: &ServerConfig, window: usize, tables: usize) -> f64 {
    let client = om_client::OmClient::new(server.clone()).expect("client");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for r in records(tables) {
        let Record::Entity {
            kind: EntityKind::Table,
            fqn,
            request,
            ..
        } = r
        else {
            continue;
        };
        if tasks.len() >= window {
            tasks.join_next().await;
        }
        let c = client.clone();
        tasks.spawn(async move {
            c.put_entity(EntityKind::Table, &fqn, &request)
                .await
                .expect("probe write")
        });
    }
    while tasks.join_next().await.is_some() {}
    (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

/// The emulator's process: prints its URL, serves until stdin closes, then prints
/// how many requests it answered.
async fn serve_mock(latency_ms: u64) {
    let mock = OmMock::start_with(MockSettings {
        latency: Duration::from_millis(latency_ms),
        record_requests: false,
        ..MockSettings::default()
    })
    .await;
    println!("URL {}", mock.url());
    std::io::stdout().flush().unwrap();
    let mut sink = String::new();
    while std::io::stdin()
        .read_line(&mut sink)
        .map(|n| n > 0)
        .unwrap_or(false)
    {}
    println!("STATS {} {}", mock.received(), mock.writes());
}

async fn run_single(tables: usize, a: &Args) {
    let mut emulator = None;
    let url = match &a.url {
        Some(u) => u.clone(),
        None => {
            let exe = std::env::current_exe().expect("own path");
            let mut child = Command::new(exe)
                .args(["--serve-mock", "--latency-ms", &a.latency_ms.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start the emulator process");
            let mut out = BufReader::new(child.stdout.take().expect("piped"));
            let mut line = String::new();
            out.read_line(&mut line).expect("the emulator's URL");
            let url = line
                .trim()
                .strip_prefix("URL ")
                .expect("URL line")
                .to_string();
            emulator = Some((child, out));
            url
        }
    };

    let server = ServerConfig::from_json(&json!({"hostPort": url})).expect("server config");
    let options = SinkOptions {
        sink_config: json!({"concurrency": a.concurrency, "bulk": a.bulk}),
        source_config: json!({"type": "DatabaseMetadata", "markDeletedTables": true}),
        ..SinkOptions::default()
    };
    let started = Instant::now();
    let mut sink = MetadataRestSink::connect(server.clone(), options)
        .await
        .expect("connect");
    for r in records(tables) {
        sink.write(r).await.expect("write");
    }
    let summary = sink.close().await.expect("close");
    let elapsed = started.elapsed();
    let hwm = vm_hwm_kib();
    let cpu = cpu_seconds();
    let probe_seconds = if a.probe {
        Some(probe(&server, a.concurrency, tables).await)
    } else {
        None
    };

    let (mut received, mut writes) = (0, 0);
    if let Some((mut child, mut out)) = emulator {
        drop(child.stdin.take());
        let mut line = String::new();
        out.read_line(&mut line).expect("the emulator's stats");
        child.wait().expect("the emulator exits");
        let mut stats = line
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse::<u64>().unwrap_or(0));
        (received, writes) = (stats.next().unwrap_or(0), stats.next().unwrap_or(0));
    }
    // The probe's calls are not the sink's.
    if a.probe {
        received -= tables as u64;
        writes -= tables as u64;
    }
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let bound = Duration::from_secs_f64(
        received as f64 / a.concurrency as f64 * a.latency_ms as f64 / 1000.0,
    );
    println!(
        "{}",
        json!({
            "tables": tables,
            "bulk": a.bulk,
            "concurrency": a.concurrency,
            "latencyMs": a.latency_ms,
            "requests": received,
            "writes": writes,
            "records": summary.records + summary.updated_records,
            "wallSeconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "boundSeconds": (bound.as_secs_f64() * 1000.0).round() / 1000.0,
            "ratioToBound": ((elapsed.as_secs_f64() / bound.as_secs_f64()) * 100.0).round() / 100.0,
            "sinkCpuSeconds": cpu,
            "probeSeconds": probe_seconds,
            "probeRatioToBound": probe_seconds.map(|p| {
                let probe_bound = tables as f64 / a.concurrency as f64 * a.latency_ms as f64 / 1000.0;
                (p / probe_bound * 100.0).round() / 100.0
            }),
            "peakRssMiB": (hwm as f64 / 1024.0 * 10.0).round() / 10.0,
        })
    );
}

#[tokio::main]
async fn main() {
    let a = parse_args();
    if a.serve_mock {
        serve_mock(a.latency_ms).await;
        return;
    }
    if let Some(n) = a.single {
        run_single(n, &a).await;
        return;
    }
    // One process per size, so that each peak is its own.
    let exe = std::env::current_exe().expect("own path");
    for n in &a.sizes {
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--single",
            &n.to_string(),
            "--latency-ms",
            &a.latency_ms.to_string(),
            "--concurrency",
            &a.concurrency.to_string(),
        ]);
        if a.bulk {
            cmd.arg("--bulk");
        }
        if a.probe {
            cmd.arg("--probe");
        }
        let status = cmd.status().expect("run one size");
        assert!(status.success(), "the run with {n} tables failed");
    }
}
