//! Helpers for statements built at run time: multi-row `VALUES` lists and
//! `IN` lists, and the row count that keeps them under both backends'
//! limits on bound parameters.
//!
//! Placeholders are `$N` on PostgreSQL but anonymous `?` on SQLite: sqlx
//! binds a named SQLite parameter by looking its name up in a list, which
//! is quadratic in a statement's parameters and dominated the cost of a
//! 500-row insert. Static statements keep `$N` on both backends.

use crate::Backend;

/// Rows per multi-row statement. With at most 8 columns this binds at most
/// 4,000 parameters: far below SQLite's 32,766 and PostgreSQL's 65,535, and
/// small enough that one statement never holds a lock for long.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// Numbers the placeholders of one statement, in binding order.
#[derive(Debug)]
pub(crate) struct Placeholders {
    backend: Backend,
    next: usize,
}

impl Placeholders {
    /// Placeholders for a new statement on `backend`.
    pub(crate) fn new(backend: Backend) -> Self {
        Self { backend, next: 1 }
    }

    /// The next single placeholder.
    pub(crate) fn one(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// `(…, …)`: one tuple of `n` placeholders, e.g. for `IN`.
    pub(crate) fn tuple(&mut self, n: usize) -> String {
        let parts: Vec<String> = (0..n).map(|_| self.one()).collect();
        format!("({})", parts.join(", "))
    }

    /// `(…), (…)`: `rows` tuples of `cols` placeholders, for `VALUES`.
    pub(crate) fn tuples(&mut self, rows: usize, cols: usize) -> String {
        let tuples: Vec<String> = (0..rows).map(|_| self.tuple(cols)).collect();
        tuples.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_in_binding_order() {
        let mut pg = Placeholders::new(Backend::Postgres);
        assert_eq!(pg.one(), "$1");
        assert_eq!(pg.tuples(2, 2), "($2, $3), ($4, $5)");
        assert_eq!(pg.tuple(1), "($6)");
        let mut sqlite = Placeholders::new(Backend::Sqlite);
        assert_eq!(sqlite.one(), "?");
        assert_eq!(sqlite.tuples(2, 2), "(?, ?), (?, ?)");
    }
}
