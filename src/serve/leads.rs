//! `POST /v1/detect` for a detector fitted on several leads: the checks of named leads, the
//! errors that say which leads it takes, and the lead `include=signal` returns.

use super::error::ApiError;
use super::input::check_signal;
use crate::data::Ecg;
use crate::detector::Detector;

/// The leads of a detector fitted on more than one, which every request must carry; empty for
/// a one-lead detector (even one whose single lead is named: it takes one lead as before).
pub(crate) fn several(detector: &Detector) -> &[String] {
    match detector.metadata().leads.as_slice() {
        leads @ [_, _, ..] => leads,
        _ => &[],
    }
}

/// Named leads: at least one, each checked by [`check_signal`] (naming the lead), all of one
/// length.
pub(crate) fn check_leads(ecg: &Ecg, max_seconds: f64) -> Result<(), ApiError> {
    let Some(first) = ecg.leads.first() else {
        return Err(ApiError::unprocessable(
            "empty_signal",
            "`leads` names no lead",
        ));
    };
    for (name, lead) in ecg.lead_names.iter().zip(&ecg.leads) {
        check_signal(lead, ecg.fs, max_seconds).map_err(|mut e| {
            e.message = format!("lead {name:?}: {}", e.message);
            e
        })?;
        if lead.len() != first.len() {
            let msg = format!(
                "lead {name:?} has {} samples, lead {:?} {}: the leads of one recording have \
                 one length",
                lead.len(),
                ecg.lead_names[0],
                first.len()
            );
            return Err(ApiError::unprocessable("bad_leads", msg));
        }
    }
    Ok(())
}

/// A lead error (`bad_leads`, `bad_record`, a CSV's `parse_error`) of a detector fitted on
/// several leads, with the leads it takes.
pub(crate) fn name_leads(mut error: ApiError, detector: &Detector) -> ApiError {
    let leads = several(detector);
    if !leads.is_empty() && matches!(error.code, "bad_leads" | "bad_record" | "parse_error") {
        error.message = format!(
            "{}; this detector takes {}",
            error.message,
            leads.join(", ")
        );
    }
    error
}

/// 422 for one lead sent to a detector of several.
pub(crate) fn leads_required(detector: &Detector) -> ApiError {
    let leads = detector.metadata().leads.join(", ");
    let msg = format!(
        "this detector judges {} leads together ({leads}), not one `signal`: send {{\"leads\": \
         {{\"<name>\": [...], ...}}, \"fs\": ...}} with each of them, a CSV body with a header \
         naming them, or a record (WFDB, EDF) that has them",
        detector.metadata().channels
    );
    ApiError::unprocessable("leads_required", msg)
}

/// The lead `include=signal` returns from `ecg` (whose leads [`check_leads`] checked): the
/// first of the detector's leads (the one its R-peaks are found on), else the lead a one-lead
/// detector judges ([`Detector::detect_ecg`]).
pub(crate) fn shown_lead(detector: &Detector, ecg: &Ecg) -> usize {
    let meta = detector.metadata();
    meta.leads
        .first()
        .or(meta.lead.as_ref())
        .and_then(|name| ecg.lead_index(name))
        .unwrap_or(0)
}
