//! The pieces of Redis's RDB serialization that payloads handed to clients use (FUNCTION
//! DUMP / RESTORE; DUMP / RESTORE of keys share the same footer): length encoding, strings
//! (raw or LZF-compressed as `rdbSaveRawString` writes them), the version + CRC64 footer.
//!
//! The bytes must equal Redis's, so the LZF compressor follows liblzf 3.6 as Redis builds it
//! (16-bit hash table, "very fast" mode, a fresh table per call) step for step: a different
//! but valid compression would still be a different payload.

/// The RDB version Redis 7.0 writes (and the newest it reads).
pub const RDB_VERSION: u16 = 10;

/// CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, no xor).
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 bit-reversed
    for &byte in data {
        crc ^= byte as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Appends the footer of a DUMP payload: the RDB version (2 bytes) and the CRC64 of
/// everything before it (8 bytes), both little-endian.
pub fn append_footer(payload: &mut Vec<u8>) {
    payload.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, payload);
    payload.extend_from_slice(&crc.to_le_bytes());
}

/// Checks a payload's footer (`verifyDumpPayload`) and returns the body before it.
/// (Redis's readers then read the payload as a whole: a string may run into the footer.)
pub fn verify_footer(payload: &[u8]) -> Option<&[u8]> {
    if payload.len() < 10 {
        return None;
    }
    let (rest, crc) = payload.split_at(payload.len() - 8);
    let version = u16::from_le_bytes([rest[rest.len() - 2], rest[rest.len() - 1]]);
    if version > RDB_VERSION {
        return None;
    }
    let stored = u64::from_le_bytes(crc.try_into().ok()?);
    if crc64(0, rest) != stored {
        return None;
    }
    Some(&rest[..rest.len() - 2])
}

/// `rdbSaveLen`.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// A plain length (`rdbLoadLen`), None if it is an encoding marker or missing.
pub fn read_plain_len(input: &[u8], pos: &mut usize) -> Option<u64> {
    match read_len(input, pos)? {
        (n, false) => Some(n),
        (_, true) => None,
    }
}

/// A length, or the special encoding marker (`rdbLoadLenByRef`): `(value, is_encoded)`.
pub fn read_len(input: &[u8], pos: &mut usize) -> Option<(u64, bool)> {
    let first = *input.get(*pos)?;
    *pos += 1;
    match first >> 6 {
        0 => Some(((first & 0x3f) as u64, false)),
        1 => {
            let second = *input.get(*pos)?;
            *pos += 1;
            Some(((((first & 0x3f) as u64) << 8) | second as u64, false))
        }
        2 => {
            let n = match first {
                0x80 => 4,
                0x81 => 8,
                _ => return None,
            };
            let bytes = input.get(*pos..*pos + n)?;
            *pos += n;
            Some((
                bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64),
                false,
            ))
        }
        _ => Some(((first & 0x3f) as u64, true)),
    }
}

