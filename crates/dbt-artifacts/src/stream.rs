//! Reading a large JSON object entry by entry from a byte stream.
//!
//! A manifest is mostly one object of nodes. Holding the whole file while the
//! parsed nodes accumulate would cost the file's size on top of the result, so
//! the file is read in chunks. The object's own punctuation and keys are read
//! here; each value is parsed by serde_json straight from the buffer (slice
//! speed, not `io::Read` speed), and a value cut off by the end of the buffer is
//! parsed again once more input is in. The buffer holds about one chunk plus the
//! value being read. Every byte is checked — structure here, values by
//! serde_json — and an error's line and column are the file's either way.

use std::io::Read;

use serde::de::{DeserializeOwned, IgnoredAny};

use crate::error::{ArtifactKind, Error};

/// Bytes read per refill.
const CHUNK: usize = 1 << 20;

pub(crate) struct JsonStream<'f, R> {
    reader: R,
    buf: Vec<u8>,
    /// The next byte to look at.
    pos: usize,
    eof: bool,
    /// Line (1-based) and column (bytes since the last newline) of `buf[0]`.
    base_line: usize,
    base_col: usize,
    kind: ArtifactKind,
    file: &'f str,
    /// Bytes read per refill ([`CHUNK`]; small in tests, to cross edges often).
    chunk: usize,
}

impl<'f, R: Read> JsonStream<'f, R> {
    pub fn new(reader: R, kind: ArtifactKind, file: &'f str) -> Self {
        JsonStream {
            reader,
            buf: Vec::with_capacity(CHUNK * 2),
            pos: 0,
            eof: false,
            base_line: 1,
            base_col: 0,
            kind,
            file,
            chunk: CHUNK,
        }
    }

