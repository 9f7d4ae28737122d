//! EDF signal labels to ECG lead names.

/// The leads a label may name, as the crate writes them.
const LEADS: [&str; 15] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "MLI", "MLII",
    "MLIII",
];

/// The ECG lead an EDF signal label names, or `None` for a signal that is not ECG.
///
/// - a lead name alone, in any case: `II`, `MLII`, `avf` → `II`, `MLII`, `aVF`;
/// - `ECG` or `EKG` (any case), optionally followed by a separator (space, `-`, `_`, `:`, `.`)
///   or `Lead`, and a lead: `ECG II`, `EKG-V1`, `ECG lead I` → `II`, `V1`, `I`;
/// - `ECG`/`EKG` alone or with a number: `ECG`, `EKG`, `ECG1`, `ECG 2` → `ECG`, `ECG`,
///   `ECG1`, `ECG2`;
/// - `Lead II` → `II`;
/// - any other label that starts with `ECG` or `EKG` (`ECG L-R`): the label itself, trimmed.
///
/// Everything else (`EEG Fp1`, `Resp`, `EDF Annotations`, `Status`) is not ECG.
pub fn ecg_lead(label: &str) -> Option<String> {
    let label = label.trim();
    let upper = label.to_ascii_uppercase();
    if let Some(lead) = known(&upper) {
        return Some(lead.to_string());
    }
    let rest = upper
        .strip_prefix("ECG")
        .or_else(|| upper.strip_prefix("EKG"));
    let Some(rest) = rest else {
        let rest = upper.strip_prefix("LEAD")?;
        return known(rest.trim_start_matches(SEPARATORS)).map(str::to_string);
    };
    let rest = rest.trim_start_matches(SEPARATORS);
    let rest = rest
        .strip_prefix("LEAD")
        .unwrap_or(rest)
        .trim_start_matches(SEPARATORS);
    if rest.is_empty() {
        return Some("ECG".into());
    }
    if let Some(lead) = known(rest) {
        return Some(lead.to_string());
    }
    if rest.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("ECG{rest}"));
    }
    Some(label.to_string())
}

const SEPARATORS: &[char] = &[' ', '-', '_', ':', '.'];

/// The lead `upper` (an upper-case label) names exactly.
fn known(upper: &str) -> Option<&'static str> {
    LEADS
        .iter()
        .copied()
        .find(|l| l.eq_ignore_ascii_case(upper.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_to_leads() {
        for (label, lead) in [
            ("ECG", Some("ECG")),
            ("EKG", Some("ECG")),
            ("ECG II", Some("II")),
            ("ecg-ii", Some("II")),
            ("EKG V1", Some("V1")),
            ("ECG lead I", Some("I")),
            ("ECG1", Some("ECG1")),
            ("ECG 2", Some("ECG2")),
            ("II", Some("II")),
            ("MLII", Some("MLII")),
            ("V1 ", Some("V1")),
            ("avf", Some("aVF")),
            ("Lead III", Some("III")),
            ("ECG L-R", Some("ECG L-R")),
            ("EEG Fp1", None),
            ("Resp", None),
            ("EDF Annotations", None),
            ("Status", None),
            ("Leader", None),
            ("", None),
        ] {
            assert_eq!(ecg_lead(label).as_deref(), lead, "{label:?}");
        }
    }
}
