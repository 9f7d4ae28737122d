//! Training and validation loss per epoch, with the best epoch marked.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::render::{Plot, drawing, render_error};
use super::style::{
    Axes, REFERENCE, Theme, begin, check_finite, check_nonempty, colour, draw_legend, extent,
    padded, short,
};
use crate::Result;

/// Loss curves of a training run; epochs are numbered from 1.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingCurvePlot {
    /// Picture title.
    pub title: String,
    /// Training loss of each epoch.
    pub train: Vec<f64>,
    /// Validation loss of each epoch (may be empty).
    pub valid: Vec<f64>,
    /// 1-based best epoch; `None` picks the lowest validation (else training) loss.
    pub best_epoch: Option<usize>,
    /// Logarithmic loss axis (default false).
    pub log_y: bool,
}

impl TrainingCurvePlot {
    /// Curves for one run.
    pub fn new(title: impl Into<String>, train: Vec<f64>, valid: Vec<f64>) -> Self {
        TrainingCurvePlot {
            title: title.into(),
            train,
            valid,
            best_epoch: None,
            log_y: false,
        }
    }

    /// Marks `epoch` (1-based) as the best one.
    pub fn best_epoch(mut self, epoch: usize) -> Self {
        self.best_epoch = Some(epoch);
        self
    }

    /// Uses a logarithmic loss axis.
    pub fn log_y(mut self, log_y: bool) -> Self {
        self.log_y = log_y;
        self
    }

    /// The 1-based best epoch and its loss on the curve it was chosen from.
    fn best(&self) -> Result<(usize, f64)> {
        let curve = if self.valid.is_empty() {
            &self.train
        } else {
            &self.valid
        };
        let epoch = match self.best_epoch {
            Some(e) if e >= 1 && e <= curve.len() => e,
            Some(e) => {
                return Err(render_error(format!(
                    "best epoch {e} is outside 1..={}",
                    curve.len()
                )));
            }
            None => {
                let i = (0..curve.len()).min_by(|&a, &b| curve[a].total_cmp(&curve[b]));
                i.map_or(1, |i| i + 1)
            }
        };
        Ok((epoch, curve[epoch - 1]))
    }
}

impl Plot for TrainingCurvePlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        check_nonempty("training loss", self.train.len())?;
        check_finite("training loss", &self.train)?;
        check_finite("validation loss", &self.valid)?;
        if self.log_y && self.train.iter().chain(&self.valid).any(|&v| v <= 0.0) {
            return Err(render_error("log loss axis needs positive losses"));
        }
        let best = self.best()?;
        let (lo, hi) = extent(self.train.iter().chain(&self.valid).copied())
            .ok_or_else(|| render_error("no losses"))?;
        let epochs = self.train.len().max(self.valid.len());
        let x = 0.5..epochs as f64 + 0.5;
        let theme = Theme::for_area(area);
        let body = begin(area, &self.title, &theme)?;
        if self.log_y {
            let y = (lo / 1.3..hi * 1.3).log_scale();
            self.draw_lines(&body, &theme, x, y, best)
        } else {
            let (lo, hi) = padded((lo, hi), 0.05);
            self.draw_lines(&body, &theme, x, lo..hi, best)
        }
    }
}

impl TrainingCurvePlot {
    fn draw_lines<DB, Y>(
        &self,
        body: &DrawingArea<DB, Shift>,
        theme: &Theme,
        x: std::ops::Range<f64>,
        y: Y,
        (best_epoch, best_loss): (usize, f64),
    ) -> Result<()>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let epochs = x.end.floor() as usize;
        let whole = |v: &f64| format!("{}", v.round() as i64);
        let axes = Axes::new("Epoch", "Loss")
            .x_labels(epochs.min(10))
            .x_format(&whole);
        let mut chart = theme.chart().chart(body, None, (x, y), &axes)?;
        let series = [
            ("train", &self.train, 0usize),
            ("valid", &self.valid, 1usize),
        ];
        for (name, losses, i) in series {
            if losses.is_empty() {
                continue;
            }
            let style = colour(i).stroke_width(theme.stroke + 1);
            let points = losses.iter().enumerate().map(|(e, &l)| ((e + 1) as f64, l));
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(drawing)?
                .label(format!("{name} loss"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            if losses.len() <= 60 {
                let dots = points.map(|p| Circle::new(p, theme.stroke + 1, colour(i).filled()));
                chart.draw_series(dots).map_err(drawing)?;
            }
        }
        let (y0, y1) = (chart.y_range().start, chart.y_range().end);
        let b = best_epoch as f64;
        let style = REFERENCE.stroke_width(theme.stroke);
        chart
            .draw_series(DashedLineSeries::new([(b, y0), (b, y1)], 8, 6, style))
            .map_err(drawing)?;
        let marker = colour(1).stroke_width(theme.stroke + 1);
        chart
            .draw_series([Circle::new((b, best_loss), 3 * theme.stroke + 4, marker)])
            .map_err(drawing)?
            .label(format!(
                "best epoch {best_epoch} (loss {})",
                short(best_loss)
            ))
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, marker));
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, theme)
    }
}
