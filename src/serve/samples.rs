//! A `/v1/stream` body's samples, chunk by chunk, in the frames a
//! [`StreamingDetector`](crate::stream::StreamingDetector) takes. Text for one lead: numbers
//! separated by newlines, commas, semicolons or blanks. Text for several leads: one line per
//! instant, one value per lead in the detector's order, or in any order under a first line
//! naming them (extra columns are dropped). `application/octet-stream`: little-endian `f32`,
//! frames interleaved in the detector's order.

use super::error::ApiError;

/// Longest number in a one-lead text stream, in bytes (a longer run of non-separators is an
/// error).
const MAX_NUMBER_BYTES: usize = 64;
/// Longest line of a text stream of several leads, in bytes.
const MAX_LINE_BYTES: usize = 4096;

/// How the body's samples are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Text,
    F32Le,
}

/// Reads a body's samples as its chunks come; memory is one chunk plus an incomplete number,
/// line or frame.
#[derive(Debug)]
pub(crate) struct Samples {
    encoding: Encoding,
    /// The bytes of an incomplete number, line or `f32` at the end of the last chunk.
    carry: Vec<u8>,
    /// The detector's leads when it judges several; empty for one lead.
    leads: Vec<String>,
    /// The column of each lead, once a header line named them.
    columns: Option<Vec<usize>>,
    /// Values per line: the header's columns, else the leads.
    width: usize,
    /// Lines read (text, several leads).
    lines: usize,
    /// Whether the next non-empty line may be a header (only the first may).
    header_allowed: bool,
    /// Samples of an incomplete frame (`f32`, several leads).
    partial: Vec<f32>,
    /// Frames (samples, for one lead) read so far.
    frames: usize,
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request("bad_samples", message)
}

impl Samples {
    /// A reader of `encoding` for a detector of `leads` (empty: one lead).
    pub(crate) fn new(encoding: Encoding, leads: Vec<String>) -> Self {
        Self {
            encoding,
            carry: Vec::new(),
            width: leads.len(),
            leads,
            columns: None,
            lines: 0,
            header_allowed: true,
            partial: Vec::new(),
            frames: 0,
        }
    }

    fn channels(&self) -> usize {
        self.leads.len().max(1)
    }

    /// The whole frames that `chunk` completes, interleaved in the detector's lead order; the
    /// rest waits for the next chunk.
    pub(crate) fn take(&mut self, chunk: &[u8]) -> Result<Vec<f32>, ApiError> {
        self.carry.extend_from_slice(chunk);
        let samples = match (self.encoding, self.leads.is_empty()) {
            (Encoding::Text, true) => take_numbers(&mut self.carry, self.frames)?,
            (Encoding::Text, false) => self.take_lines()?,
            (Encoding::F32Le, _) => self.take_f32(),
        };
        self.frames += samples.len() / self.channels();
        Ok(samples)
    }

    /// The last frames, at the body's end; an incomplete `f32` or frame is an error.
    pub(crate) fn finish(&mut self) -> Result<Vec<f32>, ApiError> {
        if self.encoding == Encoding::Text && !self.carry.is_empty() {
            return self.take(b"\n");
        }
        if !self.carry.is_empty() {
            let n = self.carry.len();
            return Err(bad(format!(
                "the body ends with {n} bytes of an incomplete f32"
            )));
        }
        if !self.partial.is_empty() {
            let msg = format!(
                "the body ends with {} of the {} samples of a frame ({})",
                self.partial.len(),
                self.leads.len(),
                self.leads.join(", ")
            );
            return Err(bad(msg));
        }
        Ok(Vec::new())
    }

