//! Record lists of the MIT-BIH Arrhythmia Database: all, paced, non-paced, and the inter-patient
//! DS1/DS2 division of de Chazal, O'Dwyer and Reilly (IEEE Trans. Biomed. Eng. 51(7), 2004).

/// All 48 records, in numeric order.
pub const ALL_RECORDS: [&str; 48] = [
    "100", "101", "102", "103", "104", "105", "106", "107", "108", "109", "111", "112", "113",
    "114", "115", "116", "117", "118", "119", "121", "122", "123", "124", "200", "201", "202",
    "203", "205", "207", "208", "209", "210", "212", "213", "214", "215", "217", "219", "220",
    "221", "222", "223", "228", "230", "231", "232", "233", "234",
];

/// The 4 records with paced beats; AAMI EC57 leaves them out of evaluations. 102 and 104 have
/// no MLII lead (their leads are V5 and V2).
pub const PACED_RECORDS: [&str; 4] = ["102", "104", "107", "217"];

/// The 2 records without an MLII lead (both paced): their leads are V5 and V2.
pub const NO_MLII_RECORDS: [&str; 2] = ["102", "104"];

/// The 44 records without paced beats ([`ALL_RECORDS`] minus [`PACED_RECORDS`]), all with MLII.
pub const NON_PACED_RECORDS: [&str; 44] = [
    "100", "101", "103", "105", "106", "108", "109", "111", "112", "113", "114", "115", "116",
    "117", "118", "119", "121", "122", "123", "124", "200", "201", "202", "203", "205", "207",
    "208", "209", "210", "212", "213", "214", "215", "219", "220", "221", "222", "223", "228",
    "230", "231", "232", "233", "234",
];

/// de Chazal's DS1: the 22 training records of the inter-patient protocol.
pub const DS1: [&str; 22] = [
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124", "201",
    "203", "205", "207", "208", "209", "215", "220", "223", "230",
];

/// de Chazal's DS2: the 22 test records of the inter-patient protocol (no patient in DS1).
pub const DS2: [&str; 22] = [
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210", "212", "213",
    "214", "219", "221", "222", "228", "231", "232", "233", "234",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn set(records: &[&'static str]) -> BTreeSet<&'static str> {
        records.iter().copied().collect()
    }

    #[test]
    fn lists_are_sorted_without_duplicates() {
        let lists = [
            &ALL_RECORDS[..],
            &PACED_RECORDS,
            &NO_MLII_RECORDS,
            &NON_PACED_RECORDS,
        ];
        for list in lists.into_iter().chain([&DS1[..], &DS2]) {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn non_paced_is_all_minus_paced_and_splits_into_ds1_ds2() {
        let all = set(&ALL_RECORDS);
        let paced = set(&PACED_RECORDS);
        assert!(paced.is_subset(&all) && set(&NO_MLII_RECORDS).is_subset(&paced));
        let non_paced: BTreeSet<_> = all.difference(&paced).copied().collect();
        assert_eq!(non_paced, set(&NON_PACED_RECORDS));
        let (ds1, ds2) = (set(&DS1), set(&DS2));
        assert!(ds1.is_disjoint(&ds2));
        assert_eq!(ds1.union(&ds2).copied().collect::<BTreeSet<_>>(), non_paced);
    }
}
