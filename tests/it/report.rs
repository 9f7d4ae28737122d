//! Pictures and the report: every plot renders to well-formed SVG with its texts and to a
//! non-blank PNG of the right size; the HTML is self-contained; PCA finds the main axis.
#![cfg(feature = "report")]

use ecg_anomaly::Error;
use ecg_anomaly::report::*;

const SIZE: (u32, u32) = (640, 480);

/// Deterministic pseudo-normal values (Box–Muller on a small LCG).
fn gaussian(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos())
        .collect()
}

fn beat(n: usize, width: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (-((i as f64 - n as f64 / 3.0) / width).powi(2)).exp())
        .collect()
}

fn roc() -> RocPlot {
    let points = (0..=20)
        .map(|i| i as f64 / 20.0)
        .map(|x| (x, x.powf(0.3)))
        .collect();
    RocPlot::new("ROC of the LSTM").curve("lstm", points, 0.913)
}

fn pr() -> PrPlot {
    let points = (0..=20)
        .map(|i| i as f64 / 20.0)
        .map(|r| (r, 1.0 - 0.8 * r * r))
        .collect();
    PrPlot::new("PR of the LSTM")
        .curve("lstm", points, 0.734)
        .prevalence(0.1)
}

fn histogram() -> ScoreHistogramPlot {
    let normal = gaussian(1, 2000).iter().map(|z| 1.0 + 0.2 * z).collect();
    let pvc = gaussian(2, 60).iter().map(|z| 2.0 + 0.3 * z).collect();
    ScoreHistogramPlot::new("Scores by class")
        .class("N", normal)
        .class("V", pvc)
        .threshold(1.5)
        .log_y(true)
}

fn training() -> TrainingCurvePlot {
    let train = (0..12).map(|e| 1.0 / (1.0 + e as f64)).collect();
    let valid = (0..12)
        .map(|e| 1.2 / (1.0 + e as f64) + 0.01 * e as f64)
        .collect();
    TrainingCurvePlot::new("Loss per epoch", train, valid)
}

fn reconstruction() -> ReconstructionPlot {
    ReconstructionPlot::new("Beats and reconstructions")
        .example(ReconstructionExample::new(
            "N",
            0.01,
            beat(100, 5.0),
            beat(100, 5.5),
        ))
        .example(ReconstructionExample::new(
            "V",
            0.42,
            beat(100, 12.0),
            beat(100, 5.0),
        ))
        .sample_rate(360.0)
}

fn latent() -> LatentPlot {
    let (xs, ys) = (gaussian(3, 200), gaussian(4, 200));
    let points = xs.into_iter().zip(ys).collect();
    let labels = (0..200)
        .map(|i| if i % 10 == 0 { "V" } else { "N" }.to_string())
        .collect();
    LatentPlot::new("Latent codes", points, labels)
}

fn confusion() -> ConfusionPlot {
    ConfusionPlot::binary("Confusion at the threshold", 900, 30, 12, 58)
}

/// Every text node of an SVG document (plotters writes each label as one `<text>`).
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("SVG parses as XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect()
}

fn assert_svg_has(plot: &impl Plot, expected: &[&str]) {
    let texts = svg_texts(&render_svg_string(plot, SIZE).unwrap());
    for e in expected {
        assert!(
            texts.iter().any(|t| t.contains(e)),
            "{e:?} missing from {texts:?}"
        );
    }
}

#[test]
fn every_plot_renders_valid_svg_with_its_texts() {
    assert_svg_has(
        &roc(),
        &[
            "ROC of the LSTM",
            "False positive rate",
            "True positive rate",
            "lstm (AUC = 0.913)",
            "chance",
        ],
    );
    assert_svg_has(
        &pr(),
        &[
            "PR of the LSTM",
            "Recall",
            "Precision",
            "lstm (AP = 0.734)",
            "prevalence = 0.100",
        ],
    );
    assert_svg_has(
        &histogram(),
        &[
            "Scores by class",
            "Anomaly score",
            "Count",
            "N (n = 2000)",
            "V (n = 60)",
            "threshold = 1.50",
        ],
    );
    assert_svg_has(
        &training(),
        &[
            "Loss per epoch",
            "Epoch",
            "Loss",
            "train loss",
            "valid loss",
            "best epoch",
        ],
    );
    assert_svg_has(
        &reconstruction(),
        &[
            "Beats and reconstructions",
            "class N",
            "class V",
            "score 0.420",
            "input",
            "reconstruction",
            "ms",
        ],
    );
    assert_svg_has(
        &latent(),
        &["Latent codes", "PC 1", "PC 2", "N (n = 180)", "V (n = 20)"],
    );
    assert_svg_has(
        &confusion(),
        &[
            "Confusion at the threshold",
            "Predicted class",
            "Actual class",
            "900",
            "58",
            "96.8% of row",
            "anomaly",
        ],
    );
}

