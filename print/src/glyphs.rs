//! Per-job font subsets and glyph runs.
//!
//! Before a job is laid out we know every string it will print, so each face that is
//! needed is reduced up front to the glyphs the job uses (allsorts, the subsetter
//! printpdf itself uses). printpdf then parses a ~100 KB font instead of a 20–30 MB
//! collection face: parsing the full Noto CJK face costs ~40 MB of peak memory and
//! keeps 20 MB per face alive for the whole job; the pre-subset costs ~1 ms and keeps
//! almost nothing. printpdf then turns the subsets into PDF font objects
//! ([`JobFonts::embed`]): it subsets again, so the PDF carries `ABCDEF+`-tagged
//! subset fonts with widths and a ToUnicode map as usual.
//!
//! Text is not drawn through printpdf: pages are streamed by [`crate::pdfwrite`], and
//! [`crate::textblock`] writes the text operators itself, showing the Identity-H code
//! of each glyph from our own char → glyph table (the codes are the ones printpdf used
//! for the font objects, read back in `embed`). Each string is split into runs by the
//! face that covers each character: primary first, then the fallbacks in order. Bold
//! text whose characters only a regular face has is drawn with a thin outline stroke
//! ("faux bold") so it still reads as bold.

use std::collections::{BTreeSet, HashMap};

use lopdf::{Object, ObjectId};
use printpdf::{
    FontId, Mm, Op, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Pt,
    TextItem,
};

use crate::error::PrintError;
use crate::fonts::{FontFace, Fonts};

/// A glyph in a job's subset font.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    gid: u16,
    /// Advance width in em.
    adv: f32,
    /// The code the content stream shows for this glyph (Identity-H, two bytes);
    /// set by [`JobFonts::embed`] from what printpdf wrote for it.
    code: u16,
}

/// One face prepared for the job.
struct Loaded {
    map: HashMap<char, Glyph>,
    family: String,
}

/// The subset fonts of a job, to be added to the document (kept apart from
/// [`JobFonts`], which worker threads share).
pub(crate) struct Subsets(Vec<Option<(String, ParsedFont)>>);

/// The job's fonts as PDF objects (lopdf numbering, renumbered when written).
#[derive(Default)]
pub(crate) struct EmbeddedFonts {
    /// Resource name → font dictionary.
    pub resources: Vec<(String, ObjectId)>,
    /// Every object the font dictionaries need (themselves included).
    pub objects: Vec<(ObjectId, Object)>,
}

/// The hex strings of a content stream, in order (`<00a1>` → `[0x00, 0xa1]`).
fn hex_strings(content: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < content.len() {
        if content[i] == b'<' && content.get(i + 1) != Some(&b'<') {
            let end = content[i..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(content.len(), |p| i + p);
            let digits: Vec<u8> = content[i + 1..end]
                .iter()
                .filter_map(|&b| char::from(b).to_digit(16))
                .map(|d| d as u8)
                .collect();
            out.push(
                digits
                    .chunks(2)
                    .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0))
                    .collect(),
            );
            i = end + 1;
        } else if content[i] == b'<' {
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Push every object `object` refers to.
fn references(object: &Object, out: &mut Vec<ObjectId>) {
    match object {
        Object::Reference(id) => out.push(*id),
        Object::Array(items) => items.iter().for_each(|o| references(o, out)),
        Object::Dictionary(d) => d.iter().for_each(|(_, o)| references(o, out)),
        Object::Stream(s) => s.dict.iter().for_each(|(_, o)| references(o, out)),
        _ => {}
    }
}

/// A run of glyphs from one face.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub slot: usize,
    pub faux_bold: bool,
    /// Identity-H codes of the glyphs.
    pub codes: Vec<u16>,
    /// x offset of the run from the line start, in em.
    pub x_em: f32,
}

/// The fonts of one job: which slot prints which character, and the subsets.
pub(crate) struct JobFonts<'f> {
    fonts: &'f Fonts,
    bold_slot: Option<usize>,
    faces: Vec<Option<Loaded>>,
    ids: Vec<Option<FontId>>,
}