    /// The whole little-endian `f32` frames at the front of `carry` (and `partial`).
    fn take_f32(&mut self) -> Vec<f32> {
        let whole = self.carry.len() / 4 * 4;
        let mut samples = std::mem::take(&mut self.partial);
        samples.extend(
            self.carry[..whole]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        self.carry.drain(..whole);
        let frames = samples.len() / self.channels() * self.channels();
        self.partial = samples.split_off(frames);
        samples
    }

    /// The frames of the complete lines at the front of `carry`, removed from it.
    fn take_lines(&mut self) -> Result<Vec<f32>, ApiError> {
        let Some(end) = self.carry.iter().rposition(|&b| b == b'\n') else {
            if self.carry.len() > MAX_LINE_BYTES {
                let msg = format!(
                    "line {}: over {MAX_LINE_BYTES} bytes without a newline",
                    self.lines + 1
                );
                return Err(bad(msg));
            }
            return Ok(Vec::new());
        };
        let carry = std::mem::take(&mut self.carry);
        let text = std::str::from_utf8(&carry[..end])
            .map_err(|_| bad(format!("not UTF-8 after line {}", self.lines)))?;
        let mut frames = Vec::new();
        let mut values = Vec::with_capacity(self.width);
        for line in text.split('\n') {
            self.lines += 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line.len() > MAX_LINE_BYTES {
                let msg = format!("line {}: over {MAX_LINE_BYTES} bytes", self.lines);
                return Err(bad(msg));
            }
            let mut tokens = line.split([',', ';', ' ', '\t']).filter(|t| !t.is_empty());
            let header = std::mem::take(&mut self.header_allowed)
                && tokens
                    .clone()
                    .next()
                    .is_some_and(|t| t.parse::<f32>().is_err());
            if header {
                self.header(tokens)?;
                continue;
            }
            values.clear();
            for token in tokens.by_ref().take(self.width + 1) {
                let value = token
                    .parse::<f32>()
                    .map_err(|_| bad(format!("line {}: {token:?} is not a number", self.lines)))?;
                values.push(value);
            }
            if values.len() != self.width {
                let msg = format!(
                    "line {}: {} values; this stream takes {} per line ({})",
                    self.lines,
                    if values.len() > self.width {
                        "too many".to_string()
                    } else {
                        values.len().to_string()
                    },
                    self.width,
                    self.leads.join(", ")
                );
                return Err(bad(msg));
            }
            match &self.columns {
                Some(columns) => frames.extend(columns.iter().map(|&c| values[c])),
                None => frames.extend_from_slice(&values),
            }
        }
        self.carry = carry;
        self.carry.drain(..=end);
        Ok(frames)
    }

    /// A first line naming the columns: each of the detector's leads must be among them.
    fn header<'a>(&mut self, tokens: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
        let names: Vec<&str> = tokens.map(|t| t.trim_matches(['"', '\''])).collect();
        let columns = self
            .leads
            .iter()
            .map(|lead| {
                names.iter().position(|n| n == lead).ok_or_else(|| {
                    let msg = format!(
                        "the header names {}; this detector takes {}: no column {lead:?}",
                        names.join(", "),
                        self.leads.join(", ")
                    );
                    ApiError::bad_request("bad_leads", msg)
                })
            })
            .collect::<Result<_, _>>()?;
        self.columns = Some(columns);
        self.width = names.len();
        Ok(())
    }
}

