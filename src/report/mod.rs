//! Pictures and a self-contained report (feature `report`, on by default).
//!
//! Every plot is a plain-data struct implementing [`Plot`]; nothing here depends on the models
//! or metrics, so callers pass numbers in. The MIT-BIH study's report is built from these parts
//! in [`study`](crate::study) (`study_report`). [`render_svg`] / [`render_png`] write one picture;
//! [`Report`] gathers [`Section`]s of paragraphs, [`Table`]s and [`Figure`]s into one HTML file
//! (CSS and figures inlined, no external URLs) plus a Markdown twin whose figures live in
//! `figures/`.
//!
//! [`DetectionReport`] is the one part that knows of detectors' runs: it turns their scores,
//! threshold and (optional) reference beat classes into a [`Report`] with the metrics of
//! [`evaluate`](crate::evaluate), as `ecg-anomaly report` writes it.
//!
//! Text is drawn with an embedded DejaVu Sans subset, so no system fonts are needed.

mod confusion;
mod curves;
mod detection;
mod document;
mod format;
mod histogram;
mod latent;
mod pca;
mod reconstruction;
mod render;
mod style;
mod training;
mod tsne;

pub use confusion::ConfusionPlot;
pub use curves::{Curve, PrPlot, RocPlot};
pub use detection::{DetectionReport, InputScores, LABELS_ONLY_MEASURE};
pub use document::{Figure, Report, Section, Table};
pub use histogram::ScoreHistogramPlot;
pub use latent::LatentPlot;
pub use pca::Pca;
pub use reconstruction::{ReconstructionExample, ReconstructionPlot};
pub use render::{
    FONT_FAMILY, Plot, ensure_font, render_png, render_png_bytes, render_rgb, render_svg,
    render_svg_string,
};
pub use style::PALETTE;
pub use training::TrainingCurvePlot;
pub use tsne::Tsne;
