//! Tests of `shipshape_alert::engine` (placeholder).