/// The complete numbers at the front of `carry` (up to its last separator), removed from it;
/// the rest stays for the next chunk. `received` numbers came before, to name a bad one.
fn take_numbers(carry: &mut Vec<u8>, received: usize) -> Result<Vec<f32>, ApiError> {
    let separator = |b: &u8| matches!(b, b'\n' | b'\r' | b',' | b' ' | b'\t' | b';');
    let Some(end) = carry.iter().rposition(separator) else {
        if carry.len() > MAX_NUMBER_BYTES {
            let msg = format!(
                "{} bytes without a separator after sample {received}",
                carry.len()
            );
            return Err(bad(msg));
        }
        return Ok(Vec::new());
    };
    let text = std::str::from_utf8(&carry[..end])
        .map_err(|_| bad(format!("not UTF-8 after sample {received}")))?;
    let mut samples = Vec::new();
    for token in text.split(|c: char| c.is_ascii() && separator(&(c as u8))) {
        if token.is_empty() {
            continue;
        }
        let value: f32 = token.parse().map_err(|_| {
            let n = received + samples.len();
            bad(format!("sample {n}: {token:?} is not a number"))
        })?;
        samples.push(value);
    }
    carry.drain(..=end);
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_split_across_chunks_are_kept_whole() {
        let mut carry = b"1.5, 2\n3.2".to_vec();
        assert_eq!(take_numbers(&mut carry, 0).unwrap(), [1.5, 2.0]);
        assert_eq!(carry, b"3.2");
        carry.extend_from_slice(b"5\n-1e-3 ");
        assert_eq!(take_numbers(&mut carry, 2).unwrap(), [3.25, -1e-3]);
        assert!(carry.is_empty());
        let mut bad = b"1\nx\n".to_vec();
        let e = take_numbers(&mut bad, 10).unwrap_err();
        assert!(e.message.contains("sample 11"), "{}", e.message);
        let mut long = vec![b'1'; 100];
        assert!(take_numbers(&mut long, 0).is_err());
        let mut one = Samples::new(Encoding::F32Le, Vec::new());
        let mut bytes = [1.0f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat();
        bytes.push(7);
        assert_eq!(one.take(&bytes).unwrap(), [1.0, 2.0]);
        assert!(one.finish().unwrap_err().message.contains("1 bytes"));
    }

    fn two() -> Vec<String> {
        vec!["MLII".into(), "V1".into()]
    }

    #[test]
    fn lines_of_several_leads_are_frames_in_the_detectors_order() {
        let mut s = Samples::new(Encoding::Text, two());
        assert_eq!(s.take(b"1,2\r\n3, 4\n5,").unwrap(), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.take(b"6\n\n7 8").unwrap(), [5.0, 6.0]);
        assert_eq!(s.finish().unwrap(), [7.0, 8.0]);
        // A header picks the columns by name, in any order, extra ones dropped.
        let mut s = Samples::new(Encoding::Text, two());
        let got = s.take(b"time,V1,\"MLII\"\n0,1,2\n1,3,4\n").unwrap();
        assert_eq!(got, [2.0, 1.0, 4.0, 3.0]);
        let e = s.take(b"2,5\n").unwrap_err();
        assert!(e.message.contains("line 4: 2 values"), "{}", e.message);
        // Only the first line may be a header; a header without a lead is refused.
        let mut s = Samples::new(Encoding::Text, two());
        assert_eq!(s.take(b"1,2\n").unwrap(), [1.0, 2.0]);
        let e = s.take(b"MLII,V1\n").unwrap_err();
        assert!(e.message.contains("line 2: \"MLII\" is not a number"));
        let e = Samples::new(Encoding::Text, two())
            .take(b"MLII,V5\n")
            .unwrap_err();
        assert_eq!(e.code, "bad_leads");
        assert!(e.message.contains("no column \"V1\""), "{}", e.message);
        let e = Samples::new(Encoding::Text, two())
            .take(b"1,2,3\n")
            .unwrap_err();
        assert!(e.message.contains("too many values"), "{}", e.message);
        let e = Samples::new(Encoding::Text, two())
            .take(&[b'1'; MAX_LINE_BYTES + 1])
            .unwrap_err();
        assert!(e.message.contains("without a newline"), "{}", e.message);
    }

    #[test]
    fn f32_frames_wait_for_their_last_sample() {
        let mut s = Samples::new(Encoding::F32Le, two());
        let bytes: Vec<u8> = [1.0f32, 2.0, 3.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(s.take(&bytes[..6]).unwrap(), Vec::<f32>::new());
        assert_eq!(s.take(&bytes[6..]).unwrap(), [1.0, 2.0]);
        let e = s.finish().unwrap_err();
        assert!(e.message.contains("1 of the 2 samples"), "{}", e.message);
        assert_eq!(s.take(&4.0f32.to_le_bytes()).unwrap(), [3.0, 4.0]);
        assert!(s.finish().unwrap().is_empty());
    }
}
