//! The report of a MIT-BIH study ([`crate::study`]): tables, curves, confusion
//! matrices, score histograms per class, training curves, reconstructions and a latent space.

mod tables;

use crate::Result;
use crate::data::beat::AamiClass;
use crate::report::{
    ConfusionPlot, Figure, LatentPlot, Pca, PrPlot, ReconstructionExample, ReconstructionPlot,
    Report, RocPlot, ScoreHistogramPlot, Section, TrainingCurvePlot, Tsne,
};
use crate::study::{ModelResult, StudyResult};

const SIZE: (u32, u32) = (720, 480);

/// The report of `result`: data and protocol, models, results (two tables, ROC and PR curves,
/// and per model a confusion matrix, a score histogram per class and its training curve) and
/// what the models see (the first model's reconstructions, the ConvVae's latent space by PCA
/// and t-SNE).
/// Save it with [`Report::save`]. Errors when a figure cannot be rendered.
pub fn study_report(result: &StudyResult) -> Result<Report> {
    let name = result.config.protocol.name();
    let b = &result.beats;
    let protocol = result.config.protocol()?;
    let filter = match &protocol.beats.filter {
        Some(f) => format!("{}-{} Hz band-pass", f.low_hz, f.high_hz),
        None => "no filter".into(),
    };
    let window = protocol.beats.window;
    let data = Section::new("Data and protocol")
        .paragraph(format!(
            "{}. Beats: lead {} resampled to {} Hz (windowed sinc), {filter}, {} + {} samples \
             around each annotation; each detector normalises them itself. A saved detector's \
             pipeline cuts a raw record's beats the same way.",
            result.protocol, protocol.beats.lead, b.fs, window.before, window.after
        ))
        .paragraph(format!(
            "Training pool: {} normal beats ({} used); validation: {} normal beats ({} used); \
             test: {} beats ({}).",
            b.train_pool,
            b.train,
            b.validation_pool,
            b.validation,
            b.test.total(),
            tables::class_counts(result)
        ));
    let mut models = Section::new("Models");
    for model in &result.config.models {
        let fitted = result.config.detector(model, &protocol)?;
        models = models.paragraph(tables::model_description(&model.name, &fitted));
    }
    let models = models.table(tables::models_table(result));
    let report = Report::new(format!("ecg-anomaly on MIT-BIH, {name}"))
        .section(data)
        .section(models)
        .section(results_section(result)?)
        .section(pictures(result)?);
    Ok(report)
}

fn results_section(result: &StudyResult) -> Result<Section> {
    let name = result.config.protocol.name();
    let mut roc = RocPlot::new(format!("{name}: ROC on the test beats"));
    let mut pr = PrPlot::new(format!("{name}: precision-recall on the test beats"));
    for r in &result.models {
        let e = &r.evaluation.report;
        let points = |c: &[(f64, f64, f64)]| c.iter().map(|p| (p.0, p.1)).collect();
        roc = roc.curve(&r.name, points(&e.roc_curve), e.roc_auc);
        pr = pr.curve(&r.name, points(&e.pr_curve), e.average_precision);
    }
    let e0 = &result.models[0].evaluation.report;
    pr = pr.prevalence(e0.positives as f64 / (e0.positives + e0.negatives) as f64);
    let mut section = Section::new("Results")
        .paragraph("Thresholds are set on each model's scores of held-out normal training-pool beats; no anomaly label chose a checkpoint, a setting or a threshold: the test labels only measure. In the first table, the last column is the best F1 over all thresholds, chosen with the test labels: an optimistic bound, not a result. The second table gives the share of each AAMI class flagged at the threshold (for N, the false-alarm rate).")
        .table(tables::results_table(result))
        .table(tables::class_table(result))
        .paragraph("The ablation: every row scores the same test beats with the same fitted model, each scoring lever on or off (shape: the model's score; per record: each beat z-scored against its own recording's beats; rhythm: fused with how early the beat came against its last RR intervals; running: against the recording's last beats, as a stream would). Each row's threshold is the same rule fitted on the normal validation beats' scores in the same way; the columns at 1 % and 5 % N are operating points read off the test beats (measurements, not settings).")
        .table(tables::ablation_table(result))
        .figure(Figure::render("roc", "ROC curves of the test beats", &roc, SIZE)?)
        .figure(Figure::render(
            "pr",
            "Precision-recall curves; the dashed line is the share of abnormal beats",
            &pr,
            SIZE,
        )?);
    if !result.robustness.is_empty() {
        section = section
            .paragraph("Noise robustness: the test recordings' beats with synthesised recorded-style noise (baseline wander, muscle artefact and electrode motion in equal power) at each SNR, scored by the detectors fitted on clean beats and flagged at their clean thresholds.")
            .table(tables::robustness_table(result));
    }
    for (i, r) in result.models.iter().enumerate() {
        for figure in model_figures(&format!("model{i}"), r, &result.test_classes)? {
            section = section.figure(figure);
        }
    }
    Ok(section)
}