    #[cfg(test)]
    fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk;
        self
    }

    /// Appends at least `want` bytes (less only at end of input); `false` when
    /// nothing more came.
    fn fill_at_least(&mut self, want: usize) -> Result<bool, Error> {
        let before = self.buf.len();
        while !self.eof && self.buf.len() - before < want {
            let goal = (want - (self.buf.len() - before)) as u64;
            match (&mut self.reader).take(goal).read_to_end(&mut self.buf) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Read {
                        kind: self.kind,
                        file: self.file.to_string(),
                        source,
                    });
                }
            }
        }
        Ok(self.buf.len() > before)
    }

    /// Appends up to a chunk; `false` at end of input.
    fn fill(&mut self) -> Result<bool, Error> {
        self.fill_at_least(self.chunk)
    }

    /// Before a refill: drops the bytes before `keep_from` (all consumed) once
    /// they are most of the buffer, keeping the line/column bookkeeping. Done at
    /// refill time, it moves only the unfinished value. Returns how far indices
    /// into the buffer moved down.
    fn make_room(&mut self, keep_from: usize) -> usize {
        if keep_from < self.chunk / 2 || keep_from * 2 < self.buf.len() {
            return 0;
        }
        let gone = &self.buf[..keep_from];
        match count_newlines(gone) {
            // dbt writes manifests on one line: the usual case, and no search.
            0 => self.base_col += keep_from,
            n => {
                self.base_line += n;
                let last = gone.iter().rposition(|&b| b == b'\n').unwrap_or(0);
                self.base_col = keep_from - last - 1;
            }
        }
        self.buf.drain(..keep_from);
        self.pos -= keep_from;
        keep_from
    }

    /// Skips JSON whitespace; the next byte, not consumed.
    fn peek(&mut self) -> Result<Option<u8>, Error> {
        loop {
            if self.pos >= self.buf.len() {
                self.make_room(self.pos);
                if !self.fill()? {
                    return Ok(None);
                }
                continue;
            }
            match self.buf[self.pos] {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                other => return Ok(Some(other)),
            }
        }
    }

    /// Line and column of `buf[i]` in serde_json's convention (the column counts
    /// the bytes of the line up to and including the one in question).
    fn position(&self, i: usize, consumed: bool) -> (usize, usize) {
        let i = i.min(self.buf.len());
        let before = &self.buf[..i];
        let (line, col) = match before.iter().rposition(|&b| b == b'\n') {
            Some(last) => (
                self.base_line + before.iter().filter(|&&b| b == b'\n').count(),
                i - last - 1,
            ),
            None => (self.base_line, self.base_col + i),
        };
        (line, col + usize::from(consumed))
    }

    fn error_at(&self, i: usize, consumed: bool, message: &str) -> Error {
        let (line, column) = self.position(i, consumed);
        Error::Json {
            kind: self.kind,
            file: self.file.to_string(),
            line,
            column,
            message: message.to_string(),
        }
    }

    fn eof_error(&self, what: &str) -> Error {
        self.error_at(self.buf.len(), false, &format!("EOF while parsing {what}"))
    }

    /// A serde_json error in the slice starting at `start`, moved to file
    /// coordinates.
    fn relocate(&self, start: usize, err: &serde_json::Error) -> Error {
        let (start_line, start_col) = self.position(start, false);
        let (line, column) = if err.line() <= 1 {
            (start_line, start_col + err.column())
        } else {
            (start_line + err.line() - 1, err.column())
        };
        match Error::json(self.kind, self.file, err) {
            Error::Json { message, .. } => Error::Json {
                kind: self.kind,
                file: self.file.to_string(),
                line,
                column,
                message,
            },
            other => other,
        }
    }

    /// `i` is at an opening quote; the index just past the closing one.
    fn string_end(&mut self, mut i: usize) -> Result<usize, Error> {
        i += 1;
        loop {
            while i >= self.buf.len() {
                if !self.fill()? {
                    return Err(self.eof_error("a string"));
                }
            }
            match self.buf[i..].iter().position(|&b| b == b'"' || b == b'\\') {
                Some(off) if self.buf[i + off] == b'"' => return Ok(i + off + 1),
                // A backslash: skip it and the byte it escapes.
                Some(off) => i += off + 2,
                None => i = self.buf.len(),
            }
        }
    }

    /// Parses the next value, reading more input while it is incomplete.
    pub fn value<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
        let Some(first) = self.peek()? else {
            return Err(self.eof_error("a value"));
        };
        let mut start = self.pos;
        // A number may go on past the end of the buffer; nothing else can.
        let open_ended = first == b'-' || first.is_ascii_digit();
        loop {
            let mut values =
                serde_json::Deserializer::from_slice(&self.buf[start..]).into_iter::<T>();
            match values.next() {
                Some(Ok(value)) => {
                    let end = start + values.byte_offset();
                    if !(open_ended && end == self.buf.len() && !self.eof) {
                        self.pos = end;
                        return Ok(value);
                    }
                }
                // A scalar followed by a stray byte (`12x`): the value is the part
                // before it, and the byte is the enclosing object's to reject.
                Some(Err(e)) if is_trailing(&e) => {
                    let len = e.column().saturating_sub(1);
                    let slice = &self.buf[start..start + len];
                    let value =
                        serde_json::from_slice(slice).map_err(|e| self.relocate(start, &e))?;
                    self.pos = start + len;
                    return Ok(value);
                }
                // Cut off by the end of the buffer (not of the input): read on.
                Some(Err(e)) if !e.is_eof() || self.eof => {
                    return Err(self.relocate(start, &e));
                }
                None if self.eof => return Err(self.eof_error("a value")),
                _ => {}
            }
            // Incomplete: at least as much again as is pending, so that a long
            // value is re-parsed a logarithmic number of times.
            let pending = self.buf.len() - start;
            start -= self.make_room(start);
            self.fill_at_least(pending.max(self.chunk))?;
        }
    }

    /// Whether the next value is an object.
    pub fn at_object(&mut self) -> Result<bool, Error> {
        Ok(self.peek()? == Some(b'{'))
    }

    /// Reads and discards the next value after checking it is valid JSON; an
    /// object is read entry by entry, so it is never held whole.
    pub fn skip_value(&mut self) -> Result<(), Error> {
        if self.at_object()? {
            self.entries::<IgnoredAny>(|_, _| ())
        } else {
            self.value::<IgnoredAny>().map(drop)
        }
    }

    /// Reads an object whose values are all `T`, one entry at a time.
    pub fn entries<T: DeserializeOwned>(
        &mut self,
        mut each: impl FnMut(String, T),
    ) -> Result<(), Error> {
        self.object(|stream, key| {
            let value = stream.value::<T>()?;
            each(key, value);
            Ok(())
        })
    }

    /// Reads an object at the current position, calling `on_key` with each key;
    /// `on_key` must consume the value.
    pub fn object<F>(&mut self, mut on_key: F) -> Result<(), Error>
    where
        F: FnMut(&mut Self, String) -> Result<(), Error>,
    {
        match self.peek()? {
            Some(b'{') => self.pos += 1,
            Some(_) => return Err(self.error_at(self.pos, true, "expected `{`")),
            None => return Err(self.eof_error("a value")),
        }
        let mut first = true;
        loop {
            match self.peek()? {
                Some(b'}') if first => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'}') => return Err(self.error_at(self.pos, true, "trailing comma")),
                Some(b'"') => {}
                Some(_) => return Err(self.error_at(self.pos, true, "key must be a string")),
                None => return Err(self.eof_error("an object")),
            }
            first = false;
            let start = self.pos;
            let end = self.string_end(start)?;
            let key: String = serde_json::from_slice(&self.buf[start..end])
                .map_err(|e| self.relocate(start, &e))?;
            self.pos = end;
            match self.peek()? {
                Some(b':') => self.pos += 1,
                Some(_) => return Err(self.error_at(self.pos, true, "expected `:`")),
                None => return Err(self.eof_error("an object")),
            }
            on_key(self, key)?;
            match self.peek()? {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => {
                    return Err(self.error_at(self.pos, true, "expected `,` or `}`"));
                }
                None => return Err(self.eof_error("an object")),
            }
        }
    }

    /// After the top-level value: only whitespace may follow.
    pub fn end(&mut self) -> Result<(), Error> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.error_at(self.pos, true, "trailing characters")),
        }
    }

    /// Whether the input starts with an object (after whitespace).
    pub fn starts_with_object(&mut self) -> Result<bool, Error> {
        Ok(self.peek()? == Some(b'{'))
    }

    /// The rest of the input, for an error message about a non-object document.
    pub fn rest(mut self) -> Result<Vec<u8>, Error> {
        while self.fill()? {}
        self.buf.drain(..self.pos);
        Ok(self.buf)
    }
}

