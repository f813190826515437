#!/usr/bin/env bash
# Roster fixtures written by a real office suite (LibreOffice Calc, headless), issue 10.
#
#   scripts/make-office-fixtures.sh                 (re)writes core/tests/fixtures/office/*
#   scripts/make-office-fixtures.sh --bench OUTDIR  writes OUTDIR/bench-10000.xls and .xlsx
#                                                   (10,000 distinct valid residents; too big
#                                                   to commit)
#
# scripts/make-office-fixtures.py writes each workbook as Flat ODS (.fods, plain XML: exact cell
# types, number formats, merged cells, several sheets); soffice converts it to .xlsx, .xls, .ods
# and .csv, so every committed file is written by Calc. The files are checked after conversion
# (cell types, header row, sheet names, document numbers) before they replace the committed
# ones. Idempotent: the same file names every run (the bytes differ: Calc stamps dates in them).
#
# Needs LibreOffice Calc (apt-get install --no-install-recommends libreoffice-calc-nogui) and
# python3. With xlrd installed (pip install xlrd) the .xls files are checked cell by cell too.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
fixtures="$root/core/tests/fixtures/office"
py="$here/make-office-fixtures.py"
python=${PYTHON:-python3}

bench_dir=""
case "${1:-}" in
    --bench)
        bench_dir=${2:?usage: $0 --bench OUTDIR}
        ;;
    "") ;;
    *)
        echo "usage: $0 [--bench OUTDIR]" >&2
        exit 2
        ;;
esac

soffice=$(command -v soffice || command -v libreoffice || true)
if [[ -z $soffice ]]; then
    echo "LibreOffice not found: apt-get install -y --no-install-recommends libreoffice-calc-nogui" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nac-office-fixtures.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A private profile: no clash with a running LibreOffice, no first-start dialogs.
profile="file://$work/lo-profile"

# filter for each kind (CSV tokens: separator 44 ",", text delimiter 34 '"', charset 76 UTF-8
# or 85 GB18030, start row 1, -, language 0, quote all text cells false, detect special
# numbers true, save cell contents as shown true, formulas false, trim spaces false)
filter() {
    case $1 in
        xlsx) echo 'xlsx:Calc MS Excel 2007 XML' ;;
        xls) echo 'xls:MS Excel 97' ;;
        ods) echo 'ods:calc8' ;;
        csv) echo 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false' ;;
        csv-gb18030) echo 'csv:Text - txt - csv (StarCalc):44,34,85,1,,0,false,true,true,false,false' ;;
        *) echo "unknown kind $1" >&2; return 1 ;;
    esac
}

ext() { case $1 in csv-gb18030) echo csv ;; *) echo "$1" ;; esac; }

# convert KIND OUTDIR FILE.fods... (one soffice start per call)
convert() {
    local kind=$1 outdir=$2
    shift 2
    mkdir -p "$outdir"
    if ! "$soffice" "-env:UserInstallation=$profile" --headless --norestore --nolockcheck \
        --convert-to "$(filter "$kind")" --outdir "$outdir" "$@" >"$work/soffice.log" 2>&1; then
        cat "$work/soffice.log" >&2
        echo "soffice failed ($kind)" >&2
        exit 1
    fi
    local src
    for src in "$@"; do
        local out
        out="$outdir/$(basename "$src" .fods).$(ext "$kind")"
        if [[ ! -s $out ]]; then
            cat "$work/soffice.log" >&2
            echo "soffice wrote no $out" >&2
            exit 1
        fi
    done
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if [[ -n $bench_dir ]]; then
    mkdir -p "$bench_dir"
    n=10000
    start=$(date +%s.%N)
    "$python" "$py" bench "$work/src" "$n" >/dev/null
    t0=$(date +%s.%N)
    echo "bench-$n.fods written in $(elapsed "$start" "$t0") s ($(stat -c %s "$work/src/bench-$n.fods") bytes)"
    for kind in xls xlsx; do
        t0=$(date +%s.%N)
        convert "$kind" "$work/$kind" "$work/src/bench-$n.fods"
        t1=$(date +%s.%N)
        cp "$work/$kind/bench-$n.$kind" "$bench_dir/"
        echo "bench-$n.$kind: $(stat -c %s "$bench_dir/bench-$n.$kind") bytes, soffice $(elapsed "$t0" "$t1") s"
    done
    exit 0
fi

"$python" "$py" sources "$work/src"

# Group the jobs by kind: one soffice start per kind.
declare -A by_kind=()
while read -r kind name final; do
    by_kind[$kind]+=" $work/src/$name.fods"
done <"$work/src/jobs.txt"
for kind in "${!by_kind[@]}"; do
    # shellcheck disable=SC2086 # a list of paths without spaces
    convert "$kind" "$work/out-$kind" ${by_kind[$kind]}
done

stage="$work/stage"
mkdir -p "$stage"
while read -r kind name final; do
    cp "$work/out-$kind/$name.$(ext "$kind")" "$stage/$final"
done <"$work/src/jobs.txt"
# Files with the wrong extension: byte copies.
while read -r src dst; do
    cp "$stage/$src" "$stage/$dst"
done <"$work/src/renamed.txt"

"$python" "$py" verify "$stage"

mkdir -p "$fixtures"
while read -r _ _ final; do
    cp "$stage/$final" "$fixtures/$final"
done <"$work/src/jobs.txt"
while read -r _ dst; do
    cp "$stage/$dst" "$fixtures/$dst"
done <"$work/src/renamed.txt"
echo "wrote $(wc -l <"$work/src/jobs.txt") + $(wc -l <"$work/src/renamed.txt") files to ${fixtures#"$root"/}"