/// Decodes a PNG into (width, height, RGB bytes).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn variance(values: &[u8]) -> f64 {
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
    values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / values.len() as f64
}

#[test]
fn every_plot_renders_a_non_blank_png_of_the_right_size() {
    let pngs = [
        render_png_bytes(&roc(), SIZE).unwrap(),
        render_png_bytes(&pr(), SIZE).unwrap(),
        render_png_bytes(&histogram(), SIZE).unwrap(),
        render_png_bytes(&training(), SIZE).unwrap(),
        render_png_bytes(&reconstruction(), SIZE).unwrap(),
        render_png_bytes(&latent(), SIZE).unwrap(),
        render_png_bytes(&confusion(), SIZE).unwrap(),
    ];
    for bytes in pngs {
        let (w, h, rgb) = decode(&bytes);
        assert_eq!((w, h), SIZE);
        assert!(variance(&rgb) > 100.0, "picture is (nearly) blank");
    }
}

#[test]
fn text_is_drawn_into_bitmaps_with_the_embedded_font() {
    // A title-only ROC picture differs from the same picture with another title: text is inked.
    let a = render_rgb(&roc(), SIZE).unwrap();
    let mut other = roc();
    other.title = "A completely different and longer title".into();
    let b = render_rgb(&other, SIZE).unwrap();
    let top = SIZE.0 as usize * 3 * 40; // the first 40 rows hold the title
    let changed = a[..top]
        .iter()
        .zip(&b[..top])
        .filter(|(x, y)| x != y)
        .count();
    assert!(
        changed > 500,
        "only {changed} bytes of the title band changed"
    );
    assert!(a[..top].iter().any(|&v| v < 100), "no dark title pixels");
}

