//! Confusion matrix: counts and row percentages in cells shaded by the row percentage.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{Plot, drawing, render_error};
use super::style::{Theme, begin, check_nonempty};
use crate::Result;

/// A square confusion matrix, rows = actual class, columns = predicted class.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionPlot {
    /// Picture title.
    pub title: String,
    /// Class names, in row (and column) order, e.g. `["normal", "anomaly"]`.
    pub labels: Vec<String>,
    /// `counts[actual][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

impl ConfusionPlot {
    /// A confusion plot of `counts[actual][predicted]` for the classes `labels`.
    pub fn new(title: impl Into<String>, labels: Vec<String>, counts: Vec<Vec<u64>>) -> Self {
        ConfusionPlot {
            title: title.into(),
            labels,
            counts,
        }
    }

    /// The usual binary case from its four counts (positive = anomaly).
    pub fn binary(title: impl Into<String>, tn: u64, fp: u64, fn_: u64, tp: u64) -> Self {
        let labels = vec!["normal".to_string(), "anomaly".to_string()];
        Self::new(title, labels, vec![vec![tn, fp], vec![fn_, tp]])
    }

    fn check(&self) -> Result<()> {
        check_nonempty("confusion labels", self.labels.len())?;
        let n = self.labels.len();
        if self.counts.len() != n || self.counts.iter().any(|row| row.len() != n) {
            return Err(render_error(format!(
                "confusion counts must be {n}x{n} to match the labels"
            )));
        }
        Ok(())
    }
}

/// White to blue by `t` in 0..=1.
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 69.0), lerp(255.0, 148.0))
}

impl Plot for ConfusionPlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        self.check()?;
        let n = self.labels.len() as i32;
        let theme = Theme::for_area(area);
        let body = begin(area, &self.title, &theme)?;
        let (w, h) = body.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let t = theme.tick as i32;
        let left =
            (theme.label * 2.5) as i32 + longest(&self.labels) * theme.label as i32 * 6 / 10 + t;
        let bottom = (theme.label * 3.5) as i32 + t;
        let bar = 3 * t; // colour bar and its tick labels on the right
        let side = (w - left - bar * 3).min(h - bottom - t).max(n * 10);
        let cell = side / n;
        let (x0, y0) = (left, t / 2);
        let text = |s: f64, colour: &'static RGBColor, h: HPos, v: VPos| {
            Theme::font(s).color(colour).pos(Pos::new(h, v))
        };
        for (r, row) in self.counts.iter().enumerate() {
            let total: u64 = row.iter().sum();
            for (c, &count) in row.iter().enumerate() {
                let frac = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                let (cx, cy) = (x0 + c as i32 * cell, y0 + r as i32 * cell);
                let fill = shade(frac);
                body.draw(&Rectangle::new(
                    [(cx, cy), (cx + cell, cy + cell)],
                    fill.filled(),
                ))
                .map_err(drawing)?;
                body.draw(&Rectangle::new(
                    [(cx, cy), (cx + cell, cy + cell)],
                    WHITE.stroke_width(2),
                ))
                .map_err(drawing)?;
                let ink = if frac > 0.5 { &WHITE } else { &BLACK };
                let mid = (cx + cell / 2, cy + cell / 2);
                let big = (theme.title * 1.1).min(cell as f64 / 4.0);
                let style = text(big, ink, HPos::Center, VPos::Bottom);
                body.draw_text(&count.to_string(), &style, mid)
                    .map_err(drawing)?;
                let style = text(
                    theme.tick.min(cell as f64 / 5.0),
                    ink,
                    HPos::Center,
                    VPos::Top,
                );
                let pct = format!("{:.1}% of row", 100.0 * frac);
                body.draw_text(&pct, &style, (mid.0, mid.1 + t / 3))
                    .map_err(drawing)?;
            }
        }
        let grid = n * cell;
        for (i, label) in self.labels.iter().enumerate() {
            let mid = i as i32 * cell + cell / 2;
            let style = text(theme.label, &BLACK, HPos::Right, VPos::Center);
            body.draw_text(label, &style, (x0 - t / 2, y0 + mid))
                .map_err(drawing)?;
            let style = text(theme.label, &BLACK, HPos::Center, VPos::Top);
            body.draw_text(label, &style, (x0 + mid, y0 + grid + t / 2))
                .map_err(drawing)?;
        }
        let style = text(theme.label, &BLACK, HPos::Center, VPos::Top);
        body.draw_text(
            "Predicted class",
            &style,
            (x0 + grid / 2, y0 + grid + (theme.label * 2.0) as i32),
        )
        .map_err(drawing)?;
        let style =
            text(theme.label, &BLACK, HPos::Center, VPos::Top).transform(FontTransform::Rotate270);
        body.draw_text("Actual class", &style, (t / 2, y0 + grid / 2))
            .map_err(drawing)?;
        colour_bar(&body, (x0 + grid + bar / 2, y0), (t, grid), theme.tick)
    }
}

/// A vertical 0–100 % colour bar at `(x, y)` of `(width, height)` pixels with tick labels.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    (width, height): (i32, i32),
    font: f64,
) -> Result<()> {
    for k in 0..height {
        let colour = shade(1.0 - k as f64 / (height - 1).max(1) as f64);
        area.draw(&Rectangle::new(
            [(x, y + k), (x + width, y + k + 1)],
            colour.filled(),
        ))
        .map_err(drawing)?;
    }
    area.draw(&Rectangle::new(
        [(x, y), (x + width, y + height)],
        BLACK.stroke_width(1),
    ))
    .map_err(drawing)?;
    let style = Theme::font(font).pos(Pos::new(HPos::Left, VPos::Center));
    for pct in [0, 25, 50, 75, 100] {
        let ty = y + height - height * pct / 100;
        area.draw_text(&format!("{pct}%"), &style, (x + width + 4, ty))
            .map_err(drawing)?;
    }
    Ok(())
}

fn longest(labels: &[String]) -> i32 {
    labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as i32
}
