//! Shared look of all plots: colours, font sizes scaled to the picture, the chart frame
//! (margins, label areas, caption, axes and grid: [`ChartStyle`]), data checks.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use super::render::{FONT_FAMILY, drawing, ensure_font, render_error};
use crate::Result;

/// Colour-blind-friendly categorical colours (Okabe–Ito, darkened yellow), in legend order.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // green
    RGBColor(204, 121, 167), // purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(170, 150, 0),   // dark yellow
    RGBColor(80, 80, 80),    // grey
];

/// The `i`-th categorical colour (cycles after eight).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Grey for reference lines (chance diagonal, baselines).
pub const REFERENCE: RGBColor = RGBColor(120, 120, 120);
/// Red for thresholds and errors.
pub const ALERT: RGBColor = RGBColor(200, 30, 30);
/// Light grey for grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// Font sizes in pixels, scaled with the picture so that text stays readable.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Title size.
    pub title: f64,
    /// Axis description size.
    pub label: f64,
    /// Tick label and legend size.
    pub tick: f64,
    /// Line width for data series.
    pub stroke: u32,
}

impl Theme {
    /// Sizes for a drawing area, relative to an 800x600 picture.
    pub fn for_area<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Self {
        let (w, h) = area.dim_in_pixel();
        let scale = (f64::from(w.min(h * 4 / 3)) / 800.0).clamp(0.6, 3.0);
        Theme {
            title: (24.0 * scale).max(14.0),
            label: (18.0 * scale).max(12.0),
            tick: (15.0 * scale).max(11.0),
            stroke: ((2.0 * scale).round() as u32).max(1),
        }
    }

    /// A text style of `size` pixels in the embedded font.
    pub fn font(size: f64) -> TextStyle<'static> {
        TextStyle::from((FONT_FAMILY, size).into_font())
    }
}

impl Theme {
    /// The frame of a chart that fills the picture (below its title).
    pub fn chart(&self) -> ChartStyle {
        ChartStyle {
            margin: self.tick as u32,
            x_label_area: self.label * 3.0,
            y_label_area: self.label * 4.0,
            desc: self.label,
            tick: self.tick,
            caption: self.label,
        }
    }

    /// The frame of one small chart in a grid of them: half the margin, smaller text, room for
    /// a caption in the label size.
    pub fn panel(&self) -> ChartStyle {
        ChartStyle {
            margin: self.tick as u32 / 2,
            x_label_area: self.tick * 2.6,
            y_label_area: self.tick * 3.6,
            desc: self.tick,
            tick: self.tick * 0.9,
            caption: self.label,
        }
    }
}

/// How a chart sits in its area and how its axes are drawn: every chart of the report is
/// built by [`ChartStyle::chart`] on a frame from [`Theme::chart`] or [`Theme::panel`].
#[derive(Debug, Clone, Copy)]
pub struct ChartStyle {
    /// Pixels left free around the chart.
    pub margin: u32,
    /// Height of the x axis' tick labels and description, pixels.
    pub x_label_area: f64,
    /// Width of the y axis' tick labels and description, pixels.
    pub y_label_area: f64,
    /// Size of the axis descriptions.
    pub desc: f64,
    /// Size of the tick labels.
    pub tick: f64,
    /// Size of the caption over the chart.
    pub caption: f64,
}

/// What one chart's axes say: descriptions, how many tick labels and how they are written
/// (by default as many as plotters puts, written by [`tick`]).
pub struct Axes<'f> {
    x_desc: &'f str,
    y_desc: Option<&'f str>,
    labels: (Option<usize>, Option<usize>),
    format: (&'f TickFormat, &'f TickFormat),
}

/// Writes one tick label of an axis of `f64` values.
pub type TickFormat = dyn Fn(&f64) -> String;

fn tick_label(v: &f64) -> String {
    tick(*v)
}

impl<'f> Axes<'f> {
    /// Axes described `x_desc` and `y_desc`.
    pub fn new(x_desc: &'f str, y_desc: &'f str) -> Self {
        Axes {
            y_desc: Some(y_desc),
            ..Axes::x_only(x_desc)
        }
    }

    /// Axes with only the x axis described.
    pub fn x_only(x_desc: &'f str) -> Self {
        Axes {
            x_desc,
            y_desc: None,
            labels: (None, None),
            format: (&tick_label, &tick_label),
        }
    }

    /// About `x` tick labels on the x axis.
    pub fn x_labels(mut self, x: usize) -> Self {
        self.labels.0 = Some(x);
        self
    }