impl<'f> JobFonts<'f> {
    /// Prepare subsets for `texts` (string, bold?).
    pub fn prepare<'t>(
        fonts: &'f Fonts,
        texts: impl Iterator<Item = (&'t str, bool)>,
    ) -> Result<(JobFonts<'f>, Subsets), PrintError> {
        let slots = fonts.slots();
        let bold_slot = fonts.bold.as_ref().map(|_| 1);
        let mut needed: Vec<BTreeSet<char>> = vec![BTreeSet::new(); slots.len()];
        let mut this = JobFonts {
            fonts,
            bold_slot,
            faces: Vec::new(),
            ids: vec![None; slots.len()],
        };
        // The ellipsis is used when optional text is shortened.
        let extra = [("…", false), ("…", true)];
        for (text, bold) in texts.chain(extra) {
            for c in text.chars() {
                if let Some((slot, _)) = this.pick(c, bold) {
                    needed[slot].insert(c);
                }
            }
        }
        let faces = std::thread::scope(|s| {
            let handles: Vec<_> = slots
                .iter()
                .zip(&needed)
                .map(|(face, chars)| {
                    s.spawn(move || {
                        if chars.is_empty() {
                            Ok(None)
                        } else {
                            load_subset(face, chars).map(Some)
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(PrintError::Pdf("font worker panicked".into())))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut subsets = Vec::with_capacity(faces.len());
        for face in faces {
            match face {
                Some((loaded, parsed)) => {
                    this.faces.push(Some(loaded));
                    subsets.push(Some(parsed));
                }
                None => {
                    this.faces.push(None);
                    subsets.push(None);
                }
            }
        }
        Ok((this, Subsets(subsets)))
    }

    /// Which slot prints `c`, and whether it needs faux bold.
    fn pick(&self, c: char, bold: bool) -> Option<(usize, bool)> {
        let f = self.fonts;
        if bold {
            if let (Some(slot), Some(face)) = (self.bold_slot, &f.bold) {
                if face.covers(c) {
                    return Some((slot, false));
                }
            }
        }
        if f.regular.covers(c) {
            return Some((0, bold));
        }
        let first_fallback = if f.bold.is_some() { 2 } else { 1 };
        f.fallbacks
            .iter()
            .position(|face| face.covers(c))
            .map(|i| (first_fallback + i, bold))
    }

    /// Turn the subsets into PDF font objects (only faces that print something).
    ///
    /// printpdf builds them: a throw-away document with one page per face that shows
    /// every glyph of the job once goes through `to_lopdf_document`, which subsets
    /// again (all of our glyphs are used, so nothing is lost), tags the font
    /// `ABCDEF+`, and writes the widths and the ToUnicode map. The code printpdf
    /// used for each character is read back from that page, so the page content
    /// written later shows exactly the codes the font objects describe.
    pub fn embed(&mut self, subsets: Subsets) -> Result<EmbeddedFonts, PrintError> {
        let mut doc = PdfDocument::new("fonts");
        for (slot, subset) in subsets.0.into_iter().enumerate() {
            if let Some((mut tag, parsed)) = subset {
                while self.ids.iter().flatten().any(|id| id.0 == tag) {
                    // Astronomically unlikely; keep the ids distinct anyway.
                    tag = tag
                        .chars()
                        .rev()
                        .map(|c| {
                            if c == 'Z' {
                                'A'
                            } else {
                                char::from(c as u8 + 1)
                            }
                        })
                        .collect();
                }
                // Short resource names (they recur in every page's content stream;
                // printpdf's own are 32 random letters). printpdf takes the first six
                // characters of the id as the `ABCDEF+` subset tag, so the id is
                // exactly that tag: six capitals derived from the subset's bytes.
                let id = FontId(tag);
                doc.resources
                    .fonts
                    .map
                    .insert(id.clone(), PdfFont::new(parsed));
                self.ids[slot] = Some(id);
            }
        }
        let mut pages = Vec::new();
        let mut shown: Vec<(usize, Vec<char>)> = Vec::new();
        for (slot, id) in self.ids.iter().enumerate() {
            let (Some(id), Some(Some(face))) = (id, self.faces.get(slot)) else {
                continue;
            };
            let mut chars: Vec<char> = face.map.keys().copied().collect();
            chars.sort_unstable();
            let mut ops = Vec::with_capacity(chars.len() + 3);
            ops.push(Op::StartTextSection);
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(id.clone()),
                size: Pt(10.0),
            });
            for c in &chars {
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(c.to_string())],
                });
            }
            ops.push(Op::EndTextSection);
            pages.push(PdfPage::new(Mm(100.0), Mm(100.0), ops));
            shown.push((slot, chars));
        }
        if pages.is_empty() {
            return Ok(EmbeddedFonts::default());
        }
        doc.with_pages(pages);
        let opts = PdfSaveOptions {
            optimize: true,
            subset_fonts: true,
            secure: true,
            image_optimization: None,
        };
        let mut warnings = Vec::new();
        let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
        drop(doc);
        let fail = |what: String| PrintError::Pdf(format!("embedding fonts: {what}"));
        let lo_err = |e: lopdf::Error| fail(e.to_string());
        let page_ids: Vec<ObjectId> = lo.get_pages().into_values().collect();
        if page_ids.len() != shown.len() {
            return Err(fail(format!(
                "{} pages for {} faces",
                page_ids.len(),
                shown.len()
            )));
        }
        for ((slot, chars), &page_id) in shown.iter().zip(&page_ids) {
            let contents = lo
                .get_dictionary(page_id)
                .and_then(|p| p.get(b"Contents"))
                .and_then(Object::as_reference)
                .map_err(lo_err)?;
            let content = lo
                .get_object(contents)
                .and_then(Object::as_stream)
                .and_then(lopdf::Stream::get_plain_content)
                .map_err(lo_err)?;
            let codes = hex_strings(&content);
            if codes.len() != chars.len() {
                return Err(fail(format!(
                    "{} codes for {} characters",
                    codes.len(),
                    chars.len()
                )));
            }
            let Some(Some(face)) = self.faces.get_mut(*slot) else {
                continue;
            };
            for (c, code) in chars.iter().zip(codes) {
                let code = match code[..] {
                    [hi, lo] if (hi, lo) != (0, 0) => u16::from_be_bytes([hi, lo]),
                    _ => return Err(fail(format!("no glyph for U+{:04X}", u32::from(*c)))),
                };
                if let Some(g) = face.map.get_mut(c) {
                    g.code = code;
                }
            }
        }
        // The font resource dictionary (the same for every page).
        let resolve = |o: &Object| -> Result<lopdf::Dictionary, PrintError> {
            match o {
                Object::Reference(id) => lo.get_dictionary(*id).cloned().map_err(lo_err),
                Object::Dictionary(d) => Ok(d.clone()),
                _ => Err(fail("unexpected resource entry".into())),
            }
        };
        let resources = resolve(
            lo.get_dictionary(page_ids[0])
                .and_then(|p| p.get(b"Resources"))
                .map_err(lo_err)?,
        )?;
        let font_dict = resolve(resources.get(b"Font").map_err(lo_err)?)?;
        let mut embedded = EmbeddedFonts::default();
        let mut todo = Vec::new();
        for (name, value) in font_dict.iter() {
            let id = value.as_reference().map_err(lo_err)?;
            embedded
                .resources
                .push((String::from_utf8_lossy(name).into_owned(), id));
            todo.push(id);
        }
        lo.compress();
        let mut seen = BTreeSet::new();
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            let object = lo
                .objects
                .remove(&id)
                .ok_or_else(|| fail(format!("missing object {} {}", id.0, id.1)))?;
            references(&object, &mut todo);
            embedded.objects.push((id, object));
        }
        embedded.objects.sort_by_key(|o| o.0);
        Ok(embedded)
    }