/// `\n` bytes in `bytes`, counted in byte-wide lanes (which the compiler turns
/// into vector code: this runs over every byte of the file).
fn count_newlines(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')))
        })
        .map(usize::from)
        .sum()
}

/// serde_json's "trailing characters" on the first line: a complete scalar ran
/// into a byte that may not follow it.
fn is_trailing(e: &serde_json::Error) -> bool {
    e.is_syntax() && e.line() == 1 && e.to_string().starts_with("trailing characters")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out `n` bytes per call, to cross chunk edges often.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// The `items` entries of `text`, read `step` bytes at a time with refills of
    /// `step * 4`.
    fn collect(text: &str, step: usize) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        let mut s = JsonStream::new(Trickle(text.as_bytes(), step), ArtifactKind::Manifest, "t")
            .with_chunk(step * 4);
        s.object(|s, key| {
            if key == "items" {
                s.entries::<serde_json::Value>(|k, v| out.push((k, v.to_string())))
            } else {
                s.skip_value()
            }
        })?;
        s.end()?;
        Ok(out)
    }

    #[test]
    fn entries_across_any_chunking() {
        let text = r#" {"skip": {"a": [1, {"b": "}\"]"}], "c": null},
            "items": {"x": {"s": "a\\\"}b", "n": [1, 2.5e3, true]}, "y\u00e9": "str", "z": -1},
            "tail": [ {"q": "]"} ] } "#;
        for step in [1, 2, 3, 7, 64, 4096] {
            let got = collect(text, step).unwrap();
            assert_eq!(
                got,
                [
                    (
                        "x".to_string(),
                        r#"{"s":"a\\\"}b","n":[1,2500.0,true]}"#.to_string()
                    ),
                    ("yé".to_string(), "\"str\"".to_string()),
                    ("z".to_string(), "-1".to_string()),
                ],
                "step {step}"
            );
        }
    }

    /// The stream's error, and serde_json's for the same document parsed whole:
    /// they must agree on line, column and message.
    fn both(text: &str, step: usize) -> (String, String) {
        let ours = collect(text, step).unwrap_err().to_string();
        let theirs = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let theirs = Error::json(ArtifactKind::Manifest, "t", &theirs).to_string();
        (ours, theirs)
    }

    #[test]
    fn errors_carry_the_positions_serde_json_gives() {
        for text in [
            "{\"items\": {\"x\": 1,}}",
            "{\"items\": {\"x\":\n  [1, 2,]}}",
            "{\"items\": {\"x\": tru}}",
            "{\n\"skip\": {\"a\": [1 2]}}",
            "{\"items\": {\"x\" 1}}",
            "{\"items\": {\"x\": 1} \"y\": 2}",
            "{\"items\": {\"x\": \"abc",
            "{\"items\": {}} x",
            "{\"items\": {1: 2}}",
            "{\"items\": {\"x\": [1, 2]",
            "{\"a\": 1,\n\n  \"items\": {\"x\": {\"y\": nul}}}",
            "{\"items\": {\"x\": \"bad \\q escape\"}}",
        ] {
            for step in [1, 2, 5, 4096] {
                let (ours, theirs) = both(text, step);
                assert_eq!(ours, theirs, "{text} (step {step})");
            }
        }
    }

    #[test]
    fn long_documents_keep_positions_after_the_buffer_moves() {
        // Many lines and entries, so the consumed part is dropped many times.
        let mut text = String::from("{\"skip\": [1, 2],\n \"items\": {\n");
        for i in 0..2000 {
            text.push_str(&format!(
                "  \"k{i}\": {{\"s\": \"line\\n{i}\", \"n\": {i}, \"l\": [\n    true, null]}},\n"
            ));
        }
        let good = format!("{}  \"last\": 12345\n}}}}\n", text);
        for step in [3, 64, 1000] {
            let got = collect(&good, step).unwrap();
            assert_eq!(got.len(), 2001);
            assert_eq!(
                got[1999].1,
                r#"{"s":"line\n1999","n":1999,"l":[true,null]}"#
            );
            // A number split across refills is read whole.
            assert_eq!(got[2000], ("last".to_string(), "12345".to_string()));
        }
        for bad in [
            format!("{}  \"last\": 12x45\n}}}}\n", text),
            format!("{}  \"last\": [1,\n 2,,]\n}}}}\n", text),
            format!("{}  \"last\": 1\n}}", text),
            format!("{}  \"last\": \"a", text),
        ] {
            for step in [3, 64, 1000] {
                let (ours, theirs) = both(&bad, step);
                assert_eq!(ours, theirs, "step {step}");
            }
        }
    }
}
