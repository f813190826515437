//! A streaming PDF writer: objects go to the output as soon as they exist.
//!
//! printpdf (through lopdf) builds the whole document in memory and writes it at
//! the end. Here every page is written the moment it is drawn; what stays in memory
//! per page is one byte offset per object (8 bytes) for the cross-reference table.
//! Object numbers are assigned up front (fixed objects first, then two per page), so
//! pages can be written in any order and the page tree, fonts, xref and trailer
//! follow at the end.

use std::io::Write;

use lopdf::{Object, ObjectId, StringFormat};

/// Counts bytes and remembers where each object starts.
pub(crate) struct PdfWriter<W: Write> {
    out: W,
    pos: u64,
    /// Offset of object `n` at index `n - 1`; 0 = not written yet.
    offsets: Vec<u64>,
}

impl<W: Write> PdfWriter<W> {
    /// A writer for a file of `objects` objects (numbered 1..=objects). Nothing
    /// is written until [`PdfWriter::header`].
    pub(crate) fn new(out: W, objects: u32) -> Self {
        PdfWriter {
            out,
            pos: 0,
            offsets: vec![0; objects as usize],
        }
    }

    /// Bytes written so far.
    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// `%PDF-1.7` and a binary comment line.
    pub(crate) fn header(&mut self) -> std::io::Result<()> {
        self.put(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
    }

    fn begin(&mut self, id: u32) -> std::io::Result<()> {
        let slot = self
            .offsets
            .get_mut(id as usize - 1)
            .ok_or_else(|| std::io::Error::other(format!("object {id} was not reserved")))?;
        *slot = self.pos;
        self.put(format!("{id} 0 obj\n").as_bytes())
    }

    /// Write object `id` whose body is `body` (a dictionary, array, ...).
    pub(crate) fn object(&mut self, id: u32, body: &[u8]) -> std::io::Result<()> {
        self.begin(id)?;
        self.put(body)?;
        self.put(b"\nendobj\n")
    }

    /// Write stream object `id`: `dict` holds the entries other than `/Length`
    /// (e.g. `/Filter /FlateDecode`), `data` the (already encoded) stream bytes.
    pub(crate) fn stream(&mut self, id: u32, dict: &str, data: &[u8]) -> std::io::Result<()> {
        self.begin(id)?;
        self.put(format!("<</Length {}{dict}>>\nstream\n", data.len()).as_bytes())?;
        self.put(data)?;
        self.put(b"\nendstream\nendobj\n")
    }

    /// Write a lopdf object as object `id`, renumbering its references with `map`.
    pub(crate) fn lopdf_object(
        &mut self,
        id: u32,
        object: &Object,
        map: &dyn Fn(ObjectId) -> Option<u32>,
    ) -> std::io::Result<()> {
        let mut body = Vec::new();
        serialize(&mut body, object, map)?;
        self.object(id, &body)
    }

    /// Cross-reference table and trailer; `trailer` holds the entries other than
    /// `/Size`. Fails if a reserved object was never written.
    pub(crate) fn finish(mut self, trailer: &str) -> std::io::Result<u64> {
        if let Some(missing) = self.offsets.iter().position(|&o| o == 0) {
            return Err(std::io::Error::other(format!(
                "object {} was never written",
                missing + 1
            )));
        }
        let xref = self.pos;
        let size = self.offsets.len() + 1;
        let mut table = String::with_capacity(32 + 20 * size);
        table.push_str(&format!("xref\n0 {size}\n0000000000 65535 f \n"));
        for &offset in &self.offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        self.put(table.as_bytes())?;
        self.put(
            format!("trailer\n<</Size {size}{trailer}>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        )?;
        self.out.flush()?;
        Ok(self.pos)
    }
}

/// Serialise a lopdf object (as lopdf's own writer does, which is not public).
fn serialize(
    out: &mut Vec<u8>,
    object: &Object,
    map: &dyn Fn(ObjectId) -> Option<u32>,
) -> std::io::Result<()> {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => out.extend_from_slice(format!("{r}").as_bytes()),
        Object::Name(name) => name_bytes(out, name),
        Object::String(bytes, format) => match format {
            StringFormat::Hexadecimal => {
                out.push(b'<');
                for b in bytes {
                    out.extend_from_slice(format!("{b:02X}").as_bytes());
                }
                out.push(b'>');
            }
            StringFormat::Literal => {
                out.push(b'(');
                for &b in bytes {
                    if matches!(b, b'(' | b')' | b'\\') {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
                out.push(b')');
            }
        },
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                serialize(out, item, map)?;
            }
            out.push(b']');
        }
        Object::Dictionary(dict) => dictionary(out, dict, None, map)?,
        Object::Stream(stream) => {
            dictionary(out, &stream.dict, Some(stream.content.len()), map)?;
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&stream.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference(id) => {
            let n = map(*id).ok_or_else(|| {
                std::io::Error::other(format!("dangling reference {} {}", id.0, id.1))
            })?;
            out.extend_from_slice(format!("{n} 0 R").as_bytes());
        }
    }
    Ok(())
}

fn dictionary(
    out: &mut Vec<u8>,
    dict: &lopdf::Dictionary,
    length: Option<usize>,
    map: &dyn Fn(ObjectId) -> Option<u32>,
) -> std::io::Result<()> {
    out.extend_from_slice(b"<<");
    for (key, value) in dict.iter() {
        if length.is_some() && key.as_slice() == b"Length" {
            continue;
        }
        name_bytes(out, key);
        out.push(b' ');
        serialize(out, value, map)?;
    }
    if let Some(len) = length {
        out.extend_from_slice(format!("/Length {len}").as_bytes());
    }
    out.extend_from_slice(b">>");
    Ok(())
}

/// `/Name` with delimiters, `#` and bytes outside `!`..`~` escaped as `#xx`.
fn name_bytes(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &b in name {
        if b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// A PDF text string (UTF-16BE with BOM, hex).
pub(crate) fn text_string(text: &str) -> String {
    let mut s = String::from("<FEFF");
    for unit in text.encode_utf16() {
        s.push_str(&format!("{unit:04X}"));
    }
    s.push('>');
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn writes_objects_xref_and_trailer() {
        let mut buf = Vec::new();
        let mut w = PdfWriter::new(&mut buf, 2);
        w.header().unwrap();
        w.stream(2, "", b"0 g").unwrap();
        let map = |id: ObjectId| (id.0 == 7).then_some(2);
        let obj = Object::Dictionary(lopdf::Dictionary::from_iter(vec![
            ("Type", Object::Name(b"X Y".to_vec())),
            ("Ref", Object::Reference((7, 0))),
            ("S", Object::String(b"a(b)".to_vec(), StringFormat::Literal)),
        ]));
        w.lopdf_object(1, &obj, &map).unwrap();
        let end = w.finish("/Root 1 0 R").unwrap();
        assert_eq!(end as usize, buf.len());
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.contains("1 0 obj\n<</Type /X#20Y/Ref 2 0 R/S (a\\(b\\))>>"),
            "{text}"
        );
        let second = buf.windows(7).position(|w| w == b"2 0 obj").unwrap();
        assert!(text.contains(&format!("{second:010} 00000 n \n")), "{text}");
        assert!(text.ends_with("%%EOF\n"));
    }

    #[test]
    fn unwritten_objects_are_an_error() {
        let mut buf = Vec::new();
        let mut w = PdfWriter::new(&mut buf, 2);
        w.header().unwrap();
        w.object(1, b"null").unwrap();
        assert!(w.finish("").is_err());
    }

    #[test]
    fn text_strings_are_utf16() {
        assert_eq!(text_string("A码"), "<FEFF00417801>");
    }
}