    /// Resource name of a slot's font (after [`JobFonts::embed`]).
    pub fn font_name(&self, slot: usize) -> Option<&str> {
        self.ids
            .get(slot)
            .and_then(Option::as_ref)
            .map(|id| id.0.as_str())
    }

    /// Families of the faces in use.
    pub fn families(&self) -> Vec<String> {
        self.faces
            .iter()
            .flatten()
            .map(|f| f.family.clone())
            .collect()
    }

    fn glyph(&self, c: char, bold: bool) -> Option<(usize, bool, Glyph)> {
        let (slot, faux) = self.pick(c, bold)?;
        let g = self.faces.get(slot)?.as_ref()?.map.get(&c)?;
        Some((slot, faux, *g))
    }

    /// Advance width of `text` in em. Characters without a glyph count as zero
    /// (coverage was checked before, so there are none).
    pub fn width_em(&self, text: &str, bold: bool) -> f32 {
        text.chars()
            .filter_map(|c| self.glyph(c, bold))
            .map(|(_, _, g)| g.adv)
            .sum()
    }

    /// Split `text` into runs by face.
    pub fn runs(&self, text: &str, bold: bool) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        let mut x = 0.0;
        for c in text.chars() {
            let Some((slot, faux, g)) = self.glyph(c, bold) else {
                continue;
            };
            match runs.last_mut() {
                Some(r) if r.slot == slot && r.faux_bold == faux => {
                    r.codes.push(g.code);
                }
                _ => runs.push(Run {
                    slot,
                    faux_bold: faux,
                    codes: vec![g.code],
                    x_em: x,
                }),
            }
            x += g.adv;
        }
        runs
    }
}

