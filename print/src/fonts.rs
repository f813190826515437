//! Font discovery and glyph coverage.
//!
//! Cards are printed in Noto Sans CJK SC (regular + bold; SIL OFL 1.1), the face
//! every Debian/Ubuntu desktop gets with `fonts-noto-cjk`. Names can contain rare
//! characters (生僻字, e.g. 𠮷 U+20BB7 in CJK Extension B) that Noto lacks; for those the
//! HanaMin A/B fonts (`fonts-hanazono`, which cover all of CJK Ext. A–F) are used
//! as per-character fallback.
//!
//! printpdf drops glyphs a font lacks without a word, so coverage is decided here,
//! from each face's own `cmap`, before anything is laid out: [`Fonts`] keeps one
//! bitset of covered code points per face (136 KB each) and no font bytes. The bytes
//! are read again only when a PDF is rendered, and only for the faces that print.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::PrintError;

/// Family name of the primary face inside the Noto CJK collections.
pub const PRIMARY_FAMILY: &str = "Noto Sans CJK SC";

const REGULAR_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJKsc-Regular.otf",
];
const BOLD_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJKsc-Bold.otf",
];
const FALLBACK_CANDIDATES: &[&[&str]] = &[
    &[
        "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
        "/usr/share/fonts/hanazono/HanaMinA.ttf",
    ],
    &[
        "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
        "/usr/share/fonts/hanazono/HanaMinB.ttf",
    ],
];

/// Which Unicode scalar values a face maps to a glyph.
#[derive(Clone)]
pub(crate) struct Coverage(Vec<u64>);

impl Coverage {
    fn new() -> Self {
        Coverage(vec![0; 0x11_0000 / 64])
    }
    fn insert(&mut self, cp: u32) {
        if let Some(w) = self.0.get_mut((cp / 64) as usize) {
            *w |= 1 << (cp % 64);
        }
    }
    pub(crate) fn contains(&self, c: char) -> bool {
        let cp = c as u32;
        self.0
            .get((cp / 64) as usize)
            .is_some_and(|w| w & (1 << (cp % 64)) != 0)
    }
    fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

impl std::fmt::Debug for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Coverage({} code points)", self.count())
    }
}

/// One font face: a file, the face index inside it (collections) and its coverage.
#[derive(Clone, Debug)]
pub struct FontFace {
    path: PathBuf,
    index: u32,
    family: String,
    coverage: Arc<Coverage>,
}

impl FontFace {
    /// Load face `index` of `path` (0 for a plain `.ttf`/`.otf`).
    pub fn load(path: &Path, index: u32) -> Result<FontFace, PrintError> {
        let bytes = read_font(path)?;
        Self::from_bytes(path, index, &bytes)
    }

    /// Load the face of a collection whose family name is `family`.
    pub fn load_family(path: &Path, family: &str) -> Result<FontFace, PrintError> {
        let bytes = read_font(path)?;
        let faces = ttf_parser::fonts_in_collection(&bytes).unwrap_or(1);
        for index in 0..faces {
            if let Ok(face) = ttf_parser::Face::parse(&bytes, index) {
                if family_name(&face).as_deref() == Some(family) {
                    return Self::from_bytes(path, index, &bytes);
                }
            }
        }
        Err(PrintError::FontNotFound(format!(
            "{}: no face named {family}",
            path.display()
        )))
    }

