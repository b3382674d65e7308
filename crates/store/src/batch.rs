//! Helpers for statements built at run time: multi-row `VALUES` lists and
//! `IN` lists with `$N` placeholders, and the row counts that keep them under
//! both backends' limits on bound parameters.

/// Rows per multi-row statement. With at most 8 columns this binds at most
/// 4,000 parameters: far below SQLite's 32,766 and PostgreSQL's 65,535, and
/// small enough that one statement never holds a lock for long.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// `($first, $first+1, …), (…)`: `rows` tuples of `cols` placeholders.
pub(crate) fn values_list(rows: usize, cols: usize, first: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 6);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..cols {
            if col > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(first + row * cols + col).to_string());
        }
        sql.push(')');
    }
    sql
}

/// `($first, $first+1, …)`: one tuple of `n` placeholders, for `IN`.
pub(crate) fn in_list(n: usize, first: usize) -> String {
    values_list(1, n, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(values_list(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_list(1, 1, 4), "($4)");
        assert_eq!(in_list(3, 2), "($2, $3, $4)");
    }
}