/// A model's confusion matrix, score histogram per class and (when trained) training curve.
fn model_figures(slug: &str, r: &ModelResult, classes: &[AamiClass]) -> Result<Vec<Figure>> {
    let c = r.evaluation.report.confusion;
    let title = format!("{}: confusion at the threshold", r.name);
    let (tn, fp, fn_, tp) = (c.tn as u64, c.fp as u64, c.fn_ as u64, c.tp as u64);
    let confusion = ConfusionPlot::binary(title, tn, fp, fn_, tp);
    let mut hist = ScoreHistogramPlot::new(format!("{}: test scores by class", r.name))
        .threshold(r.evaluation.report.threshold.value)
        .normalize(true)
        .log_y(true);
    for class in AamiClass::ALL {
        let scores: Vec<f64> = (r.test_scores.iter().zip(classes))
            .filter(|(_, c)| **c == class)
            .map(|(s, _)| *s)
            .collect();
        if !scores.is_empty() {
            hist = hist.class(format!("{class:?}"), scores);
        }
    }
    let mut figures = vec![
        Figure::render(
            format!("{slug}-confusion"),
            format!("{}: confusion matrix", r.name),
            &confusion,
            (560, 480),
        )?,
        Figure::render(
            format!("{slug}-scores"),
            format!("{}: score histogram per class, threshold dashed", r.name),
            &hist,
            SIZE,
        )?,
    ];
    if let Some(h) = &r.history {
        let train_loss = h.epochs.iter().map(|e| e.train_loss).collect();
        let valid_loss = h.epochs.iter().map(|e| e.valid_loss).collect();
        let curve = TrainingCurvePlot::new(format!("{}: training", r.name), train_loss, valid_loss)
            .best_epoch(h.best_epoch);
        let caption = format!("{}: loss per epoch", r.name);
        figures.push(Figure::render(
            format!("{slug}-training"),
            caption,
            &curve,
            SIZE,
        )?);
    }
    Ok(figures)
}

/// The first model's reconstructions and the ConvVae's latent space (PCA, then t-SNE), when
/// there are any.
fn pictures(result: &StudyResult) -> Result<Section> {
    let mut section = Section::new("What the models see");
    let first = &result.models[0].name;
    if !result.reconstructions.is_empty() {
        let mut plot = ReconstructionPlot::new("Test beats and their reconstructions")
            .sample_rate(result.beats.fs);
        for s in &result.reconstructions {
            let example = ReconstructionExample::new(
                format!("{:?}", s.class),
                s.score,
                s.input.clone(),
                s.output.clone(),
            );
            plot = plot.example(example);
        }
        section = section.figure(Figure::render(
            "reconstructions",
            format!("{first}: test beats (normalised) and their reconstructions; the shaded band is the error"),
            &plot,
            (900, 600),
        )?);
    }
    if let Some(latents) = result.latents.as_ref().filter(|l| l.codes.len() >= 3) {
        let pca = Pca::fit(&latents.codes)?;
        let points = pca.transform_all(&latents.codes)?;
        let classes = latents.classes.iter().map(|c| format!("{c:?}")).collect();
        let [a, b] = pca.explained_variance_ratio();
        let plot = LatentPlot::new(
            format!("{} latent space (PCA)", latents.model),
            points,
            classes,
        )
        .axes(
            format!("PC 1 ({:.0}%)", 100.0 * a),
            format!("PC 2 ({:.0}%)", 100.0 * b),
        );
        section = section.figure(Figure::render(
            "latent",
            format!(
                "{}: latent means of test beats, first two principal components",
                latents.model
            ),
            &plot,
            SIZE,
        )?);
        // Perplexity 30, or lower when there are too few codes for it (it needs more codes
        // than 3 x perplexity); the study's seed, so a rerun draws the same picture.
        let n = latents.codes.len();
        let cap = ((n - 1) / 3) as f64;
        let tsne = Tsne {
            perplexity: Tsne::default().perplexity.min(cap),
            seed: result.config.seed,
            ..Tsne::default()
        };
        if cap >= 1.0 {
            let points = tsne.embed(&latents.codes)?;
            let classes = latents.classes.iter().map(|c| format!("{c:?}")).collect();
            let plot = LatentPlot::new(
                format!("{} latent space (t-SNE)", latents.model),
                points,
                classes,
            )
            .axes("t-SNE 1", "t-SNE 2");
            section = section.figure(Figure::render(
                "latent_tsne",
                format!(
                    "{}: the same latent means embedded by t-SNE (perplexity {}, {} iterations, \
                     Barnes-Hut θ {}), seeded with the study's seed {}, so a rerun draws the \
                     same picture; distances between clusters and their sizes mean little",
                    latents.model, tsne.perplexity, tsne.iterations, tsne.theta, tsne.seed
                ),
                &plot,
                SIZE,
            )?);
        }
    }
    Ok(section)
}

#[cfg(test)]
mod tests;