#[test]
fn render_to_files_and_sizes_are_checked() {
    let dir = crate::common::scratch("report", "files");
    render_png(&roc(), dir.join("roc.png"), (300, 200)).unwrap();
    render_svg(&roc(), dir.join("roc.svg"), (300, 200)).unwrap();
    let (w, h, _) = decode(&std::fs::read(dir.join("roc.png")).unwrap());
    assert_eq!((w, h), (300, 200));
    svg_texts(&std::fs::read_to_string(dir.join("roc.svg")).unwrap());
    assert!(matches!(
        render_png_bytes(&roc(), (0, 10)),
        Err(Error::InvalidArgument { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_or_bad_data_is_a_clear_error() {
    let path = std::env::temp_dir().join("ecg-report-never-written.png");
    let err = render_png(&RocPlot::new("empty"), &path, SIZE).unwrap_err();
    match &err {
        Error::Render { path: p, message } => {
            assert_eq!(p, &path);
            assert!(message.contains("nothing to plot"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(!path.exists());
    let nan = RocPlot::new("nan").curve("m", vec![(0.0, f64::NAN)], 0.5);
    let cases: Vec<Result<String, Error>> = vec![
        render_svg_string(&nan, SIZE),
        render_svg_string(&PrPlot::new("empty"), SIZE),
        render_svg_string(&ScoreHistogramPlot::new("empty").class("N", vec![]), SIZE),
        render_svg_string(&TrainingCurvePlot::new("empty", vec![], vec![]), SIZE),
        render_svg_string(&ReconstructionPlot::new("empty"), SIZE),
        render_svg_string(
            &ReconstructionPlot::new("x").example(ReconstructionExample::new(
                "N",
                0.0,
                [1.0, 2.0],
                [1.0],
            )),
            SIZE,
        ),
        render_svg_string(&LatentPlot::new("empty", vec![], vec![]), SIZE),
        render_svg_string(&LatentPlot::new("x", vec![(0.0, 0.0)], vec![]), SIZE),
        render_svg_string(
            &ConfusionPlot::new("x", vec!["a".into()], vec![vec![1, 2]]),
            SIZE,
        ),
        render_svg_string(&training().best_epoch(99), SIZE),
    ];
    for result in cases {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Render { .. }), "{err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn pca_recovers_the_main_axis_of_stretched_gaussian_data() {
    // 3-D data stretched ×5 along (1, 2, 2)/3 and ×2 along (2, -2, 1)/3.
    let axes = [[1.0, 2.0, 2.0], [2.0, -2.0, 1.0], [2.0, 1.0, -2.0]].map(|a| a.map(|v| v / 3.0));
    let (a, b, c) = (gaussian(10, 3000), gaussian(11, 3000), gaussian(12, 3000));
    let rows: Vec<Vec<f64>> = (0..3000)
        .map(|i| {
            (0..3)
                .map(|k| {
                    7.0 + 5.0 * a[i] * axes[0][k]
                        + 2.0 * b[i] * axes[1][k]
                        + 0.5 * c[i] * axes[2][k]
                })
                .collect()
        })
        .collect();
    let pca = Pca::fit(&rows).unwrap();
    let cos = |u: &[f64], v: &[f64; 3]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>().abs();
    assert!(
        cos(&pca.components[0], &axes[0]) > 0.995,
        "{:?}",
        pca.components
    );
    assert!(
        cos(&pca.components[1], &axes[1]) > 0.99,
        "{:?}",
        pca.components
    );
    assert!(
        (pca.explained_variance[0] / 25.0 - 1.0).abs() < 0.1,
        "{:?}",
        pca.explained_variance
    );
    let [r1, r2] = pca.explained_variance_ratio();
    assert!(r1 > 0.8 && r1 + r2 > 0.98, "{r1} {r2}");
    // Sign convention: the largest-magnitude entry of each component is positive.
    for comp in &pca.components {
        let k = (0..3)
            .max_by(|&i, &j| comp[i].abs().total_cmp(&comp[j].abs()))
            .unwrap();
        assert!(comp[k] > 0.0);
    }
    // Projection is centred: the mean projects to the origin.
    let (x, y) = pca.transform(&pca.mean).unwrap();
    assert!(x.abs() < 1e-9 && y.abs() < 1e-9);
    assert!(Pca::fit(&rows[..1]).is_err());
    assert!(Pca::fit(&[vec![1.0, 2.0], vec![1.0]]).is_err());
    assert!(pca.transform(&[1.0]).is_err());
}

fn sample_report() -> Report {
    Report::new("Evaluation <LSTM>")
        .section(
            Section::new("Metrics")
                .paragraph("Scores on the test split.")
                .table(
                    Table::new(["metric", "value"])
                        .row(["AUC", "0.913"])
                        .row(["AP", "0.734"]),
                ),
        )
        .section(
            Section::new("Figures")
                .figure(Figure::render("roc", "ROC curve", &roc(), SIZE).unwrap())
                .figure(Figure::render("scores", "Score histogram", &histogram(), SIZE).unwrap()),
        )
}

#[test]
fn html_is_self_contained_and_includes_every_figure() {
    let report = sample_report();
    for html in [
        report.to_html().unwrap(),
        report.clone().html_png(true).to_html().unwrap(),
    ] {
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "external URL"
        );
        assert!(html.contains("<style>") && html.contains("Evaluation &lt;LSTM&gt;"));
        assert!(html.contains("<td>0.913</td>"));
        for id in ["fig-roc", "fig-scores"] {
            assert!(html.contains(id), "{id} missing");
        }
        assert!(html.contains("ROC of the LSTM") || html.contains("data:image/png;base64,"));
    }
    let svg_html = report.to_html().unwrap();
    assert_eq!(svg_html.matches("<svg").count(), 2);
    let png_html = report.clone().html_png(true).to_html().unwrap();
    assert_eq!(png_html.matches("data:image/png;base64,").count(), 2);
}

#[test]
fn markdown_has_tables_and_save_writes_every_file() {
    let report = sample_report();
    let md = report.to_markdown().unwrap();
    assert!(
        md.contains("| metric | value |\n| --- | --- |\n| AUC | 0.913 |\n| AP | 0.734 |"),
        "{md}"
    );
    assert!(md.contains("![ROC curve](figures/roc.svg)"));
    let dir = crate::common::temp_path("report", "save");
    report.save(&dir).unwrap();
    for file in [
        "report.html",
        "report.md",
        "figures/roc.svg",
        "figures/roc.png",
        "figures/scores.svg",
        "figures/scores.png",
    ] {
        assert!(dir.join(file).is_file(), "{file} not written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let bad = Report::new("x").section(Section::new("s").table(Table::new(["a", "b"]).row(["1"])));
    assert!(bad.to_html().is_err() && bad.to_markdown().is_err());
    let fig = Figure::render("same", "c", &roc(), SIZE).unwrap();
    let dup = Report::new("x").section(Section::new("s").figure(fig.clone()).figure(fig));
    assert!(dup.to_html().is_err());
    assert!(Figure::render("../evil", "c", &roc(), SIZE).is_err());
}
