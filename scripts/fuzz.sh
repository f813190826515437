#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for SECONDS (default 60) on a scratch
# copy of its committed inputs (fuzz/seeds, fuzz/corpus, fuzz/regressions: the committed corpus
# never grows here). Fails on any crash, abort, out-of-memory, leak or timeout, printing the
# artifact's path and its base64 so the input can be recovered from a CI log.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain (on the machine image; never downloaded here) and cargo-fuzz
# (installed from crates.io when missing). Without a nightly this skips, except under CI=true,
# where it fails. Environment:
#   NAC_FUZZ_TARGET_DIR  cargo target dir of the fuzz build (default fuzz/target)
#   NAC_FUZZ_JOBS        cargo build jobs (default: cargo's own)
#   NAC_FUZZ_KEEP        a folder: each target's grown scratch corpus is copied to KEEP/<target>
#                        (to minimise into fuzz/corpus with `cargo fuzz cmin`; see fuzz/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CARGO_FUZZ_VERSION=0.13.2
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in '' | *[!0-9]*)
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
  ;;
esac

fail_or_skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $1 (CI=true: fuzzing is required)" >&2
    exit 1
  fi
  echo "SKIP fuzzing: $1" >&2
  exit 0
}

echo "== fuzz: toolchain"
cargo +nightly --version >/dev/null 2>&1 || fail_or_skip "no nightly toolchain (rustup toolchain list)"
cargo +nightly --version
if ! cargo fuzz --version 2>/dev/null | grep -q "^cargo-fuzz $CARGO_FUZZ_VERSION\$"; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi
cargo fuzz --version

export CARGO_TARGET_DIR=${NAC_FUZZ_TARGET_DIR:-$root/fuzz/target}
export CARGO_TERM_COLOR=never
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir=$CARGO_TARGET_DIR/$host/release

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
fi
[ ${#targets[@]} -gt 0 ] || { echo "FAIL: no fuzz targets found" >&2; exit 1; }

echo "== fuzz: build (${targets[*]})"
build_start=$(date +%s)
# One `cargo fuzz build` for all targets (dependencies are built once); the target-less form
# builds every [[bin]] of fuzz/Cargo.toml.
[ -n "${NAC_FUZZ_JOBS:-}" ] && export CARGO_BUILD_JOBS=$NAC_FUZZ_JOBS
cargo +nightly fuzz build --fuzz-dir fuzz
echo "fuzz build took $(($(date +%s) - build_start)) s"

# Per-target libFuzzer settings: the largest input worth trying and a token dictionary.
max_len_of() {
  case $1 in
    roster_*) echo 1048576 ;;            # 1 MiB: real rosters are far larger, bugs are not
    credential_verify) echo 8192 ;;      # MAX_BASE45_LEN is 6144
    credential_cose | credential_claims) echo 6144 ;; # MAX_COSE_LEN is 4096
    qr_image) echo 262144 ;;             # 256 KiB: headers declaring huge sizes fit easily
    protocol_messages) echo 65536 ;;     # a page of events is ~1 MiB; structure bugs show far smaller
    *) echo 65536 ;;
  esac
}
dict_of() {
  case $1 in
    roster_xlsx_sheet | roster_xlsx) echo fuzz/dicts/roster_xlsx_sheet.dict ;;
    roster_xls_stream | roster_xls) echo fuzz/dicts/roster_xls_stream.dict ;;
    protocol_messages) echo fuzz/dicts/protocol_messages.dict ;;
    roster_ods_content) echo fuzz/dicts/roster_ods_content.dict ;;
    roster_csv) echo fuzz/dicts/roster_csv.dict ;;
    credential_verify) echo fuzz/dicts/credential_verify.dict ;;
    credential_cose | credential_claims) echo fuzz/dicts/credential_cbor.dict ;;
  esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/nac-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
stamp=$(date -u +%Y%m%dT%H%M%SZ)
failed=()
summary=()
notes=()

