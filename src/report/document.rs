//! The report's contents: sections of paragraphs, tables and rendered figures.

use std::path::Path;

use super::render::{Plot, render_png_bytes, render_svg_string};
use crate::{Error, Result};

/// A table of text cells; every row has as many cells as there are headers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and no rows.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (checked against the headers when the report is written).
    pub fn row<S: ToString>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.rows
            .push(cells.into_iter().map(|c| c.to_string()).collect());
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.headers.is_empty() {
            return Err(Error::invalid("table", "a table needs at least one column"));
        }
        match self.rows.iter().position(|r| r.len() != self.headers.len()) {
            Some(i) => Err(Error::invalid(
                "table",
                format!(
                    "row {i} has {} cells for {} columns",
                    self.rows[i].len(),
                    self.headers.len()
                ),
            )),
            None => Ok(()),
        }
    }
}

/// A picture rendered once, kept as SVG markup and PNG bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem in `figures/` (letters, digits, `-` and `_`).
    pub name: String,
    /// Caption under the figure.
    pub caption: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// SVG markup.
    pub svg: String,
    /// PNG file bytes.
    pub png: Vec<u8>,
}

impl Figure {
    /// Renders `plot` at `size` pixels as both SVG and PNG.
    pub fn render(
        name: impl Into<String>,
        caption: impl Into<String>,
        plot: &impl Plot,
        size: (u32, u32),
    ) -> Result<Figure> {
        let name = name.into();
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || !name.chars().all(valid) {
            return Err(Error::invalid(
                "figure name",
                format!("{name:?}: use letters, digits, '-' and '_' (it names files)"),
            ));
        }
        Ok(Figure {
            svg: render_svg_string(plot, size)?,
            png: render_png_bytes(plot, size)?,
            name,
            caption: caption.into(),
            size,
        })
    }
}

/// A heading with paragraphs, then tables, then figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Section heading.
    pub heading: String,
    /// Plain-text paragraphs.
    pub paragraphs: Vec<String>,
    /// Tables, after the paragraphs.
    pub tables: Vec<Table>,
    /// Figures, after the tables.
    pub figures: Vec<Figure>,
}

impl Section {
    /// An empty section.
    pub fn new(heading: impl Into<String>) -> Self {
        Section {
            heading: heading.into(),
            ..Section::default()
        }
    }

    /// Adds a paragraph.
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.paragraphs.push(text.into());
        self
    }

    /// Adds a table.
    pub fn table(mut self, table: Table) -> Self {
        self.tables.push(table);
        self
    }

    /// Adds a rendered figure.
    pub fn figure(mut self, figure: Figure) -> Self {
        self.figures.push(figure);
        self
    }
}

/// A titled document of sections, written as self-contained HTML and as Markdown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Document title.
    pub title: String,
    /// The sections in order.
    pub sections: Vec<Section>,
    /// Inline figures in the HTML as base64 PNG instead of SVG markup (default false).
    pub html_png: bool,
}

impl Report {
    /// An empty report.
    pub fn new(title: impl Into<String>) -> Self {
        Report {
            title: title.into(),
            ..Report::default()
        }
    }

    /// Adds a section.
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }

    /// Inlines PNG (`true`) or SVG (`false`, default) figures in the HTML.
    pub fn html_png(mut self, png: bool) -> Self {
        self.html_png = png;
        self
    }

    /// Every figure, in document order.
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.sections.iter().flat_map(|s| &s.figures)
    }

    /// Checks tables and that figure names are unique.
    pub(crate) fn check(&self) -> Result<()> {
        self.sections
            .iter()
            .flat_map(|s| &s.tables)
            .try_for_each(Table::check)?;
        let mut names: Vec<&str> = self.figures().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        match names.windows(2).find(|w| w[0] == w[1]) {
            Some(w) => Err(Error::invalid(
                "figure name",
                format!("{:?} is used twice", w[0]),
            )),
            None => Ok(()),
        }
    }

    /// Writes `report.html`, `report.md` and `figures/<name>.svg` / `.png` into `dir`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let html = self.to_html()?;
        let markdown = self.to_markdown()?;
        let figures = dir.join("figures");
        std::fs::create_dir_all(&figures).map_err(|e| Error::io(&figures, e))?;
        for f in self.figures() {
            let svg = figures.join(format!("{}.svg", f.name));
            std::fs::write(&svg, &f.svg).map_err(|e| Error::io(&svg, e))?;
            let png = figures.join(format!("{}.png", f.name));
            std::fs::write(&png, &f.png).map_err(|e| Error::io(&png, e))?;
        }
        for (name, text) in [("report.html", html), ("report.md", markdown)] {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}
