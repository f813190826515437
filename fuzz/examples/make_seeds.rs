//! Writes the hand-made seed inputs under `fuzz/seeds/<target>/` (deterministic; commit them).
//! Also copies the office-suite fixtures of `core/tests/fixtures/office/` (and their sheet XML,
//! `content.xml` and BIFF streams for the structure-aware targets).
//! `scripts/fuzz.sh` starts every run from these plus the minimised corpus in `fuzz/corpus/`:
//!
//! ```sh
//! cargo +nightly run --manifest-path fuzz/Cargo.toml --example make_seeds
//! ```
//!
//! Plain `cargo` (stable works too): this is a normal program, not a fuzz target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};

use nac_credential::VALIDITY_SECS;
use nac_credential::{decode_cose, issue, Claims, StationKey};
use nac_domain::document::resident_id_check_char;
use nac_fuzz::credential_check::{self, ISSUED_AT, REJECTED_SERIAL, STATION, SUPERSEDED_SERIAL};
use nac_fuzz::office_wrap::{self, SST_MARKER};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn put(target: &str, name: &str, bytes: &[u8]) {
    std::fs::write(corpus(target).join(name), bytes).unwrap();
}

fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("310104{birth}{:03}", seq % 1000);
    format!("{first17}{}", resident_id_check_char(&first17).unwrap())
}

/// A small roster as rows of text: header + valid rows + a few bad ones (an empty line, a
/// short phone, a bad yes/no, a wrong check digit, full-width letters).
fn roster(english: bool) -> Vec<Vec<String>> {
    let header = if english {
        "district,road,lane,number,room,household_phone,name,document_type,document_number,phone,has_smartphone,notes"
    } else {
        "区,路,弄,号,室,户联系电话,姓名,证件类型,证件号码,手机号,有智能手机,备注"
    };
    let body = format!(
        "徐汇区,天钥桥路,100,5,301,021-64000000,张三,身份证,{a},13800138000,是,
徐汇区,天钥桥路,100,5,301,021-64000000,李四,,{b},,否,独居
黄浦区,南京东路,,12号,1201,,王 五,护照,E12345678,,,
黄浦区,南京东路,,12,,,赵六,回乡证,H12345678,1390000,maybe,bad phone
,,,,,,,,,,,
静安区,ＡＢＣ路,3,7,,,钱七,台胞证,12345678,,Y,
静安区,,3,7,,,,身份证,31010419450312001X,,,",
        a = id("19450312", 1),
        b = id("19500101", 2)
    );
    std::iter::once(header)
        .chain(body.lines())
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}

fn csv(rows: &[Vec<String>], delimiter: u8, crlf: bool) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains([delimiter as char, '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(&(delimiter as char).to_string()));
        out.push_str(if crlf { "\r\n" } else { "\n" });
    }
    out
}

fn csv_seeds() {
    let t = "roster_csv";
    let zh = roster(false);
    let en = roster(true);
    put(t, "utf8_zh.csv", csv(&zh, b',', true).as_bytes());
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(csv(&en, b',', false).as_bytes());
    put(t, "utf8_bom_en.csv", &bom);
    let text = csv(&zh, b',', true);
    let (gb, _, _) = encoding_rs::GB18030.encode(&text);
    put(t, "gb18030.csv", &gb);
    let mut utf16 = vec![0xFF, 0xFE];
    for u in csv(&zh[..3], b'\t', true).encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    put(t, "utf16le_bom_tab.csv", &utf16);
    put(t, "semicolon.csv", csv(&en[..4], b';', false).as_bytes());
    put(t, "tab.csv", csv(&zh[..4], b'\t', false).as_bytes());
    put(
        t,
        "quoted_multiline_cr.csv",
        "\r区,路,号,姓名,证件号码,备注\r\r徐汇区,\"天钥\r桥路\",\"1\"\"号\",张三,E1234567,\"a,b\"\r"
            .as_bytes(),
    );
    put(
        t,
        "duplicate_and_missing.csv",
        "姓名,名字,号\n张三,张三,1\n".as_bytes(),
    );
    put(
        t,
        "same_document_twice.csv",
        format!(
            "区,路,号,室,户联系电话,姓名,证件号码\n徐汇区,天钥桥路,1,1,13800138000,张三,{a}\n徐汇区,天钥桥路,1,1,13900139000,李四,{a}\n",
            a = id("19450312", 7)
        )
        .as_bytes(),
    );
    put(
        t,
        "header_only.csv",
        b"district,road,number,name,document_number\n",
    );
    put(t, "empty.csv", b"");
}