for t in "${targets[@]}"; do
  bin=$bin_dir/$t
  [ -x "$bin" ] || { echo "FAIL: $bin was not built" >&2; exit 1; }
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  n=0
  for kind in seeds corpus regressions; do
    for f in fuzz/$kind/$t/*; do
      [ -f "$f" ] || continue
      case ${f##*/} in README.md | .*) continue ;; esac
      cp "$f" "$corpus/$kind-${f##*/}"
      n=$((n + 1))
    done
  done
  artifacts=$root/fuzz/artifacts/$t/$stamp
  mkdir -p "$artifacts"
  log=$artifacts/fuzz.log
  args=(
    "-max_total_time=$secs" -rss_limit_mb=512 -malloc_limit_mb=512 "-max_len=$(max_len_of "$t")"
    -timeout=10
    -print_final_stats=1 "-artifact_prefix=$artifacts/"
  )
  dict=$(dict_of "$t")
  [ -n "$dict" ] && args+=("-dict=$dict")
  echo "== fuzz: $t for ${secs}s ($n committed inputs)"
  status=0
  # The backstop covers loading a slow corpus; libFuzzer stops itself at max_total_time.
  # ASan keeps up to 256 MB of freed memory in quarantine by default, which counts against the
  # RSS limit: a roster reader that legitimately allocates ~100 MB per workbook then "runs out of
  # memory" after a few inputs (no single input reproduces it). A smaller quarantine and eager
  # release keep RSS close to what the code really holds; -malloc_limit_mb (= the RSS limit)
  # still catches any single oversized allocation at once.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=32:allocator_release_to_os_interval_ms=500} \
    RUST_BACKTRACE=1 \
    timeout --signal=INT --kill-after=30 $((secs * 2 + 300)) \
    "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/^(#[0-9]+)[[:space:]]+[A-Z]+[[:space:]]+/\1 /' || true)
  # Panics inside dependencies that the code under test catches by design (see
  # let_dependency_panics_unwind in fuzz/src/lib.rs): not failures, but worth reporting upstream.
  while IFS= read -r line; do
    notes+=("$t: ${line#nac-fuzz: }")
  done < <(grep -a '^nac-fuzz: caught? dependency panic at' "$log" | sort -u)
  found=()
  for a in "$artifacts"/crash-* "$artifacts"/oom-* "$artifacts"/timeout-* "$artifacts"/leak-*; do
    [ -f "$a" ] && found+=("$a")
  done
  if [ "$status" -ne 0 ] || [ ${#found[@]} -gt 0 ]; then
    failed+=("$t")
    summary+=("$t: FAILED (exit $status) after ${execs:-?} execs")
    echo "---- $t: last lines of $log"
    tail -n 80 "$log"
    for a in "${found[@]}"; do
      echo "---- $t: artifact $a ($(stat -c %s "$a") bytes); base64:"
      if [ "$(stat -c %s "$a")" -le 65536 ]; then
        base64 -w 76 "$a"
      else
        head -c 65536 "$a" | base64 -w 76
        echo "(first 64 KiB only)"
      fi
      echo "---- reproduce: $bin $a   (or: cargo +nightly fuzz run $t $a)"
      echo "---- then save it as fuzz/regressions/$t/<name> so cargo test replays it"
    done
  else
    if [ -n "${NAC_FUZZ_KEEP:-}" ]; then
      mkdir -p "$NAC_FUZZ_KEEP/$t"
      cp "$corpus"/* "$NAC_FUZZ_KEEP/$t/" 2>/dev/null || true
    fi
    summary+=("$t: ok, ${execs:-?} execs (${rate:-?}/s) in ${secs}s; $last")
    rm -rf "$artifacts"
  fi
done

echo "== fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#notes[@]} -gt 0 ]; then
  echo "== fuzz: panics inside dependencies, caught by the code under test (not failures)"
  printf '  %s\n' "${notes[@]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAIL: fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ok"