/// Read `face`, subset it to `chars` and parse the subset for printpdf.
fn load_subset(
    face: &FontFace,
    chars: &BTreeSet<char>,
) -> Result<(Loaded, (String, ParsedFont)), PrintError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};

    let fail = |reason: String| PrintError::Font {
        path: face.path().to_path_buf(),
        reason,
    };
    let bytes = crate::fonts::read_font(face.path())?;
    let parsed = ttf_parser::Face::parse(&bytes, face.index()).map_err(|e| fail(e.to_string()))?;
    let upem = f32::from(parsed.units_per_em());

    // Glyph 0 first, then each used glyph once in ascending order (as printpdf
    // itself calls allsorts); a glyph's position in `ids` is its subset gid.
    let mut found: Vec<(char, u16, f32)> = Vec::with_capacity(chars.len());
    for &c in chars {
        if let Some(gid) = parsed.glyph_index(c).filter(|g| g.0 != 0) {
            let adv = parsed
                .glyph_hor_advance(gid)
                .map_or(0.0, |a| f32::from(a) / upem);
            found.push((c, gid.0, adv));
        }
    }
    let used: BTreeSet<u16> = found.iter().map(|f| f.1).collect();
    let ids: Vec<u16> = std::iter::once(0).chain(used).collect();
    let position: HashMap<u16, u16> = ids
        .iter()
        .enumerate()
        .map(|(i, &g)| (g, i as u16))
        .collect();
    let map: HashMap<char, Glyph> = found
        .into_iter()
        .filter_map(|(c, gid, adv)| {
            position.get(&gid).map(|&new| {
                (
                    c,
                    Glyph {
                        gid: new,
                        adv,
                        code: new,
                    },
                )
            })
        })
        .collect();

    let scope = ReadScope::new(&bytes);
    let data = scope
        .read::<FontData<'_>>()
        .map_err(|e| fail(e.to_string()))?;
    let provider = data
        .table_provider(face.index() as usize)
        .map_err(|e| fail(e.to_string()))?;
    let sub = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| fail(format!("subset: {e}")))?;
    let mut warnings = Vec::new();
    let parsed_sub = ParsedFont::from_bytes(&sub, 0, &mut warnings)
        .ok_or_else(|| fail("cannot parse the subset font".into()))?;
    // printpdf builds the copy/paste (ToUnicode) map from this glyph → text cache
    // when content carries bare glyph ids; fill it once here instead of attaching
    // a String to every glyph drawn.
    let mut inner = parsed_sub.into_inner();
    for (c, g) in &map {
        inner.cache_glyph_mapping(g.gid, c.encode_utf8(&mut [0; 4]));
    }
    let parsed_sub = ParsedFont::from_azul(inner);
    Ok((
        Loaded {
            map,
            family: format!(
                "{} ({})",
                face.family(),
                face.path()
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
            ),
        },
        (subset_tag(&sub), parsed_sub),
    ))
}

/// Six capital letters from a hash of the subset font (ISO 32000-1 §9.6.4 asks for
/// a tag that differs between different subsets of a font).
fn subset_tag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 8)) % 26) as u8))
        .collect()
}
