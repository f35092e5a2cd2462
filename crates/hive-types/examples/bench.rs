//! Column types parsed and mapped per second.
//!
//! `cargo run --release -p hive-types --example bench [seconds per run]`
//!
//! The mix is weighted like a Glue catalog: mostly primitives, a fifth decimals and
//! parameterised strings, a fifth nested types. Each group is also timed alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

const PRIMITIVES: &[&str] = &[
    "string",
    "bigint",
    "int",
    "double",
    "boolean",
    "timestamp",
    "date",
    "float",
    "smallint",
    "tinyint",
    "binary",
    "string",
    "bigint",
    "string",
];

const PARAMETERISED: &[&str] = &[
    "decimal(10,2)",
    "decimal(38,0)",
    "decimal(18, 4)",
    "varchar(255)",
    "char(2)",
    "numeric(5)",
    "timestamp with local time zone",
];

const NESTED: &[&str] = &[
    "array<string>",
    "map<string,string>",
    "struct<id:bigint,name:string,tags:array<string>>",
    "array<struct<user_id:string,score:decimal(5,2),ts:timestamp>>",
    "struct<address:struct<street:string,city:string,zip:varchar(10)>,\
     phones:array<struct<kind:string,number:string>>>",
    "map<string,struct<a:int,b:array<double>>>",
    "struct<`Event Type`:string,payload:map<string,array<struct<k:string,v:double>>>>",
];

/// Parses and maps every type in `types` repeatedly for about `budget`; returns
/// types per second.
fn run(types: &[&str], budget: Duration) -> f64 {
    let mut count: u64 = 0;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..1000 {
            for ty in types {
                let mapped = hive_types::map_type(black_box(ty));
                black_box(&mapped);
            }
            count += types.len() as u64;
        }
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let budget = Duration::from_secs_f64(seconds);

    // 60% primitives, 20% parameterised, 20% nested.
    let mut mix: Vec<&str> = Vec::new();
    for i in 0..60 {
        mix.push(PRIMITIVES[i % PRIMITIVES.len()]);
    }
    for i in 0..20 {
        mix.push(PARAMETERISED[i % PARAMETERISED.len()]);
        mix.push(NESTED[i % NESTED.len()]);
    }
    for ty in &mix {
        hive_types::map_type(ty).expect("benchmark types are valid");
    }
    let average_len = mix.iter().map(|t| t.len()).sum::<usize>() as f64 / mix.len() as f64;

    println!("hive-types: parse + map to OpenMetadata columns ({seconds} s per run)");
    for (name, types) in [
        ("mix (60/20/20)", &mix[..]),
        ("primitives", PRIMITIVES),
        ("parameterised", PARAMETERISED),
        ("nested", NESTED),
    ] {
        let rate = run(types, budget);
        println!("  {name:<16} {:>12.0} types/s", rate);
    }
    println!("  mix average type length: {average_len:.1} bytes");
}
