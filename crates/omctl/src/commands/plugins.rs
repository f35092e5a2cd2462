//! `omctl plugins list` and `omctl plugins describe`.

use std::path::PathBuf;

use omctl_runtime::plugin::Plugin;
use serde_json::json;

use super::discover;
use crate::describe::markdown_table;
use crate::exit::{self, CliError};

fn source_types(plugin: &Plugin) -> String {
    plugin.manifest().source_types.join(", ")
}

fn abi_version(plugin: &Plugin) -> &str {
    let v = plugin.manifest().abi_version.as_str();
    if v.is_empty() { "?" } else { v }
}

pub fn list(plugin_paths: &[PathBuf], as_json: bool) -> Result<u8, CliError> {
    let set = discover(plugin_paths)?;
    if as_json {
        let plugins: Vec<_> = set
            .plugins()
            .iter()
            .map(|p| {
                let m = p.manifest();
                json!({
                    "name": m.name,
                    "version": m.version,
                    "abiVersion": m.abi_version,
                    "sourceTypes": m.source_types,
                    "serviceType": m.service_type,
                    "capabilities": m.capabilities,
                    "file": p.path().display().to_string(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(plugins));
        return Ok(exit::SUCCESS);
    }
    if set.plugins().is_empty() {
        eprintln!(
            "No plugin found. Pass --plugin PATH, set OMCTL_PLUGIN_PATH, or put plugins in a plugins/ directory next to omctl."
        );
        return Ok(exit::SUCCESS);
    }
    let headers = ["NAME", "VERSION", "ABI", "SOURCE TYPES", "FILE"];
    let rows: Vec<[String; 5]> = set
        .plugins()
        .iter()
        .map(|p| {
            [
                p.name().to_string(),
                p.manifest().version.clone(),
                abi_version(p).to_string(),
                source_types(p),
                p.path().display().to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    println!("{}", line(&headers.map(String::from)));
    for row in &rows {
        println!("{}", line(row));
    }
    Ok(exit::SUCCESS)
}

pub fn describe(
    plugin_paths: &[PathBuf],
    name: &str,
    show_json: bool,
    show_markdown: bool,
) -> Result<u8, CliError> {
    let set = discover(plugin_paths)?;
    let Some(plugin) = set.find(name) else {
        let known: Vec<String> = set
            .plugins()
            .iter()
            .map(|p| format!("{} ({})", p.name(), source_types(p)))
            .collect();
        let known = if known.is_empty() {
            "no plugin was found".to_string()
        } else {
            format!("found: {}", known.join(", "))
        };
        return Err(CliError::other(
            exit::CONFIG,
            format!("no plugin is named `{name}` or serves source type `{name}`; {known}"),
        ));
    };
    let m = plugin.manifest();
    let schema = &m.config_schema;
    if show_markdown {
        println!("# {} {}\n", m.name, m.version);
        if let Some(d) = &m.description {
            println!("{d}\n");
        }
        println!("- source types: {}", source_types(plugin));
        if let Some(t) = &m.service_type {
            println!(
                "- service type: {t}{}",
                m.service_kind
                    .as_deref()
                    .map(|k| format!(" ({k})"))
                    .unwrap_or_default()
            );
        }
        if let Some(c) = &m.connection_type {
            println!("- connection type (`serviceConnection.config.type`): {c}");
        }
        println!("- connector interface: {}", abi_version(plugin));
        if !m.capabilities.is_empty() {
            println!("- capabilities: {}", m.capabilities.join(", "));
        }
        println!("- file: {}\n", plugin.path().display());
        println!("## Connection settings (`source.serviceConnection.config`)\n");
        print!("{}", markdown_table(schema));
    }
    if show_json {
        if show_markdown {
            println!("\n## JSON Schema\n");
        }
        println!(
            "{}",
            serde_json::to_string_pretty(schema)
                .map_err(|e| CliError::other(exit::INTERNAL, e.to_string()))?
        );
    }
    Ok(exit::SUCCESS)
}
