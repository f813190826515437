#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Instant;
fn rss() -> String { let s = std::fs::read_to_string("/proc/self/status").unwrap(); s.lines().filter(|l| l.starts_with("VmRSS")||l.starts_with("VmHWM")).collect::<Vec<_>>().join(" ") }
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let t = Instant::now();
    let bytes = std::fs::read("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").unwrap();
    println!("read {:?} {}", t.elapsed(), rss());
    if which == "parsed" {
        let t = Instant::now();
        let mut w = vec![];
        let f = printpdf::ParsedFont::from_bytes(&bytes, 2, &mut w).unwrap();
        println!("parsed {:?} {}", t.elapsed(), rss());
        drop(bytes);
        println!("gid 李 {:?} {}", f.lookup_glyph_index('李' as u32), rss());
    } else {
        let t = Instant::now();
        let face = ttf_parser::Face::parse(&bytes, 2).unwrap();
        let text = "李小明阿依古丽·买买提有效期至0123456789-: 徐汇区天钥桥路弄号室天平街道社区服务站ValiduntlABCDEFGHIJKLMNOPQRSTUVWXYZ*";
        let mut gids: Vec<u16> = text.chars().filter_map(|c| face.glyph_index(c)).map(|g| g.0).collect();
        gids.sort(); gids.dedup(); gids.retain(|g| *g != 0); gids.insert(0, 0);
        println!("ttf {:?} {}", t.elapsed(), rss());
        use allsorts::{binary::read::ReadScope, font_data::FontData};
        let ff = ReadScope::new(&bytes).read::<FontData<'_>>().unwrap();
        let p = ff.table_provider(2).unwrap();
        let sub = allsorts::subset::subset(&p, &gids, &allsorts::subset::SubsetProfile::Pdf, allsorts::subset::CmapTarget::Unicode).unwrap();
        println!("subset {} bytes {:?} {}", sub.len(), t.elapsed(), rss());
        let mut w = vec![];
        let f = printpdf::ParsedFont::from_bytes(&sub, 0, &mut w).unwrap();
        println!("parsed sub {:?} {:?} {}", t.elapsed(), f.lookup_glyph_index('李' as u32), rss());
    }
}