    fn from_bytes(path: &Path, index: u32, bytes: &[u8]) -> Result<FontFace, PrintError> {
        let face = ttf_parser::Face::parse(bytes, index).map_err(|e| PrintError::Font {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut coverage = Coverage::new();
        if let Some(cmap) = face.tables().cmap {
            for sub in cmap.subtables {
                if sub.is_unicode() {
                    sub.codepoints(|cp| {
                        if sub.glyph_index(cp).is_some_and(|g| g.0 != 0) {
                            coverage.insert(cp);
                        }
                    });
                }
            }
        }
        Ok(FontFace {
            path: path.to_path_buf(),
            index,
            family: family_name(&face).unwrap_or_default(),
            coverage: Arc::new(coverage),
        })
    }

    /// The font file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Face index inside the file.
    pub fn index(&self) -> u32 {
        self.index
    }
    /// Family name from the face's `name` table.
    pub fn family(&self) -> &str {
        &self.family
    }
    /// Whether the face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.coverage.contains(c)
    }
}

/// Read a whole font file (20–30 MB for the CJK faces).
///
/// The buffer is allocated with at least 32 MiB of capacity: glibc serves
/// allocations that large with their own `mmap` and gives them back to the system
/// on free, whereas a 20 MB buffer below its (self-raising) mmap threshold lands in
/// a heap arena and stays resident for the rest of the process — measured as
/// +47 MB peak RSS for every render. Untouched capacity costs address space only.
pub(crate) fn read_font(path: &Path) -> Result<Vec<u8>, PrintError> {
    use std::io::Read;
    let fail = |e: std::io::Error| PrintError::Font {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len() as usize;
    let mut buf = Vec::with_capacity(len.max(32 << 20) + 1);
    file.read_to_end(&mut buf).map_err(fail)?;
    Ok(buf)
}

fn family_name(face: &ttf_parser::Face<'_>) -> Option<String> {
    use ttf_parser::name_id;
    let names = face.names();
    let pick = |id: u16| {
        names
            .into_iter()
            .filter(|n| n.name_id == id && n.is_unicode())
            .find_map(|n| n.to_string())
    };
    pick(name_id::TYPOGRAPHIC_FAMILY).or_else(|| pick(name_id::FAMILY))
}

/// The faces cards are printed with: a primary face (regular, optional bold) and
/// fallback faces tried in order for characters the primary lacks.
#[derive(Clone, Debug)]
pub struct Fonts {
    pub(crate) regular: FontFace,
    pub(crate) bold: Option<FontFace>,
    pub(crate) fallbacks: Vec<FontFace>,
}

impl Fonts {
    /// Find the installed fonts: Noto Sans CJK SC regular + bold (face chosen by
    /// family name inside the `.ttc`), then HanaMin A and B as fallbacks. Standard
    /// Linux paths are tried first, then `fc-match`. Missing fallbacks are not an
    /// error (rare characters are then reported by [`crate::check_coverage`]); a
    /// missing primary face is.
    pub fn system() -> Result<Fonts, PrintError> {
        let regular = find_primary(REGULAR_CANDIDATES, "Regular")?;
        let bold = find_primary(BOLD_CANDIDATES, "Bold").ok();
        let mut fallbacks = Vec::new();
        for (candidates, family) in FALLBACK_CANDIDATES.iter().zip(["HanaMinA", "HanaMinB"]) {
            let found = candidates
                .iter()
                .map(Path::new)
                .find(|p| p.exists())
                .map(Path::to_path_buf)
                .or_else(|| fc_match(family).map(|(p, _)| p));
            if let Some(path) = found {
                if let Ok(face) = FontFace::load(&path, 0) {
                    fallbacks.push(face);
                }
            }
        }
        Ok(Fonts {
            regular,
            bold,
            fallbacks,
        })
    }

    /// Fonts from explicit faces (for other platforms, or to override the choice).
    pub fn from_faces(
        regular: FontFace,
        bold: Option<FontFace>,
        fallbacks: Vec<FontFace>,
    ) -> Fonts {
        Fonts {
            regular,
            bold,
            fallbacks,
        }
    }

    /// Primary regular face.
    pub fn regular(&self) -> &FontFace {
        &self.regular
    }
    /// Primary bold face, if any (bold text is otherwise drawn with a faux-bold stroke).
    pub fn bold(&self) -> Option<&FontFace> {
        self.bold.as_ref()
    }
    /// Fallback faces, in the order they are tried.
    pub fn fallbacks(&self) -> &[FontFace] {
        &self.fallbacks
    }

    /// Whether some face can print `c`.
    pub fn covers(&self, c: char) -> bool {
        self.regular.covers(c) || self.fallbacks.iter().any(|f| f.covers(c))
    }

    /// All faces in slot order: 0 regular, 1 bold (if present), then fallbacks.
    pub(crate) fn slots(&self) -> Vec<&FontFace> {
        let mut v = vec![&self.regular];
        if let Some(b) = &self.bold {
            v.push(b);
        }
        v.extend(self.fallbacks.iter());
        v
    }
}

fn find_primary(candidates: &[&str], style: &str) -> Result<FontFace, PrintError> {
    let path = candidates
        .iter()
        .map(Path::new)
        .find(|p| p.exists())
        .map(Path::to_path_buf)
        .or_else(|| fc_match(&format!("{PRIMARY_FAMILY}:style={style}")).map(|(p, _)| p))
        .ok_or_else(|| {
            PrintError::FontNotFound(format!("{PRIMARY_FAMILY} {style} (install fonts-noto-cjk)"))
        })?;
    FontFace::load_family(&path, PRIMARY_FAMILY)
}

/// Ask fontconfig for a font file; `None` when fc-match is absent or finds nothing
/// of that family. Started with the allowlisted environment, like every child.
fn fc_match(pattern: &str) -> Option<(PathBuf, u32)> {
    fc_match_with_env(pattern, std::env::vars_os())
}

fn fc_match_with_env(
    pattern: &str,
    env: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Option<(PathBuf, u32)> {
    let out = crate::system::command_with_env("fc-match", env)
        .args(["--format=%{file}\n%{index}\n%{family}", pattern])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let file = lines.next()?;
    let index = lines.next()?.parse().ok()?;
    let family = lines.next().unwrap_or_default();
    let wanted = pattern.split(':').next().unwrap_or(pattern);
    family
        .split(',')
        .any(|f| f.eq_ignore_ascii_case(wanted))
        .then(|| (PathBuf::from(file), index))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    /// `fc-match` is a real child: a stand-in first on `PATH` writes down the environment it
    /// got, which holds none of the station's secrets.
    #[cfg(unix)]
    #[test]
    fn fc_match_does_not_inherit_the_secrets() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("nac-fc-match-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seen = dir.join("fc-match.env");
        let script = dir.join("fc-match");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nenv > '{}'\nprintf '/x/HanaMinA.ttf\\n0\\nHanaMinA\\n'\n",
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:/usr/bin:/bin", dir.display());
        let env = [
            ("PATH", path.as_str()),
            ("FONTCONFIG_PATH", "/etc/fonts"),
            ("NAC_PASSPHRASE", "correct horse battery staple"),
            ("NAC_PIN", "246810"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let found = super::fc_match_with_env("HanaMinA", env);
        assert_eq!(found, Some(("/x/HanaMinA.ttf".into(), 0)));
        let seen = std::fs::read_to_string(&seen).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(seen.contains("FONTCONFIG_PATH=/etc/fonts"), "{seen}");
        assert!(!seen.contains("NAC_") && !seen.contains("horse") && !seen.contains("246810"));
    }
}
