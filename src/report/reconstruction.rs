//! Example beats: input against reconstruction, the error shaded between them.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{Plot, drawing, render_error};
use super::style::{
    ALERT, Axes, Theme, begin, check_finite, check_nonempty, colour, extent, padded, short,
};
use crate::Result;
use crate::preprocess::check_fs;

/// One beat (or window) and its reconstruction, labelled with its class and anomaly score.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconstructionExample {
    /// Class label, e.g. `"N"` or `"V"`.
    pub label: String,
    /// Anomaly score of this beat.
    pub score: f64,
    /// The model's input.
    pub input: Vec<f64>,
    /// The model's output, same length as `input`.
    pub reconstruction: Vec<f64>,
}

impl ReconstructionExample {
    /// An example from any float samples (`f32` or `f64`).
    pub fn new<T: Into<f64>>(
        label: impl Into<String>,
        score: f64,
        input: impl IntoIterator<Item = T>,
        reconstruction: impl IntoIterator<Item = T>,
    ) -> Self {
        ReconstructionExample {
            label: label.into(),
            score,
            input: input.into_iter().map(Into::into).collect(),
            reconstruction: reconstruction.into_iter().map(Into::into).collect(),
        }
    }

    fn check(&self, i: usize) -> Result<()> {
        let what = format!("example {i} ({})", self.label);
        check_nonempty(&what, self.input.len())?;
        if self.input.len() != self.reconstruction.len() {
            return Err(render_error(format!(
                "{what}: input has {} samples, reconstruction {}",
                self.input.len(),
                self.reconstruction.len()
            )));
        }
        check_finite(&what, self.input.iter().chain(&self.reconstruction))?;
        check_finite(&what, [&self.score])
    }
}

/// A grid of [`ReconstructionExample`]s sharing one legend.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconstructionPlot {
    /// Picture title.
    pub title: String,
    /// The beats, drawn left to right, top to bottom.
    pub examples: Vec<ReconstructionExample>,
    /// Samples per second; when set the x axis is in milliseconds, else in samples.
    pub sample_rate: Option<f64>,
}

impl ReconstructionPlot {
    /// An empty grid titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        ReconstructionPlot {
            title: title.into(),
            examples: Vec::new(),
            sample_rate: None,
        }
    }

    /// Adds an example.
    pub fn example(mut self, example: ReconstructionExample) -> Self {
        self.examples.push(example);
        self
    }

    /// Labels the x axis in milliseconds at `hz` samples per second.
    pub fn sample_rate(mut self, hz: f64) -> Self {
        self.sample_rate = Some(hz);
        self
    }
}

const INPUT: usize = 0;
const OUTPUT: usize = 1;

impl Plot for ReconstructionPlot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        check_nonempty("reconstruction examples", self.examples.len())?;
        for (i, e) in self.examples.iter().enumerate() {
            e.check(i)?;
        }
        if let Some(hz) = self.sample_rate.filter(|&hz| check_fs(hz).is_err()) {
            return Err(render_error(format!("sample rate {hz} must be positive")));
        }
        let theme = Theme::for_area(area);
        let body = begin(area, &self.title, &theme)?;
        let (legend, grid) = body.split_vertically(theme.tick as i32 * 2);
        draw_legend(&legend, &theme)?;
        let n = self.examples.len();
        let cols = (n as f64).sqrt().ceil() as usize;
        let rows = n.div_ceil(cols);
        for (panel, example) in grid.split_evenly((rows, cols)).iter().zip(&self.examples) {
            self.draw_panel(panel, example, &theme)?;
        }
        Ok(())
    }
}

impl ReconstructionPlot {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        panel: &DrawingArea<DB, Shift>,
        e: &ReconstructionExample,
        theme: &Theme,
    ) -> Result<()> {
        let step = self.sample_rate.map_or(1.0, |hz| 1000.0 / hz);
        let x = |i: usize| i as f64 * step;
        let len = e.input.len();
        let (lo, hi) = extent(e.input.iter().chain(&e.reconstruction).copied())
            .ok_or_else(|| render_error("empty example"))?;
        let (lo, hi) = padded((lo, hi), 0.08);
        let caption = format!("class {}  ·  score {}", e.label, short(e.score));
        let x_desc = if self.sample_rate.is_some() {
            "ms"
        } else {
            "sample"
        };
        let whole = |v: &f64| format!("{v:.0}");
        let axes = Axes::x_only(x_desc).labels(5, 5).x_format(&whole);
        let range = (0.0..x(len.max(2) - 1), lo..hi);
        let mut chart = theme.panel().chart(panel, Some(&caption), range, &axes)?;
        let band: Vec<(f64, f64)> = (0..len)
            .map(|i| (x(i), e.input[i]))
            .chain((0..len).rev().map(|i| (x(i), e.reconstruction[i])))
            .collect();
        chart
            .draw_series([Polygon::new(band, ALERT.mix(0.3).filled())])
            .map_err(drawing)?;
        for (k, samples) in [(INPUT, &e.input), (OUTPUT, &e.reconstruction)] {
            let style = colour(k).stroke_width(theme.stroke);
            let points = samples.iter().enumerate().map(|(i, &v)| (x(i), v));
            chart
                .draw_series(LineSeries::new(points, style))
                .map_err(drawing)?;
        }
        Ok(())
    }
}

/// The shared legend: input, reconstruction, error band.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, theme: &Theme) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let t = theme.tick as i32;
    let y = h as i32 / 2;
    let entries = [
        ("input", colour(INPUT).mix(1.0)),
        ("reconstruction", colour(OUTPUT).mix(1.0)),
        ("|error| (band between the two)", ALERT.mix(0.3)),
    ];
    let style = Theme::font(theme.tick).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = (w as i32 / 2 - 18 * t).max(t);
    for (i, (name, c)) in entries.into_iter().enumerate() {
        if i == 2 {
            area.draw(&Rectangle::new(
                [(x, y - t / 2), (x + 2 * t, y + t / 2)],
                c.filled(),
            ))
            .map_err(drawing)?;
        } else {
            let line = PathElement::new(
                vec![(x, y), (x + 2 * t, y)],
                c.stroke_width(theme.stroke + 1),
            );
            area.draw(&line).map_err(drawing)?;
        }
        area.draw_text(name, &style, (x + 2 * t + t / 2, y))
            .map_err(drawing)?;
        x += 2 * t + t / 2 + (name.chars().count() as i32 * t * 6) / 10 + 2 * t;
    }
    Ok(())
}
