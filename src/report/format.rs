//! Writing a [`Report`] as one self-contained HTML file or as Markdown.

use std::fmt::Write;

use base64::Engine;

use super::document::{Report, Table};
use crate::Result;

const CSS: &str = "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:1000px;\
margin:2em auto;padding:0 1em;color:#222;line-height:1.5}\
h1{border-bottom:2px solid #0072b2;padding-bottom:.2em}h2{margin-top:1.6em;color:#0072b2}\
table{border-collapse:collapse;margin:1em 0;font-size:.95em}\
th,td{border:1px solid #ccc;padding:.3em .7em;text-align:left}\
th{background:#eef4fa}tr:nth-child(even) td{background:#fafafa}\
figure{margin:1.5em 0;text-align:center}figure svg,figure img{max-width:100%;height:auto}\
figcaption{color:#555;font-size:.95em;margin-top:.3em}";

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a Markdown table cell (pipes, line breaks).
fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn html_table(out: &mut String, table: &Table) {
    out.push_str("<table>\n<thead><tr>");
    for h in &table.headers {
        let _ = write!(out, "<th>{}</th>", escape_html(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape_html(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

impl Report {
    /// One self-contained HTML page: inline CSS, figures inlined, no external URLs.
    pub fn to_html(&self) -> Result<String> {
        self.check()?;
        let mut out = String::new();
        let title = escape_html(&self.title);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        for section in &self.sections {
            let _ = writeln!(out, "<section>\n<h2>{}</h2>", escape_html(&section.heading));
            for p in &section.paragraphs {
                let _ = writeln!(out, "<p>{}</p>", escape_html(p));
            }
            section.tables.iter().for_each(|t| html_table(&mut out, t));
            for f in &section.figures {
                let _ = writeln!(out, "<figure id=\"fig-{}\">", f.name);
                if self.html_png {
                    let data = base64::engine::general_purpose::STANDARD.encode(&f.png);
                    let _ = writeln!(
                        out,
                        "<img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{data}\">",
                        escape_html(&f.caption),
                        f.size.0,
                        f.size.1
                    );
                } else {
                    out.push_str(f.svg.trim());
                    out.push('\n');
                }
                let _ = writeln!(
                    out,
                    "<figcaption>{}</figcaption>\n</figure>",
                    escape_html(&f.caption)
                );
            }
            out.push_str("</section>\n");
        }
        out.push_str("</body>\n</html>\n");
        Ok(out)
    }

    /// Markdown with GitHub tables; figures link to `figures/<name>.svg`.
    pub fn to_markdown(&self) -> Result<String> {
        self.check()?;
        let mut out = format!("# {}\n", self.title);
        for section in &self.sections {
            let _ = write!(out, "\n## {}\n", section.heading);
            for p in &section.paragraphs {
                let _ = write!(out, "\n{p}\n");
            }
            for t in &section.tables {
                let cells = |row: &[String]| {
                    let cells: Vec<String> = row.iter().map(|c| escape_cell(c)).collect();
                    format!("| {} |\n", cells.join(" | "))
                };
                out.push('\n');
                out.push_str(&cells(&t.headers));
                let _ = writeln!(out, "|{}", " --- |".repeat(t.headers.len()));
                t.rows.iter().for_each(|r| out.push_str(&cells(r)));
            }
            for f in &section.figures {
                let _ = write!(
                    out,
                    "\n![{}](figures/{}.svg)\n\n*{}* ([PNG](figures/{}.png))\n",
                    f.caption.replace(['[', ']'], ""),
                    f.name,
                    f.caption,
                    f.name
                );
            }
        }
        Ok(out)
    }
}
