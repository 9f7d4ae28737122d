//! The MIT-BIH example end to end in its `--quick` mode (6 records for P1, 3 + 3 for P2, one
//! epoch): both reports are written, hold every figure, and every model ranks abnormal beats
//! above normal ones better than chance.

mod common;

#[path = "../examples/mitbih.rs"]
#[allow(dead_code)]
mod mitbih;

use clap::Parser;

#[test]
fn quick_run_writes_both_reports_with_auc_above_chance() {
    if common::mitdb_dir("quick_run_writes_both_reports_with_auc_above_chance").is_none() {
        return;
    }
    let out = std::env::temp_dir().join(format!("ecg-mitbih-quick-{}", std::process::id()));
    let args = mitbih::Args::parse_from(["mitbih", "--quick", "--out", out.to_str().unwrap()]);
    let summary = mitbih::run(args).unwrap();

    assert_eq!(summary.reports.len(), 2);
    for report in &summary.reports {
        let html = std::fs::read_to_string(report).unwrap();
        assert!(html.contains("ROC-AUC") && html.contains("best F1 (test labels)"));
        assert_eq!(html.matches("<svg").count(), 12, "{}", report.display());
        assert!(
            !html.contains("src=\"http"),
            "the report must be self-contained"
        );
        let folder = report.parent().unwrap();
        assert!(folder.join("report.md").is_file());
        assert!(folder.join("figures/roc.png").is_file());
        for model in ["lstm-ae", "convvae"] {
            assert!(folder.join(model).join("detector/model.bpk").is_file());
            assert!(
                folder
                    .join(model)
                    .join("training/training_log.csv")
                    .is_file()
            );
        }
    }
    assert_eq!(summary.rows.len(), 6, "2 protocols x (2 models + ensemble)");
    for (protocol, model, auc, ap) in &summary.rows {
        println!("{protocol} {model}: AUC {auc:.3}, AP {ap:.3}");
        assert!(*auc > 0.6, "{protocol} {model}: AUC {auc}");
    }
    std::fs::remove_dir_all(out).unwrap();
}