    /// About `x` and `y` tick labels on the two axes.
    pub fn labels(mut self, x: usize, y: usize) -> Self {
        self.labels = (Some(x), Some(y));
        self
    }

    /// Writes the x axis' tick labels with `format`.
    pub fn x_format(mut self, format: &'f TickFormat) -> Self {
        self.format.0 = format;
        self
    }

    /// Writes the y axis' tick labels with `format`.
    pub fn y_format(mut self, format: &'f TickFormat) -> Self {
        self.format.1 = format;
        self
    }
}

/// A chart of `f64` against `f64` (either axis may be logarithmic).
pub type Chart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

impl ChartStyle {
    /// A chart of `x` against `y` on `area`, under `caption` if one is given, with its axes and
    /// grid drawn: light grey grid lines at the labelled ticks only, descriptions and tick
    /// labels in the embedded font.
    pub fn chart<'a, DB, X, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: Option<&str>,
        (x, y): (X, Y),
        axes: &Axes<'_>,
    ) -> Result<Chart<'a, DB, X, Y>>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(self.margin)
            .x_label_area_size(self.x_label_area)
            .y_label_area_size(self.y_label_area);
        if let Some(caption) = caption {
            builder.caption(caption, Theme::font(self.caption));
        }
        let mut chart = builder.build_cartesian_2d(x, y).map_err(drawing)?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(axes.x_desc)
            .axis_desc_style(Theme::font(self.desc))
            .label_style(Theme::font(self.tick))
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_label_formatter(axes.format.0)
            .y_label_formatter(axes.format.1);
        if let Some(y_desc) = axes.y_desc {
            mesh.y_desc(y_desc);
        }
        if let Some(n) = axes.labels.0 {
            mesh.x_labels(n);
        }
        if let Some(n) = axes.labels.1 {
            mesh.y_labels(n);
        }
        mesh.draw().map_err(drawing)?;
        Ok(chart)
    }
}

/// Draws the legend of the series labelled so far, at `at`, in the shared style.
pub fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
    theme: &Theme,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(at)
        .margin(theme.tick as u32)
        .label_font(Theme::font(theme.tick))
        .background_style(WHITE.mix(0.9))
        .border_style(REFERENCE)
        .draw()
        .map_err(drawing)
}

/// Fills the area white, checks the font and draws the title; returns the area under it.
pub fn begin<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    theme: &Theme,
) -> Result<DrawingArea<DB, Shift>> {
    ensure_font()?;
    area.fill(&WHITE).map_err(drawing)?;
    if title.is_empty() {
        return Ok(area.clone());
    }
    // Air above the title, which plotters puts at most 5 pixels from the top edge.
    let top = (theme.title * 0.5) as i32;
    let area = area.margin(top, 0, 0, 0);
    area.titled(title, Theme::font(theme.title))
        .map_err(drawing)
}

/// Errors unless every value is finite; `what` names the data in the message.
pub fn check_finite<'a>(what: &str, values: impl IntoIterator<Item = &'a f64>) -> Result<()> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(i) => Err(render_error(format!("{what}: value {i} is not finite"))),
        None => Ok(()),
    }
}

/// Errors when `len` is zero; `what` names the data in the message.
pub fn check_nonempty(what: &str, len: usize) -> Result<()> {
    if len == 0 {
        Err(render_error(format!("{what}: nothing to plot (empty)")))
    } else {
        Ok(())
    }
}

/// `(min, max)` of finite values, widened when all are equal; `None` when empty.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    if hi - lo < 1e-12 * hi.abs().max(1.0) {
        let pad = hi.abs().max(1.0) * 0.5;
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

/// `(lo, hi)` padded by `fraction` of its width on both sides.
pub fn padded((lo, hi): (f64, f64), fraction: f64) -> (f64, f64) {
    let pad = (hi - lo) * fraction;
    (lo - pad, hi + pad)
}

/// An axis tick label: at most four decimals, trailing zeros dropped (`0.5`, `2`, `0.025`).
/// Below 1e-12 in magnitude a tick is zero: plotters' tick arithmetic leaves `-2.8e-17` where
/// an axis crosses 0.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a < 1e-12 {
        return "0".to_string();
    }
    if !(1e-4..1e6).contains(&a) {
        return format!("{v:.1e}");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A short number for legends and labels (3 significant digits, scientific when tiny/huge).
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn ticks_are_short_and_rounding_noise_is_zero() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(0.025), "0.025");
        assert_eq!(tick(-2.8e-17), "0");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(3e-6), "3.0e-6");
    }
}
