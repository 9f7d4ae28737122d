//! ROC and precision–recall curves: one or more named curves on the unit square.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{Plot, drawing};
use super::style::{
    Axes, ChartStyle, REFERENCE, Theme, begin, check_finite, check_nonempty, colour, draw_legend,
};
use crate::Result;

/// One named curve of `(x, y)` points with an optional summary (AUC, AP) for the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend name, e.g. the model.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Area under the curve (ROC) or average precision (PR), shown in the legend.
    pub summary: Option<f64>,
}

impl Curve {
    /// A curve named `name` through `points`, with an optional legend summary.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, summary: Option<f64>) -> Self {
        Curve {
            name: name.into(),
            points,
            summary,
        }
    }
}

/// Receiver operating characteristic: true against false positive rate, chance diagonal.
#[derive(Debug, Clone, PartialEq)]
pub struct RocPlot {
    /// Picture title.
    pub title: String,
    /// Curves of `(fpr, tpr)`, summary = AUC.
    pub curves: Vec<Curve>,
}

impl RocPlot {
    /// An empty ROC plot titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        RocPlot {
            title: title.into(),
            curves: Vec::new(),
        }
    }

    /// Adds a curve of `(fpr, tpr)` points with its AUC.
    pub fn curve(mut self, name: impl Into<String>, points: Vec<(f64, f64)>, auc: f64) -> Self {
        self.curves.push(Curve::new(name, points, Some(auc)));
        self
    }
}

impl Plot for RocPlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let reference = Reference {
            points: vec![(0.0, 0.0), (1.0, 1.0)],
            name: "chance".to_string(),
        };
        draw_curves(
            area,
            &self.title,
            ("False positive rate", "True positive rate"),
            &self.curves,
            "AUC",
            Some(reference),
            SeriesLabelPosition::LowerRight,
        )
    }
}

/// Precision against recall, with the prevalence (a random detector's precision) as baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct PrPlot {
    /// Picture title.
    pub title: String,
    /// Curves of `(recall, precision)`, summary = average precision.
    pub curves: Vec<Curve>,
    /// Fraction of positives in the data, drawn as a horizontal baseline.
    pub prevalence: Option<f64>,
}

impl PrPlot {
    /// An empty precision–recall plot titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        PrPlot {
            title: title.into(),
            curves: Vec::new(),
            prevalence: None,
        }
    }

    /// Adds a curve of `(recall, precision)` points with its average precision.
    pub fn curve(mut self, name: impl Into<String>, points: Vec<(f64, f64)>, ap: f64) -> Self {
        self.curves.push(Curve::new(name, points, Some(ap)));
        self
    }

    /// Sets the prevalence baseline (fraction of positives, 0..=1).
    pub fn prevalence(mut self, prevalence: f64) -> Self {
        self.prevalence = Some(prevalence);
        self
    }
}

impl Plot for PrPlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let reference = self.prevalence.map(|p| Reference {
            points: vec![(0.0, p), (1.0, p)],
            name: format!("prevalence = {p:.3}"),
        });
        draw_curves(
            area,
            &self.title,
            ("Recall", "Precision"),
            &self.curves,
            "AP",
            reference,
            SeriesLabelPosition::LowerLeft,
        )
    }
}

/// A dashed grey reference line with a legend entry.
struct Reference {
    points: Vec<(f64, f64)>,
    name: String,
}

fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (x_label, y_label): (&str, &str),
    curves: &[Curve],
    summary_name: &str,
    reference: Option<Reference>,
    legend_at: SeriesLabelPosition,
) -> Result<()> {
    check_nonempty("curves", curves.len())?;
    for c in curves {
        check_nonempty(&format!("curve {:?}", c.name), c.points.len())?;
        check_finite(
            &format!("curve {:?}", c.name),
            c.points.iter().flat_map(|(x, y)| [x, y]),
        )?;
    }
    let theme = Theme::for_area(area);
    let body = begin(area, title, &theme)?;
    // Tick labels of one decimal (0.0 to 1.0) need less room than other charts' y axes.
    let style = ChartStyle {
        y_label_area: theme.label * 3.6,
        ..theme.chart()
    };
    let one_decimal = |v: &f64| format!("{v:.1}");
    let axes = Axes::new(x_label, y_label)
        .labels(6, 6)
        .x_format(&one_decimal)
        .y_format(&one_decimal);
    let unit = -0.01f64..1.01f64;
    let mut chart = style.chart(&body, None, (unit.clone(), unit), &axes)?;
    if let Some(reference) = reference {
        let style = REFERENCE.stroke_width(theme.stroke);
        chart
            .draw_series(DashedLineSeries::new(
                reference.points,
                theme.tick as u32 / 2 + 2,
                theme.tick as u32 / 2,
                style,
            ))
            .map_err(drawing)?
            .label(reference.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    for (i, c) in curves.iter().enumerate() {
        let style = colour(i).stroke_width(theme.stroke + 1);
        let label = match c.summary {
            Some(s) => format!("{} ({summary_name} = {s:.3})", c.name),
            None => c.name.clone(),
        };
        chart
            .draw_series(LineSeries::new(c.points.iter().copied(), style))
            .map_err(drawing)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    draw_legend(&mut chart, legend_at, &theme)
}