enum Cell<'a> {
    S(&'a str),
    N(f64),
    Date(f64),
    Formula(&'a str),
    Bool(bool),
}

fn workbook(path: &Path, hidden_first: bool, rows: &[Vec<Cell>]) {
    let mut wb = Workbook::new();
    // A fixed creation time, so regenerating the seeds rewrites identical files.
    let created = ExcelDateTime::from_ymd(2026, 1, 1).unwrap();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    if hidden_first {
        let ws = wb.add_worksheet();
        ws.set_name("说明").unwrap();
        ws.write_string(0, 0, "请在第二个工作表填写").unwrap();
        ws.set_hidden(true);
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Cell::S("") => {}
                Cell::S(s) => {
                    ws.write_string(r, c, *s).unwrap();
                }
                Cell::N(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                Cell::Date(n) => {
                    ws.write_number_with_format(r, c, *n, &date).unwrap();
                }
                Cell::Formula(f) => {
                    ws.write_formula(r, c, *f).unwrap();
                }
                Cell::Bool(b) => {
                    ws.write_boolean(r, c, *b).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

/// The named part of a zip file.
fn part(xlsx: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).ok()?;
    let mut f = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    f.read_to_end(&mut out).ok()?;
    Some(out)
}

fn xlsx_seeds() {
    let tmp = std::env::temp_dir().join(format!("nac-fuzz-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut books: Vec<(&str, Vec<u8>)> = Vec::new();

    let zh = roster(false);
    let as_cells = |rows: &[Vec<String>]| -> Vec<Vec<String>> { rows.to_vec() };
    let zh = as_cells(&zh);
    let strings: Vec<Vec<Cell>> = zh
        .iter()
        .map(|r| r.iter().map(|s| Cell::S(s.as_str())).collect())
        .collect();
    let p = tmp.join("strings.xlsx");
    workbook(&p, false, &strings);
    books.push(("strings", std::fs::read(&p).unwrap()));

    // Numbers, dates, formulas, booleans where text belongs: cell problems, not guesses.
    let mixed = vec![
        vec![
            Cell::S("区"),
            Cell::S("路"),
            Cell::S("号"),
            Cell::S("室"),
            Cell::S("姓名"),
            Cell::S("证件号码"),
            Cell::S("手机号"),
            Cell::S("有智能手机"),
            Cell::S("备注"),
        ],
        vec![
            Cell::S("徐汇区"),
            Cell::S("天钥桥路"),
            Cell::N(5.0),
            Cell::N(301.0),
            Cell::S("张三"),
            Cell::N(310104194503120000.0),
            Cell::N(13800138000.0),
            Cell::Bool(true),
            Cell::Formula("=1/0"),
        ],
        vec![
            Cell::S("徐汇区"),
            Cell::S("天钥桥路"),
            Cell::Date(46000.0),
            Cell::S("301"),
            Cell::S("李四"),
            Cell::S("E12345678"),
            Cell::S(""),
            Cell::Bool(false),
            Cell::S(""),
        ],
    ];
    let p = tmp.join("mixed.xlsx");
    workbook(&p, false, &mixed);
    books.push(("mixed", std::fs::read(&p).unwrap()));

    let en = roster(true);
    let en_cells: Vec<Vec<Cell>> = en[..4]
        .iter()
        .map(|r| r.iter().map(|s| Cell::S(s.as_str())).collect())
        .collect();
    let p = tmp.join("hidden_first.xlsx");
    workbook(&p, true, &en_cells);
    books.push(("hidden_first", std::fs::read(&p).unwrap()));

    let p = tmp.join("template.xlsx");
    nac_roster::write_template(&p).unwrap();
    books.push(("template", std::fs::read(&p).unwrap()));

    for (name, bytes) in &books {
        let seed = corpus("roster_xlsx").join(format!("{name}.xlsx"));
        // nac-roster's template writer stamps the current time: keep an existing copy, so that
        // regenerating changes no file whose content is the same.
        if *name != "template" || !seed.exists() {
            std::fs::write(&seed, bytes).unwrap();
        }
        let sheet = part(bytes, "xl/worksheets/sheet1.xml")
            .or_else(|| part(bytes, "xl/worksheets/sheet2.xml"))
            .unwrap();
        let mut sheet2 = part(bytes, "xl/worksheets/sheet2.xml").unwrap_or_else(|| sheet.clone());
        if let Some(sst) = part(bytes, "xl/sharedStrings.xml") {
            sheet2.extend_from_slice(SST_MARKER);
            sheet2.extend_from_slice(&sst);
            put(
                "roster_xlsx_sheet",
                &format!("{name}_with_sst.xml"),
                &sheet2,
            );
        }
    }
    // Hand-written sheets over the default shared strings (see office_wrap.rs).
    let handmade = [
        (
            "default_sst.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:G3"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>3</v></c><c r="D1" t="s"><v>4</v></c><c r="E1" t="s"><v>5</v></c><c r="F1" t="s"><v>6</v></c><c r="G1" t="s"><v>7</v></c></row><row r="2"><c r="A2" t="s"><v>8</v></c><c r="B2" t="s"><v>9</v></c><c r="C2"><v>5</v></c><c r="D2" t="str"><v>301</v></c><c r="E2" t="s"><v>10</v></c><c r="F2" t="s"><v>11</v></c><c r="G2"><v>13800138000</v></c></row><row r="3"><c r="A3" t="s"><v>8</v></c><c r="B3" t="s"><v>9</v></c><c r="C3" t="e"><v>#N/A</v></c><c r="E3" t="b"><v>1</v></c><c r="F3" t="s"><v>13</v></c></row></sheetData></worksheet>"#,
        ),
        (
            "inline_strings.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>区</t></is></c><c t="inlineStr"><is><t>路</t></is></c><c t="inlineStr"><is><t>号</t></is></c><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>证件号码</t></is></c></row><row><c t="inlineStr"><is><r><t>徐汇</t></r><r><t>区</t></r></is></c><c t="inlineStr"><is><t xml:space="preserve"> 天钥桥路 </t></is></c><c><v>1.5E1</v></c><c t="inlineStr"><is><t>张&amp;三</t></is></c><c t="d"><v>2026-01-01T00:00:00</v></c></row></sheetData></worksheet>"#,
        ),
        (
            "no_refs_sparse.xml",
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="B2:F9"/><sheetData><row r="2"><c r="B2" t="s"><v>14</v></c><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>3</v></c><c r="E2" t="s"><v>5</v></c><c r="F2" t="s"><v>15</v></c></row><row r="9"><c r="B9" t="s"><v>8</v></c><c r="C9" t="s"><v>9</v></c><c r="D9"><v>7</v></c><c r="E9" t="s"><v>10</v></c><c r="F9" t="s"><v>12</v></c></row></sheetData></worksheet>"#,
        ),
    ];
    for (name, xml) in handmade {
        put("roster_xlsx_sheet", name, xml.as_bytes());
    }
    put(
        "roster_xlsx",
        "wrapped_default_sst.xlsx",
        &office_wrap::xlsx_from_input(handmade[0].1.as_bytes()),
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// The payload of a COSE_Sign1 as `credential_check::sign1` and the crate write it.
fn payload(cose: &[u8]) -> Vec<u8> {
    fn bstr(b: &[u8]) -> (&[u8], &[u8]) {
        let (len, head) = match b[0] & 0x1f {
            n @ 0..=23 => (usize::from(n), 1),
            24 => (usize::from(b[1]), 2),
            25 => (usize::from(u16::from_be_bytes([b[1], b[2]])), 3),
            _ => panic!("unexpected length"),
        };
        (&b[head..head + len], &b[head + len..])
    }
    assert_eq!(&cose[..2], &[0xd2, 0x84]);
    let (_, rest) = bstr(&cose[2..]);
    assert_eq!(rest[0], 0xa0);
    let (payload, _) = bstr(&rest[1..]);
    payload.to_vec()
}

fn credential_seeds() {
    let key = credential_check::key();
    let other = StationKey::from_secret_bytes(&[7; 32]);
    let base = Claims {
        serial: "7K3QD9XAZM".into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "123X".into(),
        issued_at: ISSUED_AT,
        expires_at: ISSUED_AT + VALIDITY_SECS,
        station_id: STATION.into(),
    };
    let with = |f: &dyn Fn(&mut Claims)| {
        let mut c = base.clone();
        f(&mut c);
        c
    };
    let cases: Vec<(&str, Claims, &StationKey)> = vec![
        ("valid", base.clone(), &key),
        (
            "expired",
            with(&|c| {
                c.issued_at -= 40 * 86_400;
                c.expires_at -= 40 * 86_400;
            }),
            &key,
        ),
        (
            "superseded",
            with(&|c| c.serial = SUPERSEDED_SERIAL.into()),
            &key,
        ),
        (
            "rejected",
            with(&|c| c.serial = REJECTED_SERIAL.into()),
            &key,
        ),
        ("invalid_window", with(&|c| c.expires_at += 1), &key),
        (
            "not_yet_valid",
            with(&|c| {
                c.issued_at += 10 * 86_400;
                c.expires_at += 10 * 86_400;
            }),
            &key,
        ),
        (
            "other_station",
            with(&|c| c.station_id = "ST-ZZZZZZ".into()),
            &key,
        ),
        ("unknown_issuer", base.clone(), &other),
        (
            "text_ref_long_name",
            with(&|c| {
                c.resident_ref = "R-000123".into();
                c.masked_name = "欧阳**𠀀".into();
                c.id_last4 = String::new();
            }),
            &key,
        ),
    ];
    for (name, claims, k) in cases {
        let text = issue(&claims, k).unwrap();
        put("credential_verify", &format!("{name}.txt"), text.as_bytes());
        let cose = decode_cose(&text).unwrap();
        put("credential_cose", &format!("{name}.cose"), &cose);
        put(
            "credential_claims",
            &format!("{name}.cbor"),
            &payload(&cose),
        );
    }
    let valid = issue(&base, &key).unwrap();
    put(
        "credential_verify",
        "lowercase.txt",
        valid.to_ascii_lowercase().as_bytes(),
    );
    put(
        "credential_verify",
        "no_prefix.txt",
        &valid.as_bytes()["NAC1:".len()..],
    );
    put(
        "credential_verify",
        "truncated.txt",
        &valid.as_bytes()[..valid.len() - 7],
    );
    put(
        "credential_verify",
        "trailing_newline.txt",
        format!("{valid}\r\n").as_bytes(),
    );
}

/// `text`'s QR code (level Q) with a 4-module quiet zone, `scale` pixels a module.
fn qr_picture(text: &str, scale: usize) -> image::GrayImage {
    use qrcode::{Color, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let size = ((width + 8) * scale) as u32;
    image::GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = (4..width + 4).contains(&mx)
            && (4..width + 4).contains(&my)
            && colors[(my - 4) * width + mx - 4] == Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    })
}

fn encode_image(picture: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    // CRC-32 (IEEE), bitwise: a seed generator need not be fast.
    let mut crc = 0xffff_ffffu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

fn image_seeds() {
    use image::{DynamicImage, ImageFormat};
    let t = "qr_image";
    let key = credential_check::key();
    let claims = Claims {
        serial: "7K3QD9XAZM".into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "123X".into(),
        issued_at: ISSUED_AT,
        expires_at: ISSUED_AT + VALIDITY_SECS,
        station_id: STATION.into(),
    };
    let credential = issue(&claims, &key).unwrap();
    let big = qr_picture(&credential, 2);
    put(
        t,
        "code_credential.png",
        &encode_image(DynamicImage::ImageLuma8(big), ImageFormat::Png),
    );
    let small = qr_picture("NAC1:HELLO", 3);
    put(
        t,
        "code_short.jpg",
        &encode_image(DynamicImage::ImageLuma8(small.clone()), ImageFormat::Jpeg),
    );
    put(
        t,
        "code_short_rgba.png",
        &encode_image(
            DynamicImage::ImageRgba8(DynamicImage::ImageLuma8(small.clone()).to_rgba8()),
            ImageFormat::Png,
        ),
    );
    put(
        t,
        "code_short_luma16.png",
        &encode_image(
            DynamicImage::ImageLuma16(DynamicImage::ImageLuma8(small.clone()).to_luma16()),
            ImageFormat::Png,
        ),
    );
    let rotated = image::imageops::rotate90(&small);
    put(
        t,
        "code_rotated.png",
        &encode_image(DynamicImage::ImageLuma8(rotated), ImageFormat::Png),
    );
    let blank = image::GrayImage::from_pixel(24, 16, image::Luma([255]));
    put(
        t,
        "blank_rgb.jpg",
        &encode_image(
            DynamicImage::ImageRgb8(DynamicImage::ImageLuma8(blank).to_rgb8()),
            ImageFormat::Jpeg,
        ),
    );
    // A valid PNG header declaring 7999 x 7999 RGB, a tiny IDAT: must be refused by the limits.
    let mut ihdr = 7999u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&7999u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    put(t, "huge_header.png", &png);
}

/// The office-suite fixtures of the core tests (real files saved by Excel, WPS, LibreOffice),
/// sorted into the target whose reader they exercise.
fn office_fixture_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/office");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("no {} (skipped)", dir.display());
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let target = if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            "roster_xls"
        } else if bytes.starts_with(b"PK") {
            "roster_xlsx"
        } else if name.ends_with(".csv") {
            "roster_csv"
        } else {
            continue;
        };
        put(target, &format!("office-{name}"), &bytes);
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        if target == "roster_xls" {
            let mut cf = cfb::CompoundFile::open(std::io::Cursor::new(&bytes)).unwrap();
            for stream in ["/Workbook", "/Book"] {
                if let Ok(mut s) = cf.open_stream(stream) {
                    let mut out = Vec::new();
                    s.read_to_end(&mut out).unwrap();
                    put("roster_xls_stream", &format!("office-{stem}.biff"), &out);
                    break;
                }
            }
        } else if let Some(content) = part(&bytes, "content.xml") {
            put(
                "roster_ods_content",
                &format!("office-{stem}.xml"),
                &content,
            );
        }
    }
    put(
        "roster_ods_content",
        "handmade.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string"><text:p>district</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>road</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>number</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>document_number</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>徐汇区</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>天钥桥路</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>E1234567</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
            .as_bytes(),
    );
}

fn main() {
    office_fixture_seeds();
    csv_seeds();
    xlsx_seeds();
    credential_seeds();
    image_seeds();
    println!("seeds written under {}", corpus("").display());
}
