// Min/max envelopes for plotting the numbers a node holds: an array node's elements, or
// the numeric leaves among a structured node's children, in child order. The index range
// [from, to) is cut into `buckets` consecutive runs (one per index when the range is
// shorter), each with the smallest and largest finite number in it: a line through them,
// one run per pixel column, draws exactly what a plot of every value would.
#pragma once

#include <cstdint>
#include <vector>

#include "grove/node.h"

namespace grove {

struct Envelope {
  uint64_t total = 0;             // elements (an array) or children (a list or object) in the whole node
  uint64_t from = 0;              // the range asked for, `to` cut at total
  uint64_t to = 0;
  std::vector<uint64_t> starts;   // each run's first index; a run ends where the next starts, the last at `to`
  std::vector<double> low;        // the smallest finite number of each run; NaN for a run without one
  std::vector<double> high;       // the largest, likewise
  uint64_t plotted = 0;           // finite numbers in the range
  uint64_t skipped = 0;           // the rest of the range: non-numeric children, NaN, ±infinity
};

// The most runs one envelope has (a few screens' width of pixel columns).
inline constexpr uint32_t kMaxEnvelopeBuckets = 1u << 14;

// The envelope of `node`'s numbers over [from, to) (to past the end: up to the end) in at
// most `buckets` runs. Integers are plotted as doubles (rounded past 2^53). Throws
// TypeMismatch for a node holding neither an array nor children, InvalidArgument for
// buckets 0 or from past the end, LimitExceeded past kMaxEnvelopeBuckets.
Envelope envelope_of(const Node& node, uint64_t from, uint64_t to, uint32_t buckets);

}  // namespace grove
