//! The one writer of the study's printed tables: Markdown, a header row and a row per line.

/// A Markdown table of `columns` and `rows` (cells as written, one row a line).
pub(crate) fn markdown_table<R, C>(columns: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = String>,
{
    let mut out = format!(
        "| {} |\n|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    for row in rows {
        let cells: Vec<String> = row.into_iter().collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}
