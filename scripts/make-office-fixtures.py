#!/usr/bin/env python3
"""Sources for the office-written roster fixtures (core/tests/fixtures/office/), issue 10.

Run by scripts/make-office-fixtures.sh, which converts the Flat ODS (.fods) files written here
with LibreOffice Calc (headless) so that every committed .xlsx/.xls/.ods/.csv is written by a
real office suite. Standard library only.

    make-office-fixtures.py sources DIR   write DIR/<name>.fods and DIR/jobs.txt ("<kind> <name>")
    make-office-fixtures.py bench DIR N   write DIR/bench-N.fods (N distinct valid residents)
    make-office-fixtures.py verify DIR    read the fixtures back and check cell types, row
                                          positions, sheet names and the document numbers
    make-office-fixtures.py numbers       print the true and truncated numbers (for the README)

Flat ODS lets us choose every cell's type: string cells vs float cells, number formats ("0",
"@" = text), merged title cells, several sheets.
"""

import csv
import datetime
import io
import os
import re
import sys
import zipfile
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

# ------------------------------------------------------------------ resident ID numbers

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"


def check_char(first17):
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643-1999)."""
    assert len(first17) == 17 and first17.isdigit(), first17
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def rid(region, birth, seq):
    """A valid 18-character resident ID: region (6) + birth YYYYMMDD + 3-digit sequence."""
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_char(first17)


def is_valid(number):
    return (
        len(number) == 18
        and number[:17].isdigit()
        and check_char(number[:17]) == number[17]
    )


def excel_truncated(number):
    """What Excel keeps of an 18-digit number typed into a General cell: 15 significant
    digits, the rest replaced by zeros (Excel truncates; it does not round)."""
    return number[:15] + "000"


def truncation_passing(region, birth):
    """The first 15-digit prefix region+birth+d whose truncation (prefix + "000") has a valid
    check digit, i.e. check_char(prefix + "00") == "0"."""
    for d in range(10):
        prefix = f"{region}{birth}{d}"
        if check_char(prefix + "00") == "0":
            return prefix
    return None


def passing_truncated_id(region, births, tail):
    """A true (valid) ID whose Excel truncation still passes the check digit.

    `tail` is the true 16th-17th digits (anything but "00", so truncation changes them)."""
    for birth in births:
        prefix = truncation_passing(region, birth)
        if prefix:
            first17 = prefix + tail
            return first17 + check_char(first17)
    raise SystemExit(f"no passing truncation among {births}")


# ------------------------------------------------------------------ roster data

HEADER = ["区", "路", "弄", "号", "室", "户联系电话", "姓名", "证件类型", "证件号码",
          "手机号", "有智能手机", "备注"]
ID_COL = HEADER.index("证件号码")
# Column widths (cm) in the generated sheets.
WIDTHS = [1.8, 2.4, 1.5, 1.5, 1.5, 3.0, 2.2, 2.6, 4.6, 3.0, 2.2, 4.5]

# Number cells as volunteers type them into General cells: lane, number, room and phones.
NUMERIC_COLS = {"弄", "号", "室", "户联系电话", "手机号"}


def resident(district, road, lane, number, room, hh_phone, name, doc_type, doc_number,
             phone, smartphone, notes):
    return dict(zip(HEADER, [district, road, lane, number, room, hh_phone, name, doc_type,
                             doc_number, phone, smartphone, notes]))


# 6 residents in 4 households. Covers: an X check character, the empty 证件类型 (= resident
# ID), 身份证 as type, an empty 弄 and an empty 室, a household phone given on one row of the
# household only, a note with an ASCII comma and one with ASCII double quotes (CSV quoting), and
# a rare character outside the BMP (𠮷 U+20BB7, 4 bytes in GB18030) in a name.
PLAIN = [
    resident("徐汇区", "天钥桥路", "100", "5", "301", "13900001234", "张桂英", "居民身份证",
             rid("310104", "19480521", 34), "", "否", "独居，行动不便"),
    resident("徐汇区", "天钥桥路", "100", "5", "301", "", "李建国", "",
             rid("310104", "19450312", 39), "13700005678", "是", ""),
    resident("徐汇区", "天钥桥路", "100", "7", "502", "", "王秀兰", "身份证",
             rid("310104", "19380917", 62), "13812345678", "否", ""),
    resident("长宁区", "愚园路", "1088", "12", "", "13611112222", "赵德明", "居民身份证",
             rid("310105", "19410405", 11), "", "否", "腿脚不便, 需上门"),
    resident("长宁区", "愚园路", "1088", "12", "", "13611112222", "孙玉珍", "居民身份证",
             rid("310105", "19430628", 26), "15900003456", "是", '小名"阿珍"'),
    resident("长宁区", "华山路", "", "1520", "201", "", "吴𠮷祥", "居民身份证",
             rid("310105", "19520101", 57), "18600007890", "是", ""),
]

# Truncated-IDs roster: (true number, kind) where kind is "pass" (the truncation still passes
# the check digit), "fail" (the truncation fails it) or "good" (an ordinary, correct row).
TRUNC_PASS = passing_truncated_id("310105", ["19320322", "19320323", "19320324"], "16")
TRUNCATED = [
    (TRUNC_PASS, "pass", "钱美娟"),
    (rid("310104", "19451018", 44), "good", "周丽华"),
    (rid("310105", "19350814", 137), "fail", "郑国强"),
    (rid("310104", "19400101", 264), "fail", "冯淑珍"),
    (rid("310105", "19391212", 75), "good", "陈志明"),
    (rid("310105", "19471130", 59), "fail", "褚金宝"),
    (rid("310104", "19330405", 322), "fail", "卫桂芳"),
]
TRUNC_ADDR = [("徐汇区", "宛平南路", "88", "3", "101"), ("徐汇区", "宛平南路", "88", "3", "102"),
              ("长宁区", "武夷路", "210", "6", "401"), ("长宁区", "武夷路", "210", "6", "402"),
              ("长宁区", "武夷路", "210", "8", "201"), ("徐汇区", "宛平南路", "88", "5", "301"),
              ("徐汇区", "宛平南路", "88", "5", "302")]

# single-truncated.csv: the plain roster plus, on row 5, a resident whose (true, typed-as-text)
# number ends in 000 and passes the check digit.
SINGLE_000 = passing_truncated_id("310104", ["19360714", "19360715", "19360716"], "00")
SINGLE = PLAIN[:3] + [
    resident("徐汇区", "天钥桥路", "100", "7", "502", "", "陈佩芳", "居民身份证", SINGLE_000,
             "", "否", ""),
] + PLAIN[3:]

# short-numeric.xlsx: a Taiwan permit typed as a number (01234567 -> 1234567), plus a normal row.
TAIWAN_TYPED = "01234567"
SHORT = [
    resident("长宁区", "愚园路", "1088", "14", "302", "", "林志豪", "台胞证", TAIWAN_TYPED,
             "13500002468", "是", ""),
    resident("长宁区", "愚园路", "1088", "14", "303", "", "黄秀英", "居民身份证",
             rid("310105", "19440220", 48), "", "否", ""),
]

TITLE = "某某居委会住户名册"
DATE_LINE = "制表日期：2026年11月30日"

INSTRUCTIONS = [
    "填表说明",
    "1. 请在“住户名册”工作表中填写，每行一位居民，同户居民的地址每行都要填写。",
    "2. 证件号码一列已设置为文本格式，请勿改为数字格式，否则身份证号后三位会变成000。",
    "3. 有智能手机一列填写“是”或“否”。",
    "4. 本表含居民个人信息，请妥善保管，勿通过微信或邮件转发。",
]

# ------------------------------------------------------------------ cells and Flat ODS


class C:
    """A cell: kind "s" (string), "n" (float), or "" (blank); style; column span."""

    def __init__(self, kind, value="", style=None, span=1):
        self.kind, self.value, self.style, self.span = kind, value, style, span


def S(v, style=None, span=1):
    return C("s", v, style, span) if v != "" or span > 1 else C("")


def N(v, style=None):
    return C("n", v, style)


BLANK = C("")


def roster_row(r, doc_cell=None):
    """Cells for one resident, in HEADER order. The document number is a string cell in a
    text-formatted ("@") column unless `doc_cell` says otherwise."""
    cells = []
    for col in HEADER:
        v = r[col]
        if col == "证件号码":
            cells.append(doc_cell if doc_cell is not None else S(v, "ceText"))
        elif col in NUMERIC_COLS and v != "":
            cells.append(N(int(v)))
        else:
            cells.append(S(v))
    return cells


def header_row():
    return [S(h, "ceHead") for h in HEADER]


STYLES = """<office:automatic-styles>
<number:number-style style:name="N1"><number:number number:decimal-places="0" number:min-decimal-places="0" number:min-integer-digits="1"/></number:number-style>
<number:text-style style:name="N100"><number:text-content/></number:text-style>
{columns}
<style:style style:name="ceText" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N100"/>
<style:style style:name="ceInt" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N1"/>
<style:style style:name="ceHead" style:family="table-cell" style:parent-style-name="Default"><style:text-properties fo:font-weight="bold" style:font-weight-asian="bold"/></style:style>
<style:style style:name="ceTitle" style:family="table-cell" style:parent-style-name="Default"><style:table-cell-properties style:vertical-align="middle"/><style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="16pt" fo:font-weight="bold" style:font-size-asian="16pt" style:font-weight-asian="bold"/></style:style>
</office:automatic-styles>"""

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"')


def fods(sheets):
    """A Flat ODS document. `sheets`: list of (name, rows, widths) with rows of C cells."""
    col_styles = []
    widths_seen = {}
    for _, _, widths in sheets:
        for w in widths:
            if w not in widths_seen:
                widths_seen[w] = f"co{len(widths_seen) + 1}"
                col_styles.append(
                    f'<style:style style:name="{widths_seen[w]}" style:family="table-column">'
                    f'<style:table-column-properties style:column-width="{w}cm"/></style:style>')
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<office:document {NS} office:version="1.3" '
           'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">\n',
           STYLES.format(columns="\n".join(col_styles)), "\n",
           "<office:body><office:spreadsheet>\n"]
    for name, rows, widths in sheets:
        out.append(f"<table:table table:name={quoteattr(name)}>\n")
        for w in widths:
            out.append(f'<table:table-column table:style-name="{widths_seen[w]}"/>')
        out.append("\n")
        for row in rows:
            out.append("<table:table-row>")
            for cell in row:
                out.append(cell_xml(cell))
            if not row:
                out.append("<table:table-cell/>")
            out.append("</table:table-row>\n")
        out.append("</table:table>\n")
    out.append("</office:spreadsheet></office:body></office:document>\n")
    return "".join(out)


def cell_xml(cell):
    attrs = ""
    if cell.style:
        attrs += f' table:style-name="{cell.style}"'
    if cell.span > 1:
        attrs += f' table:number-columns-spanned="{cell.span}" table:number-rows-spanned="1"'
    if cell.kind == "s":
        xml = (f'<table:table-cell office:value-type="string"{attrs}>'
               f"<text:p>{escape(cell.value)}</text:p></table:table-cell>")
    elif cell.kind == "n":
        xml = (f'<table:table-cell office:value-type="float" office:value="{cell.value}"{attrs}>'
               f"<text:p>{cell.value}</text:p></table:table-cell>")
    else:
        xml = f"<table:table-cell{attrs}/>"
    if cell.span > 1:
        xml += f'<table:covered-table-cell table:number-columns-repeated="{cell.span - 1}"/>'
    return xml


def plain_rows(residents=PLAIN):
    return [header_row()] + [roster_row(r) for r in residents]


def title_rows(residents=PLAIN, header=None):
    return [[S(TITLE, "ceTitle", span=len(HEADER))],
            [S(DATE_LINE)],
            [],
            header or header_row()] + [roster_row(r) for r in residents]


def truncated_rows(as_numbers):
    """Header + TRUNCATED. as_numbers: the truncated IDs are float cells formatted "0" holding
    Excel's stored value (first 15 digits, then zeros); otherwise text cells holding the
    truncated 18-digit string (as a volunteer who retyped the shown values would)."""
    rows = [header_row()]
    for (true, kind, name), addr in zip(TRUNCATED, TRUNC_ADDR):
        r = resident(*addr, "", name, "居民身份证", true, "", "否", "")
        if kind == "good":
            rows.append(roster_row(r))
        elif as_numbers:
            rows.append(roster_row(r, N(int(excel_truncated(true)), "ceInt")))
        else:
            rows.append(roster_row(r, S(excel_truncated(true), "ceText")))
    return rows


def short_rows():
    rows = [header_row()]
    for r in SHORT:
        if r["证件类型"] == "台胞证":
            # Typed into a General column: Calc (like Excel) stores the number 1234567.
            rows.append(roster_row(r, N(int(r["证件号码"]))))
        else:
            rows.append(roster_row(r))
    return rows


def no_header_rows():
    """Title rows, then a header without any 证件号码 column, then data."""
    keep = [h for h in HEADER if h != "证件号码"]
    rows = [[S(TITLE, "ceTitle", span=len(keep))], [S(DATE_LINE)], [],
            [S(h, "ceHead") for h in keep]]
    for r in PLAIN[:3]:
        rows.append([c for c, h in zip(roster_row(r), HEADER) if h != "证件号码"])
    return rows


ROSTER_SHEET = "住户名册"


def one(rows, widths=WIDTHS):
    return [(ROSTER_SHEET, rows, widths)]


# name -> (sheets, kinds). Kinds: xlsx, xls, ods, csv (UTF-8), csv-gb18030.
FIXTURES = {
    "plain": (one(plain_rows()), ["xlsx", "xls", "ods", "csv"]),
    "plain-gb18030": (one(plain_rows()), ["csv-gb18030"]),
    "title-rows": (one(title_rows()), ["xlsx", "xls", "ods"]),
    "truncated-ids": (one(truncated_rows(as_numbers=True)), ["csv"]),
    "truncated-ids-text": (one(truncated_rows(as_numbers=False)), ["xlsx"]),
    "truncated-ids-numeric": (one(truncated_rows(as_numbers=True)), ["xlsx", "xls"]),
    "single-truncated": (one(plain_rows(SINGLE)), ["csv"]),
    "short-numeric": (one(short_rows()), ["xlsx"]),
    "multi-sheet": ([("说明", [[S(t)] for t in INSTRUCTIONS], [16.0]),
                     (ROSTER_SHEET, plain_rows(), WIDTHS)], ["xlsx", "ods"]),
    "no-header": (one(no_header_rows(), [w for w, h in zip(WIDTHS, HEADER) if h != "证件号码"]),
                  ["xlsx"]),
}
# Renamed after conversion (the .sh copies them): target -> source file.
RENAMED = {"renamed-xls.xlsx": "plain.xls", "renamed-xlsx.csv": "plain.xlsx",
           "renamed-xls.csv": "plain.xls"}
# truncated-ids-text.xlsx is committed as truncated-ids.xlsx (the .csv and the .xlsx of the
# same roster need different sources: numbers for the CSV, retyped text for the XLSX).
FINAL_NAME = {("truncated-ids-text", "xlsx"): "truncated-ids.xlsx"}

EXT = {"xlsx": "xlsx", "xls": "xls", "ods": "ods", "csv": "csv", "csv-gb18030": "csv"}


def final_name(name, kind):
    return FINAL_NAME.get((name, kind), f"{name}.{EXT[kind]}")


def write_sources(outdir):
    os.makedirs(outdir, exist_ok=True)
    jobs = []
    for name, (sheets, kinds) in FIXTURES.items():
        with open(os.path.join(outdir, name + ".fods"), "w", encoding="utf-8") as f:
            f.write(fods(sheets))
        for kind in kinds:
            jobs.append(f"{kind} {name} {final_name(name, kind)}")
    with open(os.path.join(outdir, "jobs.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(jobs) + "\n")
    with open(os.path.join(outdir, "renamed.txt"), "w", encoding="utf-8") as f:
        f.write("".join(f"{src} {dst}\n" for dst, src in RENAMED.items()))


# ------------------------------------------------------------------ benchmark roster

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["桂英", "秀兰", "建国", "玉珍", "德明", "淑珍", "国强", "美娟", "志明", "丽华",
         "金宝", "桂芳", "佩芳", "秀英", "志豪", "文华", "建华", "凤英", "海涛", "雪梅"]
ROADS = [("徐汇区", "天钥桥路"), ("徐汇区", "宛平南路"), ("徐汇区", "零陵路"),
         ("徐汇区", "斜土路"), ("长宁区", "愚园路"), ("长宁区", "武夷路"),
         ("长宁区", "华山路"), ("长宁区", "番禺路")]


def bench_residents(n):
    """n distinct valid residents, two per household."""
    base = datetime.date(1930, 1, 1)
    days = (datetime.date(1955, 12, 31) - base).days + 1
    out = []
    for i in range(n):
        h = i // 2
        district, road = ROADS[h % len(ROADS)]
        region = "310104" if district == "徐汇区" else "310105"
        birth = (base + datetime.timedelta(days=(i * 7919) % days)).strftime("%Y%m%d")
        # i -> i*7919 mod days is one-to-one within each block of `days` residents (7919 is a
        # prime not dividing `days`), and the block index is the hundreds of the sequence.
        seq = 100 * (i // days) + i % 97 + 1
        lane = str(10 + (h // 400) * 10)
        number = str(1 + (h // 40) % 10)
        room = str(101 + (h % 4) + 100 * ((h // 4) % 10))
        hh_phone = f"139{h:08d}" if h % 3 == 0 else ""
        phone = f"158{i:08d}" if i % 2 == 0 else ""
        out.append(resident(district, road, lane, number, room, hh_phone,
                            SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)],
                            "居民身份证", rid(region, birth, seq), phone,
                            "是" if i % 4 == 0 else "否", ""))
    ids = {r["证件号码"] for r in out}
    assert len(ids) == n, "bench IDs must be distinct"
    return out


def write_bench(outdir, n):
    os.makedirs(outdir, exist_ok=True)
    name = f"bench-{n}"
    with open(os.path.join(outdir, name + ".fods"), "w", encoding="utf-8") as f:
        f.write(fods(one(plain_rows(bench_residents(n)))))
    print(name)


# ------------------------------------------------------------------ reading the files back

X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XR = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
O_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
O_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
O_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(path):
    """[(sheet name, {(row, col): (type, value)}, merges)], rows 1-based, cols 0-based."""
    z = zipfile.ZipFile(path)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(X + "si"):
            shared.append("".join(t.text or "" for t in si.iter(X + "t")))
    rels = {r.get("Id"): r.get("Target") for r in
            ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    sheets = []
    for sh in ET.fromstring(z.read("xl/workbook.xml")).iter(X + "sheet"):
        target = rels[sh.get(XR + "id")].lstrip("/")
        target = target if target.startswith("xl/") else "xl/" + target
        root = ET.fromstring(z.read(target))
        cells = {}
        for c in root.iter(X + "c"):
            ref, t = c.get("r"), c.get("t", "n")
            v = c.find(X + "v")
            row = int(re.search(r"\d+", ref).group(0))
            if t == "s":
                cells[(row, col_index(ref))] = ("s", shared[int(v.text)])
            elif t in ("str", "inlineStr"):
                text = v.text if v is not None else "".join(
                    x.text or "" for x in c.iter(X + "t"))
                cells[(row, col_index(ref))] = ("s", text)
            elif v is not None:
                cells[(row, col_index(ref))] = (t, v.text)
        merges = [m.get("ref") for m in root.iter(X + "mergeCell")]
        sheets.append((sh.get("name"), cells, merges))
    return sheets


def read_ods(path):
    root = ET.fromstring(zipfile.ZipFile(path).read("content.xml"))
    sheets = []
    for table in root.iter(O_TABLE + "table"):
        cells, merges, r = {}, [], 0
        for row in table.iter(O_TABLE + "table-row"):
            rep_r = int(row.get(O_TABLE + "number-rows-repeated", "1"))
            c = 0
            for cell in row:
                rep = int(cell.get(O_TABLE + "number-columns-repeated", "1"))
                vt = cell.get(O_OFFICE + "value-type")
                if cell.tag == O_TABLE + "table-cell" and vt:
                    for k in range(rep):
                        if vt == "string":
                            text = "\n".join("".join(p.itertext())
                                             for p in cell.iter(O_TEXT + "p"))
                            cells[(r + 1, c + k)] = ("s", text)
                        else:
                            cells[(r + 1, c + k)] = (vt, cell.get(O_OFFICE + "value"))
                    span = cell.get(O_TABLE + "number-columns-spanned")
                    if span and int(span) > 1:
                        merges.append((r + 1, c, int(span)))
                c += rep
            r += rep_r
        sheets.append((table.get(O_TABLE + "name"), cells, merges))
    return sheets


def read_csv(path, encoding):
    text = open(path, "rb").read().decode(encoding)
    cells = {}
    for r, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        for c, v in enumerate(row):
            if v != "":
                cells[(r, c)] = ("s", v)
    return [("(csv)", cells, [])]


def read_xls(path):
    """Needs xlrd (pip install xlrd); returns None without it."""
    try:
        import xlrd  # noqa: PLC0415
    except ImportError:
        return None
    book = xlrd.open_workbook(path, formatting_info=False)
    sheets = []
    for sh in book.sheets():
        cells = {}
        for r in range(sh.nrows):
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_TEXT:
                    cells[(r + 1, c)] = ("s", cell.value)
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    cells[(r + 1, c)] = ("n", repr(cell.value))
        sheets.append((sh.name, cells, []))
    return sheets


# ------------------------------------------------------------------ verification

def expected(name):
    """(sheet names, roster sheet index, header row, {row: (kind, value)} for 证件号码,
    header row's document-number column or None, merged title)."""
    if name == "no-header":
        return ([ROSTER_SHEET], 0, 4, {}, None, True)
    if name == "multi-sheet":
        return (["说明", ROSTER_SHEET], 1, 1, doc_map(PLAIN, 2), ID_COL, False)
    if name == "title-rows":
        return ([ROSTER_SHEET], 0, 4, doc_map(PLAIN, 5), ID_COL, True)
    if name == "truncated-ids-numeric":
        ids = {}
        for i, (true, kind, _) in enumerate(TRUNCATED):
            ids[i + 2] = ("s", true) if kind == "good" else ("n", excel_truncated(true))
        return ([ROSTER_SHEET], 0, 1, ids, ID_COL, False)
    if name in ("truncated-ids", "truncated-ids-text"):
        ids = {i + 2: ("s", true if kind == "good" else excel_truncated(true))
               for i, (true, kind, _) in enumerate(TRUNCATED)}
        return ([ROSTER_SHEET], 0, 1, ids, ID_COL, False)
    if name == "single-truncated":
        return ([ROSTER_SHEET], 0, 1, doc_map(SINGLE, 2), ID_COL, False)
    if name == "short-numeric":
        return ([ROSTER_SHEET], 0, 1, {2: ("n", str(int(TAIWAN_TYPED))),
                                       3: ("s", SHORT[1]["证件号码"])}, ID_COL, False)
    return ([ROSTER_SHEET], 0, 1, doc_map(PLAIN, 2), ID_COL, False)


def doc_map(residents, first_row):
    return {first_row + i: ("s", r["证件号码"]) for i, r in enumerate(residents)}


def same_number(stored, digits):
    """A float cell's value against the digits Excel would show (15 significant digits)."""
    return f"{float(stored):.15g}" == f"{float(digits):.15g}" and float(stored).is_integer()


def verify_file(path, name, kind):
    problems = []
    size = os.path.getsize(path)
    if size >= 20 * 1024:
        problems.append(f"{size} bytes (>= 20 KiB)")
    head = open(path, "rb").read(8)
    magic = {"xlsx": b"PK\x03\x04", "ods": b"PK\x03\x04", "xls": b"\xd0\xcf\x11\xe0"}
    if kind in magic and not head.startswith(magic[kind]):
        problems.append(f"not a {kind} file: starts {head!r}")
    if kind == "xlsx":
        sheets = read_xlsx(path)
    elif kind == "ods":
        sheets = read_ods(path)
    elif kind == "xls":
        sheets = read_xls(path)
        if sheets is None:
            return problems, "xls: magic only (install xlrd for a full check)"
    else:
        sheets = read_csv(path, "gb18030" if kind == "csv-gb18030" else "utf-8")
    names, index, header_row, ids, id_col, merged_title = expected(name)
    if kind not in ("csv", "csv-gb18030") and [s[0] for s in sheets] != names:
        problems.append(f"sheets {[s[0] for s in sheets]} != {names}")
    _, cells, merges = sheets[min(index, len(sheets) - 1)]
    first_row = min((r for r, _ in cells), default=0)
    header = [cells.get((header_row, c), ("", ""))[1] for c in range(len(HEADER))]
    if "姓名" not in header or "区" not in header:
        problems.append(f"row {header_row} is not the header: {header}")
    if merged_title and kind != "csv":
        if cells.get((1, 0), ("", ""))[1] != TITLE:
            problems.append("no title in A1")
        if kind in ("xlsx", "ods") and not merges:
            problems.append("title cell is not merged")
    elif first_row != header_row:
        problems.append(f"first non-empty row {first_row}, header expected on {header_row}")
    for row, (want_type, want) in ids.items():
        got = cells.get((row, id_col))
        if got is None:
            problems.append(f"row {row}: no document number")
        elif want_type == "s" and got != ("s", want):
            problems.append(f"row {row}: {got} != text {want}")
        elif want_type == "n" and (got[0] != "n" or not same_number(got[1], want)):
            problems.append(f"row {row}: {got} != number {want}")
    last = max((r for r, _ in cells), default=0)
    want_last = max(ids) if ids else header_row + 3
    if last != want_last:
        problems.append(f"last row {last}, expected {want_last}")
    ntypes = set()
    if id_col is not None and kind not in ("csv", "csv-gb18030"):
        ntypes = {t for (r, c), (t, _) in cells.items()
                  if r > header_row and c < len(HEADER) and HEADER[c] in NUMERIC_COLS}
    return problems, f"sheets={[s[0] for s in sheets]} header=row {header_row} " \
        f"ids={sorted({t for t, _ in ids.values()})} other-number-cells={sorted(ntypes)}"


def verify(outdir):
    failed = False
    for name, (_, kinds) in FIXTURES.items():
        for kind in kinds:
            fname = final_name(name, kind)
            path = os.path.join(outdir, fname)
            if not os.path.exists(path):
                print(f"MISSING {fname}")
                failed = True
                continue
            problems, summary = verify_file(path, name, kind)
            status = "ok  " if not problems else "FAIL"
            failed |= bool(problems)
            print(f"{status} {fname:28} {os.path.getsize(path):6} B  {summary}")
            for p in problems:
                print(f"       {p}")
    for dst, src in RENAMED.items():
        path, srcpath = os.path.join(outdir, dst), os.path.join(outdir, src)
        same = os.path.exists(path) and open(path, "rb").read() == open(srcpath, "rb").read()
        print(f"{'ok  ' if same else 'FAIL'} {dst:28} {os.path.getsize(path) if same else 0:6} B"
              f"  copy of {src}")
        failed |= not same
    # The data itself: valid IDs where they should be, truncations as documented.
    for r in PLAIN + SINGLE + SHORT[1:]:
        assert is_valid(r["证件号码"]), r
    assert any(r["证件号码"].endswith("X") for r in PLAIN)
    assert SINGLE_000.endswith("000") and is_valid(SINGLE_000)
    for true, kind, _ in TRUNCATED:
        assert is_valid(true) and not true.endswith("000"), true
        if kind != "good":
            assert is_valid(excel_truncated(true)) == (kind == "pass"), true
    return not failed


def numbers():
    print("truncated-ids: row, true number, truncated, check digit of the truncation")
    for i, (true, kind, name) in enumerate(TRUNCATED):
        t = excel_truncated(true)
        note = "good row (unchanged)" if kind == "good" else (
            "passes" if is_valid(t) else f"fails: expected {check_char(t[:17])}, found 0")
        print(f"  {i + 2}  {name}  {true}  {t if kind != 'good' else '-'}  {note}")
    print(f"single-truncated: row 5 陈佩芳 {SINGLE_000} valid={is_valid(SINGLE_000)}")
    print("plain:", [(r["姓名"], r["证件号码"]) for r in PLAIN])
    print("short:", [(r["姓名"], r["证件类型"], r["证件号码"]) for r in SHORT])


def main(argv):
    if len(argv) >= 3 and argv[1] == "sources":
        write_sources(argv[2])
    elif len(argv) >= 3 and argv[1] == "bench":
        write_bench(argv[2], int(argv[3]) if len(argv) > 3 else 10000)
    elif len(argv) >= 3 and argv[1] == "verify":
        return 0 if verify(argv[2]) else 1
    elif len(argv) >= 2 and argv[1] == "numbers":
        numbers()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
