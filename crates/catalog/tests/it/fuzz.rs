//! Property tests: no input makes `parse_str` panic.

use proptest::prelude::*;

use crate::support::{crate_dir, parse};

fn example() -> String {
    std::fs::read_to_string(crate_dir().join("../../examples/shipshape.toml")).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        let _ = parse(&source);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    /// Deletes a span of the example and inserts text there: this keeps most
    /// of the file valid, so the mutations reach deep into validation.
    #[test]
    fn mutated_example_never_panics(
        at in any::<prop::sample::Index>(),
        delete in 0usize..40,
        insert in "[a-z0-9\"=\\[\\]{},.:/ \n_-]{0,12}",
    ) {
        let source = example();
        let start = at.index(source.len().max(1));
        let end = (start + delete).min(source.len());
        if let (Some(head), Some(tail)) = (source.get(..start), source.get(end..)) {
            let _ = parse(&format!("{head}{insert}{tail}"));
        }
    }

    /// Replaces one line of the example with another of its lines.
    #[test]
    fn shuffled_example_lines_never_panic(from in any::<prop::sample::Index>(), to in any::<prop::sample::Index>()) {
        let source = example();
        let mut lines: Vec<&str> = source.lines().collect();
        let len = lines.len().max(1);
        let (from, to) = (from.index(len), to.index(len));
        if let (Some(line), true) = (lines.get(from).copied(), to < lines.len()) {
            lines[to] = line;
        }
        let _ = parse(&lines.join("\n"));
    }
}

#[test]
fn the_example_itself_is_valid() {
    assert!(parse(&example()).is_ok());
}
