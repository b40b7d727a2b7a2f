#!/usr/bin/env bash
# Builds the core and its C++ tests three ways (plain, ThreadSanitizer, AddressSanitizer
# with leak checking) and runs them with ctest, each test against both builds of the core:
# lockless (name_test) and locking (name_test_locking, -DGROVE_LOCKING).
# Usage: native/test/run.sh [plain|tsan|asan]...
set -euo pipefail
cd "$(dirname "$0")/../.."
export GROVE_STRESS_SECONDS="${GROVE_STRESS_SECONDS:-3}"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
export ASAN_OPTIONS="detect_leaks=1 halt_on_error=1"
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(plain tsan asan)
for variant in "${variants[@]}"; do
  case "$variant" in
    plain) flags="" ;;
    tsan) flags="-fsanitize=thread" ;;
    asan) flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" ;;
    *) echo "unknown variant '$variant' (expected plain, tsan or asan)" >&2; exit 2 ;;
  esac
  dir="build-native-$variant"
  echo "== core tests: $variant"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" > /dev/null
  cmake --build "$dir"
  ctest --test-dir "$dir" --output-on-failure
done
