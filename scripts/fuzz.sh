#!/usr/bin/env bash
# Runs the fuzz targets in fuzz/ (cargo-fuzz, libFuzzer) one after another, each for a set
# time on its corpus in fuzz/corpus/<target>/, and prints a line of figures per target
# (executions, coverage, corpus size). A crash stops the run with the target's name; the
# input is kept in fuzz/artifacts/<target>/ (turn it into a regression test, see
# docs/fuzzing.md). Not part of CI: there `cargo test` replays the committed corpora through
# the same checks (crates/noi-fuzz-checks), without this sanitizer build.
#
# Usage: scripts/fuzz.sh [--seconds N] [--minimise] [--quick] [TARGET...]
#   --seconds N   fuzzing time per target (default 600)
#   --minimise    afterwards, shrink each corpus to the inputs that add coverage (cargo fuzz cmin)
#   --quick       5 s per target, new inputs kept out of the committed corpora
# Needs cargo-fuzz (scripts/setup.sh: ensure_cargo_fuzz). libFuzzer needs nightly compiler
# flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. Run it niced on a shared
# machine: nice -n 19 scripts/fuzz.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_build_tools
ensure_cargo_fuzz
cd "$REPO_ROOT/fuzz"
export RUSTC_BOOTSTRAP=1

seconds=600
minimise=0
quick=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --minimise) minimise=1; shift ;;
        --quick) seconds=5; quick=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

# AddressSanitizer (cargo-fuzz's default) on, in release mode: the audio decoders' crates
# use unsafe code in places.
build_flags=(-O)
cargo fuzz build "${build_flags[@]}"
# The built fuzzers are run directly (not `cargo fuzz run`), so editing the sources while a
# long run goes on cannot rebuild them under it.
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="${CARGO_TARGET_DIR:-target}/$host/release"

# Each target's libFuzzer log stays in fuzz/logs/ (git-ignored) for a closer look.
logs=logs
mkdir -p "$logs"
printf '%-18s %8s %12s %10s %6s %8s %8s\n' target seconds executions exec/s cov features corpus
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="$logs/$target.log"
    # -rss_limit_mb: an input that makes the parser allocate more than this is a finding.
    # -max_len: the largest seed (a FLAC file) and some room.
    mkdir -p "artifacts/$target"
    # New inputs go to the first folder: a scratch one in --quick mode.
    folders=("corpus/$target")
    if [ "$quick" = 1 ]; then
        folders=("$(mktemp -d)" "corpus/$target")
    fi
    if ! "$bin_dir/$target" "${folders[@]}" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=16384 -timeout=20 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz.sh: $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    files=$(find "corpus/$target" -type f | wc -l)
    printf '%-18s %8s %12s %10s %6s %8s %8s\n' "$target" "$seconds" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$files"
    if [ "$minimise" = 1 ]; then
        # libFuzzer's merge keeps the inputs that add coverage (what `cargo fuzz cmin` does).
        rm -rf "corpus/$target.min" && mkdir "corpus/$target.min"
        "$bin_dir/$target" -merge=1 -rss_limit_mb=2048 -max_len=16384 -timeout=20 \
            "corpus/$target.min" "corpus/$target" >"$logs/$target.cmin.log" 2>&1
        rm -rf "corpus/$target" && mv "corpus/$target.min" "corpus/$target"
        echo "  minimised: $(find "corpus/$target" -type f | wc -l) inputs, $(du -sh "corpus/$target" | cut -f1)"
    fi
done
