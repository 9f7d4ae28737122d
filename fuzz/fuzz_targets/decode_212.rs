//! The format-212 decoder on arbitrary signal-file bytes: a two-signal record whose sample
//! count is inferred from the file, then one whose header declares a count and a byte offset
//! taken from the input, and a sample range: `Ok` or `Err`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod decode;

fuzz_target!(|data: &[u8]| decode::run("212", data));
