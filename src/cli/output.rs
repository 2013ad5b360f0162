//! Everything the command line prints goes through here.

use crate::fmt::table;
use chrono::{DateTime, Utc};

/// A line on standard output.
pub fn line(s: &str) {
    println!("{s}");
}

/// A line on standard error.
pub fn note(s: &str) {
    eprintln!("{s}");
}

/// A table aligned by display width.
pub fn rows(header: &[&str], rows: &[Vec<String>]) {
    print!("{}", table(header, rows));
}

pub fn json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// A time as officers read it: Beijing time, to the minute.
pub fn local(t: DateTime<Utc>) -> String {
    crate::fmt::beijing(t).format("%Y-%m-%d %H:%M").to_string()
}
