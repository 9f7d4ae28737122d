//! Reading and parsing a WFDB header: the whole text ([`Header::parse`]), the record line and
//! the signal lines, into the types of `header`.

use std::path::Path;

use super::format::Format;
use super::header::{DEFAULT_FS, Header, SignalSpec};
use crate::limits::{ReadLimits, exceeded, read_regular};
use crate::{Error, Result};

impl Header {
    /// Reads and parses a header file under the default [`ReadLimits`].
    pub fn read(path: impl AsRef<Path>) -> Result<Header> {
        Header::read_with_limits(path, &ReadLimits::default())
    }

    /// Reads and parses a header file: a regular file (else [`Error::NotRegularFile`](crate::Error::NotRegularFile)) of at
    /// most `limits.max_header_bytes` bytes, parsed as [`parse_with_limits`](Self::parse_with_limits).
    pub fn read_with_limits(path: impl AsRef<Path>, limits: &ReadLimits) -> Result<Header> {
        Ok(read_lines(path.as_ref(), limits)?.0)
    }

    /// Parses header text (LF or CRLF; `#` lines are comments, blank lines skipped) under the
    /// default [`ReadLimits`]; `path` only names the file in errors. More signal lines than
    /// declared is an error.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Header> {
        Header::parse_with_limits(bytes, path, &ReadLimits::default())
    }

    /// [`parse`](Self::parse) with explicit limits: at most `max_header_bytes` bytes and
    /// `max_header_lines` lines, `max_signals` signals, `max_samples` samples per signal
    /// (else [`Error::Limit`](crate::Error::Limit) naming the line).
    pub fn parse_with_limits(bytes: &[u8], path: &Path, limits: &ReadLimits) -> Result<Header> {
        Ok(parse_lines(bytes, path, limits)?.0)
    }
}

/// Reads a header file and the 1-based line of each signal line.
pub(crate) fn read_lines(path: &Path, limits: &ReadLimits) -> Result<(Header, Vec<usize>)> {
    let bytes = read_regular(path, limits.max_header_bytes, "max_header_bytes")?;
    parse_lines(&bytes, path, limits)
}

/// Parses a header, returning the 1-based line of each signal line with it.
fn parse_lines(bytes: &[u8], path: &Path, limits: &ReadLimits) -> Result<(Header, Vec<usize>)> {
    if bytes.len() as u64 > limits.max_header_bytes {
        let msg = format!("{} bytes", bytes.len());
        return Err(exceeded(
            path,
            "max_header_bytes",
            limits.max_header_bytes,
            msg,
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        parse_err(path, line, "not valid UTF-8")
    })?;
    let mut comments = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if i >= limits.max_header_lines {
            let msg = format!("line {} is past the limit", i + 1);
            return Err(exceeded(
                path,
                "max_header_lines",
                limits.max_header_lines,
                msg,
            ));
        }
        let line = raw.trim();
        if let Some(c) = line.strip_prefix('#') {
            comments.push(c.trim().to_string());
        } else if !line.is_empty() {
            lines.push((i + 1, line));
        }
    }
    let Some(&(no, record_line)) = lines.first() else {
        return Err(parse_err(path, 1, "no record line"));
    };
    let (mut header, declared) = parse_record_line(record_line, path, no, limits)?;
    header.comments = comments;
    let mut signal_lines = Vec::with_capacity(declared);
    for (s, &(no, line)) in lines[1..].iter().enumerate() {
        if s == declared {
            let msg = format!("more signal lines than the {declared} the record line declares");
            return Err(parse_err(path, no, msg));
        }
        let spec = parse_signal_line(line, &header.record_name, s, path, no)?;
        check_group(&header.signals, &spec, path, no)?;
        header.signals.push(spec);
        signal_lines.push(no);
    }
    if header.signals.len() < declared {
        let msg = format!(
            "{declared} signals declared, {} found",
            header.signals.len()
        );
        return Err(parse_err(path, text.lines().count().max(1), msg));
    }
    Ok((header, signal_lines))
}

