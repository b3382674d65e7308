//! The `shipshape` binary: parses arguments, loads the catalog, wires the
//! subsystems together. Glue only.

fn main() {}
