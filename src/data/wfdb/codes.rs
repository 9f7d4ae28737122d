//! WFDB annotation codes (`ecgcodes.h`), their mnemonics and beat tests.

/// Largest valid annotation code (`ACMAX`); codes 42 to 49 are user-defined.
pub const ACMAX: u8 = 49;

/// Not-QRS (null annotation, written by WFDB's `putann` for code 0).
pub const NOTQRS: u8 = 0;
/// Normal beat (`N`).
pub const NORMAL: u8 = 1;
/// Left bundle branch block beat (`L`).
pub const LBBB: u8 = 2;
/// Right bundle branch block beat (`R`).
pub const RBBB: u8 = 3;
/// Aberrated atrial premature beat (`a`).
pub const ABERR: u8 = 4;
/// Premature ventricular contraction (`V`).
pub const PVC: u8 = 5;
/// Fusion of ventricular and normal beat (`F`).
pub const FUSION: u8 = 6;
/// Nodal (junctional) premature beat (`J`).
pub const NPC: u8 = 7;
/// Atrial premature beat (`A`).
pub const APC: u8 = 8;
/// Supraventricular premature or ectopic beat (`S`).
pub const SVPB: u8 = 9;
/// Ventricular escape beat (`E`).
pub const VESC: u8 = 10;
/// Nodal (junctional) escape beat (`j`).
pub const NESC: u8 = 11;
/// Paced beat (`/`).
pub const PACE: u8 = 12;
/// Unclassifiable beat (`Q`).
pub const UNKNOWN: u8 = 13;
/// Signal quality change (`~`).
pub const NOISE: u8 = 14;
/// Isolated QRS-like artifact (`|`).
pub const ARFCT: u8 = 16;
/// Comment annotation (`"`).
pub const NOTE: u8 = 22;
/// Bundle branch block beat, unspecified (`B`).
pub const BBB: u8 = 25;
/// Rhythm change (`+`, the rhythm in the aux string, e.g. `(AFIB`).
pub const RHYTHM: u8 = 28;
/// Beat not classified during learning (`?`).
pub const LEARN: u8 = 30;
/// Ventricular flutter wave (`!`).
pub const FLWAV: u8 = 31;
/// Atrial escape beat (`e`).
pub const AESC: u8 = 34;
/// Supraventricular escape beat (`n`).
pub const SVESC: u8 = 35;
/// Fusion of paced and normal beat (`f`).
pub const PFUS: u8 = 38;
/// Waveform onset (`(`); also PQ junction, written `` ` `` by PhysioNet.
pub const WFON: u8 = 39;
/// Waveform end (`)`); also J point, written `'` by PhysioNet.
pub const WFOFF: u8 = 40;
/// R-on-T premature ventricular contraction (`r`).
pub const RONT: u8 = 41;

/// WFDB's mnemonic for each code 0..=49 (`ecgstr`), `[n]` for unassigned codes.
const SYMBOLS: [&str; ACMAX as usize + 1] = [
    " ", "N", "L", "R", "a", "V", "F", "J", "A", "S", // 0-9
    "E", "j", "/", "Q", "~", "[15]", "|", "[17]", "s", "T", // 10-19
    "*", "D", "\"", "=", "p", "B", "^", "t", "+", "u", // 20-29
    "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", // 30-39
    ")", "r", "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]", // 40-49
];

/// WFDB's `isqrs` table (`ecgmap.h`): beat codes, `!` (ventricular flutter wave) included.
const QRS: u64 = bits(&[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 31, 34, 35, 38, 41,
]);
/// PhysioNet's beat annotations: `isqrs` without `!` (see [`is_beat`]).
const BEAT: u64 = QRS & !(1 << FLWAV);

const fn bits(codes: &[u8]) -> u64 {
    let mut b = 0;
    let mut i = 0;
    while i < codes.len() {
        b |= 1 << codes[i];
        i += 1;
    }
    b
}

/// WFDB mnemonic of a code (e.g. 1 gives `N`), `None` above [`ACMAX`].
pub fn symbol(code: u8) -> Option<&'static str> {
    SYMBOLS.get(usize::from(code)).copied()
}

/// Code of a WFDB mnemonic; also accepts PhysioNet's `` ` `` (PQ junction, [`WFON`]) and `'`
/// (J point, [`WFOFF`]). `None` for unknown mnemonics.
pub fn code_of(symbol: &str) -> Option<u8> {
    match symbol {
        "`" => Some(WFON),
        "'" => Some(WFOFF),
        _ => (1..=ACMAX).find(|&c| SYMBOLS[usize::from(c)] == symbol),
    }
}

/// WFDB's `isqrs`: true for codes that denote a QRS complex
/// (`N L R a V F J A S E j / Q B ? ! e n f r`).
pub fn is_qrs(code: u8) -> bool {
    code <= ACMAX && (QRS >> code) & 1 == 1
}

/// True for PhysioNet's beat annotations `N L R B A a J S V r F e j n E / f Q ?`: WFDB's
/// [`is_qrs`] minus `!` (flutter waves, which PhysioNet does not count as beats). On MIT-BIH
/// this gives the widely quoted 109,494 beats; `is_qrs` gives 109,966.
pub fn is_beat(code: u8) -> bool {
    code <= ACMAX && (BEAT >> code) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_codes_invert() {
        for c in 1..=ACMAX {
            assert_eq!(code_of(symbol(c).unwrap()), Some(c));
        }
        assert_eq!(symbol(NORMAL), Some("N"));
        assert_eq!(symbol(NOTE), Some("\""));
        assert_eq!(symbol(50), None);
        assert_eq!(code_of("`"), Some(39));
        assert_eq!(code_of("'"), Some(40));
        assert_eq!(code_of("N "), None);
    }

    #[test]
    fn beat_sets_match_wfdb_and_physionet_lists() {
        let qrs: String = (0..=63).filter(|&c| is_qrs(c)).filter_map(symbol).collect();
        assert_eq!(qrs, "NLRaVFJASEj/QB?!enfr");
        let beats: String = (0..=63)
            .filter(|&c| is_beat(c))
            .filter_map(symbol)
            .collect();
        assert_eq!(beats, "NLRaVFJASEj/QB?enfr");
    }
}
