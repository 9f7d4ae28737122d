//! Two-dimensional embeddings (PCA of latent codes, say) as points coloured by class.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{Plot, drawing, render_error};
use super::style::{
    Axes, Theme, begin, check_finite, check_nonempty, colour, draw_legend, extent, padded,
};
use crate::Result;

/// Points in the plane, one class label each.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentPlot {
    /// Picture title.
    pub title: String,
    /// x axis description (default "PC 1").
    pub x_label: String,
    /// y axis description (default "PC 2").
    pub y_label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
    /// Class of each point, same length as `points`.
    pub labels: Vec<String>,
}

impl LatentPlot {
    /// Points with their class labels.
    pub fn new(title: impl Into<String>, points: Vec<(f64, f64)>, labels: Vec<String>) -> Self {
        LatentPlot {
            title: title.into(),
            x_label: "PC 1".to_string(),
            y_label: "PC 2".to_string(),
            points,
            labels,
        }
    }

    /// Sets both axis descriptions (e.g. with explained variance).
    pub fn axes(mut self, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        self.x_label = x_label.into();
        self.y_label = y_label.into();
        self
    }

    /// Classes in order of first appearance, with the indices of their points.
    fn classes(&self) -> Vec<(&str, Vec<usize>)> {
        let mut classes: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, label) in self.labels.iter().enumerate() {
            match classes.iter_mut().find(|(l, _)| *l == label) {
                Some((_, idx)) => idx.push(i),
                None => classes.push((label, vec![i])),
            }
        }
        classes
    }
}

impl Plot for LatentPlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        check_nonempty("latent points", self.points.len())?;
        if self.labels.len() != self.points.len() {
            return Err(render_error(format!(
                "{} points but {} labels",
                self.points.len(),
                self.labels.len()
            )));
        }
        check_finite(
            "latent points",
            self.points.iter().flat_map(|(x, y)| [x, y]),
        )?;
        let xs =
            extent(self.points.iter().map(|p| p.0)).ok_or_else(|| render_error("no points"))?;
        let ys =
            extent(self.points.iter().map(|p| p.1)).ok_or_else(|| render_error("no points"))?;
        let ((x0, x1), (y0, y1)) = (padded(xs, 0.05), padded(ys, 0.05));
        let theme = Theme::for_area(area);
        let body = begin(area, &self.title, &theme)?;
        let axes = Axes::new(&self.x_label, &self.y_label);
        let mut chart = theme.chart().chart(&body, None, (x0..x1, y0..y1), &axes)?;
        let classes = self.classes();
        // Largest classes first, so that rare (anomalous) points are drawn on top.
        let mut order: Vec<usize> = (0..classes.len()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(classes[k].1.len()));
        let radius = (theme.stroke + 1).max(2);
        for k in order {
            let (name, idx) = &classes[k];
            let c = colour(k);
            let dots = idx
                .iter()
                .map(|&i| Circle::new(self.points[i], radius, c.mix(0.6).filled()));
            chart
                .draw_series(dots)
                .map_err(drawing)?
                .label(format!("{name} (n = {})", idx.len()))
                .legend(move |(x, y)| Circle::new((x + 8, y), 6, c.filled()));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, &theme)
    }
}
