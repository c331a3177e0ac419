//! Throughput benchmarks (printed figures, never asserted).
fn main() {}