/// `rdbSaveRawString` with compression on (Redis's default `rdbcompression yes`): a
/// string of at most 11 bytes that reads as a 32-bit integer is stored as that integer;
/// one longer than 20 bytes LZF-compressed when that saves more than 4 bytes; else raw.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(n) = crate::args::parse_i64(s) {
            if write_small_int(out, n) {
                return;
            }
        }
    }
    if s.len() > 20 {
        if let Some(compressed) = lzf_compress(s, s.len() - 4) {
            write_lzf_blob(out, &compressed, s.len());
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// `rdbEncodeInteger`: an integer of 8, 16 or 32 bits as an encoded "string". False
/// (nothing written) for a wider one.
pub fn write_small_int(out: &mut Vec<u8>, n: i64) -> bool {
    if let Ok(v) = i8::try_from(n) {
        out.push(0xc0);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i16::try_from(n) {
        out.push(0xc1);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(n) {
        out.push(0xc2);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// `rdbSaveLzfBlob`: data already compressed, with its compressed and original lengths.
pub fn write_lzf_blob(out: &mut Vec<u8>, compressed: &[u8], original_len: usize) {
    out.push(0xc3);
    write_len(out, compressed.len() as u64);
    write_len(out, original_len as u64);
    out.extend_from_slice(compressed);
}

/// Reads exactly `n` bytes.
pub fn read_bytes<'a>(input: &'a [u8], pos: &mut usize, n: usize) -> Option<&'a [u8]> {
    let bytes = input.get(*pos..pos.checked_add(n)?)?;
    *pos += n;
    Some(bytes)
}

/// `rdbLoadType` and other single bytes.
pub fn read_u8(input: &[u8], pos: &mut usize) -> Option<u8> {
    read_bytes(input, pos, 1).map(|b| b[0])
}

/// `rdbSaveBinaryDoubleValue` / `rdbLoadBinaryDoubleValue`: 8 bytes, little-endian.
pub fn write_binary_double(out: &mut Vec<u8>, d: f64) {
    out.extend_from_slice(&d.to_le_bytes());
}
pub fn read_binary_double(input: &[u8], pos: &mut usize) -> Option<f64> {
    Some(f64::from_le_bytes(
        read_bytes(input, pos, 8)?.try_into().ok()?,
    ))
}

/// `rdbLoadDoubleValue`: the old text form of a double (a length byte, 253/254/255 for
/// nan/inf/-inf, then that many characters read with `strtod`).
pub fn read_text_double(input: &[u8], pos: &mut usize) -> Option<f64> {
    match read_u8(input, pos)? {
        253 => Some(f64::NAN),
        254 => Some(f64::INFINITY),
        255 => Some(f64::NEG_INFINITY),
        len => {
            let text = std::str::from_utf8(read_bytes(input, pos, len as usize)?).ok()?;
            text.trim().parse::<f64>().ok()
        }
    }
}

/// `rdbSaveMillisecondTime` / `rdbLoadMillisecondTime`: 8 bytes, little-endian.
pub fn write_millis(out: &mut Vec<u8>, ms: i64) {
    out.extend_from_slice(&ms.to_le_bytes());
}
pub fn read_millis(input: &[u8], pos: &mut usize) -> Option<i64> {
    Some(i64::from_le_bytes(
        read_bytes(input, pos, 8)?.try_into().ok()?,
    ))
}

/// `rdbGenericLoadStringObject`: a raw, integer-encoded or LZF-compressed string.
pub fn read_string(input: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let (len, encoded) = read_len(input, pos)?;
    if !encoded {
        let len = usize::try_from(len).ok()?;
        let bytes = input.get(*pos..pos.checked_add(len)?)?;
        *pos += len;
        return Some(bytes.to_vec());
    }
    let int = |n: usize, pos: &mut usize| -> Option<i64> {
        let bytes = input.get(*pos..*pos + n)?;
        *pos += n;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(bytes);
        // Sign-extend the little-endian integer of n bytes.
        let shift = 64 - 8 * n as u32;
        Some((i64::from_le_bytes(buf) << shift) >> shift)
    };
    match len {
        0 => int(1, pos).map(|v| v.to_string().into_bytes()),
        1 => int(2, pos).map(|v| v.to_string().into_bytes()),
        2 => int(4, pos).map(|v| v.to_string().into_bytes()),
        3 => {
            let (clen, _) = read_len(input, pos)?;
            let (ulen, _) = read_len(input, pos)?;
            let (clen, ulen) = (usize::try_from(clen).ok()?, usize::try_from(ulen).ok()?);
            let compressed = input.get(*pos..pos.checked_add(clen)?)?;
            *pos += clen;
            let out = lzf_decompress(compressed, ulen)?;
            (out.len() == ulen).then_some(out)
        }
        _ => None,
    }
}

/// liblzf's `lzf_compress` as Redis configures it. None when the output would not fit in
/// `out_len` bytes (the caller then stores the string raw).
pub fn lzf_compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    const HLOG: u32 = 16;
    const HSIZE: usize = 1 << HLOG;
    const MAX_LIT: usize = 1 << 5;
    const MAX_OFF: usize = 1 << 13;
    const MAX_REF: usize = (1 << 8) + (1 << 3);
    /// Copies one literal byte into the current run; a full run gets its header and a new
    /// run starts after it.
    fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
        *lit += 1;
        out[*op] = byte;
        *op += 1;
        if *lit == MAX_LIT {
            out[*op - *lit - 1] = (*lit - 1) as u8;
            *lit = 0;
            *op += 1;
        }
    }
    let idx =
        |h: u32| ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1);
    let in_len = input.len();
    if in_len == 0 || out_len == 0 {
        return None;
    }
    // Positions of the last occurrence of each hash; 0 never matches (liblzf requires
    // ref > start of input).
    let mut htab = vec![0usize; HSIZE];
    // Slack past out_len: liblzf's checks allow writing a run header one past the end.
    let mut out = vec![0u8; out_len + 8];
    let mut op: usize = 1; // the first literal run's header is at 0
    let mut lit: usize = 0;
    let mut ip: usize = 0;
    let mut hval: u32 = if in_len >= 2 {
        ((input[0] as u32) << 8) | input[1] as u32
    } else {
        0
    };
    while ip + 2 < in_len {
        hval = (hval << 8) | input[ip + 2] as u32;
        let slot = idx(hval);
        let reference = htab[slot];
        htab[slot] = ip;
        let off = ip.wrapping_sub(reference).wrapping_sub(1);
        if reference < ip
            && off < MAX_OFF
            && reference > 0
            && input[reference + 2] == input[ip + 2]
            && input[reference] == input[ip]
            && input[reference + 1] == input[ip + 1]
        {
            let mut len: usize = 2;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            if op + 3 + 1 >= out_len && op - (lit == 0) as usize + 3 + 1 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
            op -= (lit == 0) as usize; // undo an empty run
                                       // liblzf unrolls the first 16 comparisons when more than 16 bytes may match,
                                       // without checking `maxlen` between them: a match can end up to two bytes
                                       // past `maxlen` (still inside the input), and the output shows it.
            let mut mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[reference + len] != input[ip + len] {
                        mismatch = true;
                        break;
                    }
                }
            }
            if !mismatch {
                loop {
                    len += 1;
                    if len >= maxlen || input[reference + len] != input[ip + len] {
                        break;
                    }
                }
            }
            len -= 2; // now the number of octets - 1
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip + 2 >= in_len {
                break;
            }
            // Hash the two positions before the new ip ("very fast" mode).
            ip -= 2;
            hval = ((input[ip] as u32) << 8) | input[ip + 1] as u32;
            hval = (hval << 8) | input[ip + 2] as u32;
            htab[idx(hval)] = ip;
            ip += 1;
            hval = (hval << 8) | input[ip + 2] as u32;
            htab[idx(hval)] = ip;
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            push_literal(&mut out, &mut op, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        push_literal(&mut out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= (lit == 0) as usize;
    out.truncate(op);
    Some(out)
}

/// liblzf's `lzf_decompress`: None on corrupt input or output longer than `max_len`.
pub fn lzf_decompress(input: &[u8], max_len: usize) -> Option<Vec<u8>> {
    // The claimed length comes from the payload: grow as the data really decompresses.
    let mut out: Vec<u8> = Vec::with_capacity(max_len.min(input.len() * 4));
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 1 << 5 {
            let run = ctrl + 1;
            if out.len() + run > max_len {
                return None;
            }
            out.extend_from_slice(input.get(ip..ip + run)?);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            len += 2;
            if out.len() + len > max_len || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_value() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn lzf_round_trips() {
        for text in [
            &b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"[..],
            b"#!lua name=lib\nredis.register_function('f', function(keys, args) return redis.call('get', keys[1]) end)",
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcxyz0123456789012345678901234567890123456789",
        ] {
            let c = lzf_compress(text, text.len() - 4).expect("compressible");
            assert!(c.len() < text.len());
            assert_eq!(lzf_decompress(&c, text.len()).as_deref(), Some(text));
        }
        assert_eq!(lzf_compress(b"abcdefghijklmnopqrstuvwxyz", 22), None);
    }

    #[test]
    fn strings_and_footer_round_trip() {
        let mut out = Vec::new();
        write_string(&mut out, b"short");
        write_string(&mut out, &b"x".repeat(100));
        append_footer(&mut out);
        let body = verify_footer(&out).expect("valid footer");
        let mut pos = 0;
        assert_eq!(read_string(body, &mut pos).as_deref(), Some(&b"short"[..]));
        assert_eq!(read_string(body, &mut pos), Some(b"x".repeat(100)));
        assert_eq!(pos, body.len());
        out[0] ^= 1;
        assert!(verify_footer(&out).is_none());
    }

    #[test]
    fn hostile_lengths_are_refused() {
        // An LZF string claiming 4 GB from 3 bytes, and a raw one longer than its payload.
        let mut pos = 0;
        assert_eq!(
            read_string(
                &[0xc3, 0x03, 0x80, 0xff, 0xff, 0xff, 0xff, 0x00, b'a', b'b'],
                &mut pos
            ),
            None
        );
        let mut pos = 0;
        assert_eq!(
            read_string(
                &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                &mut pos
            ),
            None
        );
        assert_eq!(lzf_decompress(&[0xe0, 0xff, 0x00], 1000), None);
    }
}
