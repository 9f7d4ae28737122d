//! Rendering a [`Plot`] to SVG or PNG, in memory or to a file, with the embedded font.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Error, Result};

/// DejaVu Sans cut to Latin-1, Greek and common symbols (licence: `fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("fonts/DejaVuSans-subset.ttf");

/// The font family every plot asks for; it is the embedded DejaVu Sans subset.
pub const FONT_FAMILY: &str = "sans-serif";

/// A picture that draws itself on any plotters drawing area (SVG or bitmap).
pub trait Plot {
    /// Draws the whole picture, title included, on `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Registers the embedded font with plotters (once); plots call this before drawing text.
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(render_error("the embedded font could not be loaded"))
    }
}

/// An [`Error::Render`] without a file (filled in by the `render_*` functions that write one).
pub(crate) fn render_error(message: impl Into<String>) -> Error {
    Error::Render {
        path: PathBuf::new(),
        message: message.into(),
    }
}

/// Converts any plotters drawing error into [`Error::Render`].
pub(crate) fn drawing<E: std::fmt::Display>(error: E) -> Error {
    render_error(error.to_string())
}

fn at_path(error: Error, path: &Path) -> Error {
    match error {
        Error::Render { path: p, message } if p.as_os_str().is_empty() => Error::Render {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    }
}

fn check_size((width, height): (u32, u32)) -> Result<()> {
    if width < 64 || height < 64 || width > 8192 || height > 8192 {
        return Err(Error::invalid(
            "size",
            format!("{width}x{height} pixels; each side must be 64..=8192"),
        ));
    }
    Ok(())
}

/// Renders `plot` as SVG markup of `size` (width, height) pixels.
pub fn render_svg_string(plot: &impl Plot, size: (u32, u32)) -> Result<String> {
    check_size(size)?;
    ensure_font()?;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        area.fill(&WHITE).map_err(drawing)?;
        plot.draw(&area)?;
        area.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Renders `plot` to a row-major RGB buffer (3 bytes per pixel) of `size` pixels.
pub fn render_rgb(plot: &impl Plot, size: (u32, u32)) -> Result<Vec<u8>> {
    check_size(size)?;
    ensure_font()?;
    let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        plot.draw(&area)?;
        area.present().map_err(drawing)?;
    }
    Ok(rgb)
}

/// Renders `plot` as the bytes of a PNG file of `size` pixels.
pub fn render_png_bytes(plot: &impl Plot, size: (u32, u32)) -> Result<Vec<u8>> {
    let rgb = render_rgb(plot, size)?;
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, size.0, size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(drawing)?;
        writer.write_image_data(&rgb).map_err(drawing)?;
        writer.finish().map_err(drawing)?;
    }
    Ok(bytes)
}

/// Renders `plot` to an SVG file at `path`.
pub fn render_svg(plot: &impl Plot, path: impl AsRef<Path>, size: (u32, u32)) -> Result<()> {
    let path = path.as_ref();
    let svg = render_svg_string(plot, size).map_err(|e| at_path(e, path))?;
    std::fs::write(path, svg).map_err(|e| Error::io(path, e))
}

/// Renders `plot` to a PNG file at `path`.
pub fn render_png(plot: &impl Plot, path: impl AsRef<Path>, size: (u32, u32)) -> Result<()> {
    let path = path.as_ref();
    let png = render_png_bytes(plot, size).map_err(|e| at_path(e, path))?;
    std::fs::write(path, png).map_err(|e| Error::io(path, e))
}
