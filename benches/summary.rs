//! Not a benchmark: gathers the rows the benchmarks wrote into one table
//! (printed, as Markdown) and `target/bench/summary.json`. `make bench` runs
//! it last.
mod support;

use serde_json::{Value, json};
use support::target_dir;

fn main() {
    let dir = target_dir().join("bench");
    let mut rows: Vec<Value> = std::fs::read_dir(dir.join("rows"))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                .filter_map(|text| serde_json::from_str(&text).ok())
                .collect()
        })
        .unwrap_or_default();
    rows.sort_by_key(|row| row["bench"].as_str().map(String::from));
    if rows.is_empty() {
        panic!(
            "no benchmark rows under {}; run `make bench`",
            dir.display()
        );
    }
    println!("| benchmark | luabox | baseline | ratio | target | met |");
    println!("|---|---:|---:|---:|---|---|");
    for row in &rows {
        let unit = match row["unit"].as_str() {
            Some("us") => "µs",
            Some("kib") => "KiB",
            Some(other) => other,
            None => "",
        };
        let number = |key: &str| row[key].as_f64().unwrap_or(f64::NAN);
        let mut targets = Vec::new();
        if let Some(ratio) = row["target_ratio"].as_f64() {
            targets.push(format!("≤ {ratio}x"));
        }
        if let Some(value) = row["target_value"].as_f64() {
            targets.push(format!("≤ {value} {unit}"));
        }
        println!(
            "| {} | {:.3} {unit} | {:.3} {unit} ({}) | {:.2}x | {} | {} |",
            row["row"].as_str().unwrap_or("?"),
            number("luabox"),
            number("baseline"),
            row["baseline_name"].as_str().unwrap_or("?"),
            number("ratio"),
            targets.join(", "),
            if row["met"] == json!(true) {
                "yes"
            } else {
                "**no**"
            },
        );
    }
    let summary = json!({ "rows": rows });
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    if let Err(error) = std::fs::write(&path, text) {
        panic!("writing {}: {error}", path.display());
    }
    println!("\n(written to {})", path.display());
}