fn parse_err(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn unsupported(path: &Path, message: impl Into<String>) -> Error {
    Error::Unsupported {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn num<T: std::str::FromStr>(tok: &str, what: &str, path: &Path, line: usize) -> Result<T> {
    tok.parse()
        .map_err(|_| parse_err(path, line, format!("bad {what} `{tok}`")))
}

fn positive(tok: &str, what: &str, path: &Path, line: usize) -> Result<f64> {
    let v: f64 = num(tok, what, path, line)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(parse_err(
            path,
            line,
            format!("{what} must be positive, got `{tok}`"),
        ))
    }
}

/// `name[/segments] nsig [fs[/counter[(base)]] [nsamp [time [date]]]]`
fn parse_record_line(
    line: &str,
    path: &Path,
    no: usize,
    limits: &ReadLimits,
) -> Result<(Header, usize)> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let Some(&name) = toks.first() else {
        return Err(parse_err(path, no, "empty record line"));
    };
    if let Some((name, segs)) = name.split_once('/') {
        return Err(unsupported(
            path,
            format!("record {name} is multi-segment ({segs} segments)"),
        ));
    }
    let Some(&nsig) = toks.get(1) else {
        return Err(parse_err(
            path,
            no,
            "record line lacks the number of signals",
        ));
    };
    if toks.len() > 6 {
        return Err(parse_err(
            path,
            no,
            format!("unexpected field `{}`", toks[6]),
        ));
    }
    let n_signals: usize = num(nsig, "number of signals", path, no)?;
    if n_signals > limits.max_signals {
        let msg = format!("line {no}: {n_signals} signals declared");
        return Err(exceeded(path, "max_signals", limits.max_signals, msg));
    }
    let (mut fs, mut counter_freq, mut base_counter) = (DEFAULT_FS, None, None);
    if let Some(&tok) = toks.get(2) {
        let (f, counter) = tok
            .split_once('/')
            .map_or((tok, None), |(f, c)| (f, Some(c)));
        fs = positive(f, "sampling frequency", path, no)?;
        if let Some(c) = counter {
            let (cf, base) = match c.split_once('(') {
                Some((cf, b)) => (cf, Some(b.strip_suffix(')').unwrap_or(b))),
                None => (c, None),
            };
            counter_freq = Some(positive(cf, "counter frequency", path, no)?);
            base_counter = base.map(|b| num(b, "base counter", path, no)).transpose()?;
        }
    }
    let n_samples = match toks.get(3) {
        Some(t) => Some(num::<usize>(t, "number of samples", path, no)?).filter(|&n| n > 0),
        None => None,
    };
    if let Some(n) = n_samples.filter(|&n| n > limits.max_samples) {
        let msg = format!("line {no}: {n} samples per signal declared");
        return Err(exceeded(path, "max_samples", limits.max_samples, msg));
    }
    let header = Header {
        record_name: name.to_string(),
        fs,
        counter_freq,
        base_counter,
        n_samples,
        base_time: toks.get(4).map(|s| s.to_string()),
        base_date: toks.get(5).map(|s| s.to_string()),
        signals: Vec::with_capacity(n_signals),
        comments: Vec::new(),
    };
    Ok((header, n_signals))
}

/// Splits off the first whitespace-delimited token.
fn next_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

/// `file fmt[xspf][:skew][+offset] [gain[(baseline)][/units] [res [zero [init [cksum
/// [bsize [description]]]]]]]`
fn parse_signal_line(
    line: &str,
    record: &str,
    index: usize,
    path: &Path,
    no: usize,
) -> Result<SignalSpec> {
    let mut rest = line;
    let mut toks: Vec<&str> = Vec::with_capacity(8);
    while toks.len() < 8 {
        let Some((tok, r)) = next_token(rest) else {
            break;
        };
        toks.push(tok);
        rest = r;
    }
    let Some(&fmt_tok) = toks.get(1) else {
        return Err(parse_err(path, no, "signal line lacks a format"));
    };
    let (format, byte_offset) = parse_format(fmt_tok, path, no)?;
    let (mut adc_gain, mut baseline, mut units) = (0.0f64, None, "mV".to_string());
    if let Some(&tok) = toks.get(2) {
        let end = tok.find(['(', '/']).unwrap_or(tok.len());
        adc_gain = num(&tok[..end], "gain", path, no)?;
        if !adc_gain.is_finite() || adc_gain < 0.0 {
            return Err(parse_err(path, no, format!("bad gain `{tok}`")));
        }
        let mut tail = &tok[end..];
        if let Some(b) = tail.strip_prefix('(') {
            let Some((b, after)) = b.split_once(')') else {
                return Err(parse_err(path, no, format!("unclosed baseline in `{tok}`")));
            };
            baseline = Some(num(b, "baseline", path, no)?);
            tail = after;
        }
        if let Some(u) = tail.strip_prefix('/').filter(|u| !u.is_empty()) {
            units = u.to_string();
        } else if !tail.is_empty() {
            return Err(parse_err(path, no, format!("bad gain field `{tok}`")));
        }
    }
    let adc_resolution = match toks.get(3) {
        Some(t) => num(t, "ADC resolution", path, no)?,
        None => format.default_adc_resolution(),
    };
    let adc_zero = toks
        .get(4)
        .map(|t| num(t, "ADC zero", path, no))
        .transpose()?
        .unwrap_or(0);
    let initial_value = toks
        .get(5)
        .map(|t| num(t, "initial value", path, no))
        .transpose()?;
    let checksum = match toks
        .get(6)
        .map(|t| num::<i64>(t, "checksum", path, no))
        .transpose()?
    {
        Some(c @ -32768..=65535) => Some(c as u16 as i16),
        Some(c) => return Err(parse_err(path, no, format!("checksum {c} outside 16 bits"))),
        None => None,
    };
    let block_size = toks
        .get(7)
        .map(|t| num(t, "block size", path, no))
        .transpose()?;
    let description = match rest.trim() {
        "" => format!("record {record}, signal {index}"),
        d => d.to_string(),
    };
    let spec = SignalSpec {
        file_name: toks[0].to_string(),
        format,
        byte_offset,
        adc_gain,
        baseline: baseline.unwrap_or(adc_zero),
        units,
        adc_resolution,
        adc_zero,
        initial_value: initial_value.unwrap_or(adc_zero),
        checksum,
        block_size: block_size.unwrap_or(0),
        description,
    };
    check_physical_range(&spec, index, path, no)?;
    Ok(spec)
}

/// [`Error::Parse`] when a gain so small (or a baseline so far out) that some digital value of
/// the format has a physical value `(digital - baseline) / gain` beyond `f32`: every such
/// sample would read as an infinity.
fn check_physical_range(spec: &SignalSpec, index: usize, path: &Path, no: usize) -> Result<()> {
    // Every format's valid values are symmetric: -(invalid + 1)..=(invalid + 1).
    let top = -(f64::from(spec.format.invalid_sample()) + 1.0);
    let baseline = f64::from(spec.baseline);
    let far = (top - baseline).abs().max((-top - baseline).abs());
    let physical = far / spec.gain();
    if (physical as f32).is_finite() {
        return Ok(());
    }
    let msg = format!(
        "signal {index} ({}): gain {} (baseline {baseline}) gives physical values up to \
         {physical:e} {}, beyond a 32-bit float",
        spec.description, spec.adc_gain, spec.units
    );
    Err(parse_err(path, no, msg))
}

/// `fmt[xspf][:skew][+offset]`; only one sample per frame and no skew are supported.
fn parse_format(tok: &str, path: &Path, no: usize) -> Result<(Format, u64)> {
    let digits = tok.find(|c: char| !c.is_ascii_digit()).unwrap_or(tok.len());
    let code: u32 = num(&tok[..digits], "format", path, no)?;
    let mut byte_offset = 0;
    let mut rest = &tok[digits..];
    while let Some(tag) = rest.chars().next() {
        let body = &rest[tag.len_utf8()..];
        let end = body
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(body.len());
        let value: u64 = num(&body[..end], "format modifier", path, no)?;
        match tag {
            'x' if value > 1 => {
                return Err(unsupported(
                    path,
                    format!("{value} samples per frame (line {no})"),
                ));
            }
            ':' if value != 0 => {
                return Err(unsupported(path, format!("skew {value} (line {no})")));
            }
            '+' => byte_offset = value,
            'x' | ':' => {}
            _ => return Err(parse_err(path, no, format!("bad format field `{tok}`"))),
        }
        rest = &body[end..];
    }
    let format = Format::from_code(code).ok_or_else(|| {
        unsupported(
            path,
            format!("signal format {code} (line {no}); supported: 212, 16, 61, 80, 160"),
        )
    })?;
    Ok((format, byte_offset))
}

/// Signals sharing a file must be listed together and agree on format and block size.
fn check_group(previous: &[SignalSpec], spec: &SignalSpec, path: &Path, no: usize) -> Result<()> {
    let Some(last) = previous.last() else {
        return Ok(());
    };
    if last.file_name == spec.file_name {
        if last.format != spec.format || last.block_size != spec.block_size {
            let msg = format!(
                "signals in {} differ in format or block size",
                spec.file_name
            );
            return Err(parse_err(path, no, msg));
        }
    } else if previous.iter().any(|s| s.file_name == spec.file_name) {
        let msg = format!("signals of file {} are not listed together", spec.file_name);
        return Err(parse_err(path, no, msg));
    }
    Ok(())
}
