//! Property checks for the fuzz targets (see `checks`); also replayed by
//! `codec/tests/fuzz_regressions.rs`.

pub mod checks;
