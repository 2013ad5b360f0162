//! leqi-console as a library, so that tests and benchmarks drive the same
//! code as the binary.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod console;
pub mod context;
pub mod demo;
pub mod deploy;
pub mod domain;
pub mod files;
pub mod fmt;
pub mod i18n;
pub mod keymap;
pub mod store;
pub mod ui;
