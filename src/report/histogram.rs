//! Anomaly scores by class: overlapping translucent histograms and the threshold.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::render::{Plot, drawing, render_error};
use super::style::{
    ALERT, Axes, Theme, begin, check_finite, check_nonempty, colour, draw_legend, extent, short,
};
use crate::Result;

/// Scores of several classes (e.g. N/S/V/F/Q or normal/anomaly) on shared bins.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreHistogramPlot {
    /// Picture title.
    pub title: String,
    /// x axis description.
    pub x_label: String,
    /// `(class name, scores)` in legend order.
    pub classes: Vec<(String, Vec<f64>)>,
    /// Decision threshold, drawn as a vertical line.
    pub threshold: Option<f64>,
    /// Number of bins across the common range (default 40).
    pub bins: usize,
    /// Logarithmic count axis, so that rare classes stay visible (default false).
    pub log_y: bool,
    /// Plot each class's fraction per bin instead of its count (default false).
    pub normalize: bool,
}

impl ScoreHistogramPlot {
    /// An empty histogram titled `title` with 40 bins and a linear count axis.
    pub fn new(title: impl Into<String>) -> Self {
        ScoreHistogramPlot {
            title: title.into(),
            x_label: "Anomaly score".to_string(),
            classes: Vec::new(),
            threshold: None,
            bins: 40,
            log_y: false,
            normalize: false,
        }
    }

    /// Adds the scores of one class.
    pub fn class(mut self, name: impl Into<String>, scores: Vec<f64>) -> Self {
        self.classes.push((name.into(), scores));
        self
    }

    /// Sets the threshold line.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Sets the number of bins.
    pub fn bins(mut self, bins: usize) -> Self {
        self.bins = bins;
        self
    }

    /// Uses a logarithmic count axis.
    pub fn log_y(mut self, log_y: bool) -> Self {
        self.log_y = log_y;
        self
    }

    /// Plots fractions of each class instead of counts.
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// Bin edges' start and width, and per class the height of each bin.
    fn histograms(&self) -> Result<(f64, f64, Vec<Vec<f64>>)> {
        check_nonempty("score classes", self.classes.len())?;
        if self.bins == 0 {
            return Err(render_error("score histogram: bins must be at least 1"));
        }
        for (name, scores) in &self.classes {
            check_finite(&format!("scores of {name:?}"), scores)?;
        }
        let all = self.classes.iter().flat_map(|(_, s)| s.iter().copied());
        let (lo, hi) = extent(all.chain(self.threshold))
            .ok_or_else(|| render_error("score histogram: every class is empty"))?;
        let width = (hi - lo) / self.bins as f64;
        let heights = self
            .classes
            .iter()
            .map(|(_, scores)| {
                let mut h = vec![0.0; self.bins];
                for &s in scores {
                    let b = (((s - lo) / width) as usize).min(self.bins - 1);
                    h[b] += 1.0;
                }
                if self.normalize && !scores.is_empty() {
                    h.iter_mut().for_each(|v| *v /= scores.len() as f64);
                }
                h
            })
            .collect();
        Ok((lo, width, heights))
    }
}

impl Plot for ScoreHistogramPlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let (lo, width, heights) = self.histograms()?;
        let top = heights.iter().flatten().fold(0.0f64, |m, &v| m.max(v));
        let theme = Theme::for_area(area);
        let body = begin(area, &self.title, &theme)?;
        if self.log_y {
            let smallest = heights.iter().flatten().filter(|&&v| v > 0.0);
            let floor = smallest.fold(1.0f64, |m, &v| m.min(v)) * 0.5;
            let y = (floor..(top * 2.0).max(floor * 10.0)).log_scale();
            self.draw_bars(&body, &theme, y, floor, (lo, width, &heights))
        } else {
            let y = 0.0..(top * 1.08).max(1e-9);
            self.draw_bars(&body, &theme, y, 0.0, (lo, width, &heights))
        }
    }
}

impl ScoreHistogramPlot {
    /// Draws axes, bars from `base` up, outlines, threshold and legend on a linear or log y.
    fn draw_bars<DB, Y>(
        &self,
        body: &DrawingArea<DB, Shift>,
        theme: &Theme,
        y: Y,
        base: f64,
        (lo, width, heights): (f64, f64, &[Vec<f64>]),
    ) -> Result<()>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let hi = lo + width * self.bins as f64;
        let y_label = if self.normalize {
            "Fraction of class"
        } else {
            "Count"
        };
        let axes = Axes::new(&self.x_label, y_label);
        let mut chart = theme.chart().chart(body, None, (lo..hi, y), &axes)?;
        for (i, ((name, scores), h)) in self.classes.iter().zip(heights).enumerate() {
            let c = colour(i);
            let bars = h
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(b, &v)| {
                    let x0 = lo + b as f64 * width;
                    Rectangle::new([(x0, base), (x0 + width, v)], c.mix(0.3).filled())
                });
            chart
                .draw_series(bars)
                .map_err(drawing)?
                .label(format!("{name} (n = {})", scores.len()))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.6).filled())
                });
            // A step outline in full colour per run of non-empty bins keeps classes apart.
            let style = c.stroke_width(theme.stroke);
            let outlines = step_outlines(h, lo, width, base);
            let paths = outlines.into_iter().map(|p| PathElement::new(p, style));
            chart.draw_series(paths).map_err(drawing)?;
        }
        if let Some(t) = self.threshold {
            let (y0, y1) = (chart.y_range().start, chart.y_range().end);
            let style = ALERT.stroke_width(theme.stroke + 1);
            chart
                .draw_series(DashedLineSeries::new([(t, y0), (t, y1)], 10, 6, style))
                .map_err(drawing)?
                .label(format!("threshold = {}", short(t)))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, theme)
    }
}

/// The outline of each run of non-empty bins: up from `base`, along the tops, back down.
fn step_outlines(heights: &[f64], lo: f64, width: f64, base: f64) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for (b, &v) in heights.iter().enumerate() {
        let (x0, x1) = (lo + b as f64 * width, lo + (b + 1) as f64 * width);
        if v > 0.0 {
            if current.is_empty() {
                current.push((x0, base));
            }
            current.extend([(x0, v), (x1, v)]);
        } else if let Some(&(x, _)) = current.last() {
            current.push((x, base));
            runs.push(std::mem::take(&mut current));
        }
    }
    if let Some(&(x, _)) = current.last() {
        current.push((x, base));
        runs.push(current);
    }
    runs
}
