// The plot envelopes of grove/plot.h against a plain loop written here: arrays of every
// element kind and lists of mixed children (numbers of each type, NaN, infinities, strings,
// objects), over random ranges and bucket counts, and the errors for what cannot be plotted.
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "check.h"
#include "grove/plot.h"

using namespace grove;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The expected envelope, the slow way: each run from its own definition, every index looked at.
struct Expected {
  std::vector<uint64_t> starts;
  std::vector<double> low, high;
  uint64_t plotted = 0, skipped = 0;
};

// `numbers[i]` is NaN for an index that holds no number at all (a string child, an object).
Expected expected_of(const std::vector<double>& numbers, uint64_t from, uint64_t to, uint32_t buckets) {
  Expected e;
  uint64_t n = to - from;
  uint64_t runs = std::min<uint64_t>(buckets, n);
  for (uint64_t r = 0; r < runs; ++r) {
    uint64_t start = from + r * n / runs;
    uint64_t end = from + (r + 1) * n / runs;
    double low = kNaN, high = kNaN;
    for (uint64_t i = start; i < end; ++i) {
      double x = numbers[i];
      if (!std::isfinite(x)) {
        ++e.skipped;
        continue;
      }
      ++e.plotted;
      low = std::isnan(low) ? x : std::min(low, x);
      high = std::isnan(high) ? x : std::max(high, x);
    }
    e.starts.push_back(start);
    e.low.push_back(low);
    e.high.push_back(high);
  }
  return e;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void check_against(const Envelope& got, const Expected& want, uint64_t total) {
  CHECK(got.total == total);
  CHECK(got.starts == want.starts);
  CHECK(got.low.size() == want.low.size() && got.high.size() == want.high.size());
  for (std::size_t i = 0; i < want.low.size() && i < got.low.size(); ++i) {
    CHECK(same(got.low[i], want.low[i]));
    CHECK(same(got.high[i], want.high[i]));
  }
  CHECK(got.plotted == want.plotted);
  CHECK(got.skipped == want.skipped);
}

// An array node of `type` holding `values` (converted to its element type).
template <class T>
NodeRef array_node(TreeHolder& t, TypeId type, Element element, const std::vector<double>& values) {
  NodeRef node = t->create_node("a", type);
  t->add_child(t->root(), *node);
  if (values.empty()) return node;
  ArrayRef data = ArrayRef::adopt(ArrayData::allocate(element, values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) data->as<T>()[i] = static_cast<T>(values[i]);
  t->set_value(*node, Value::array_of(type, std::move(data)));
  return node;
}

// Random (from, to, buckets) triples over a node of `total`, with the edges: empty, whole, one bucket.
std::vector<std::array<uint64_t, 3>> ranges_of(uint64_t total, std::mt19937& rng) {
  std::vector<std::array<uint64_t, 3>> out{{0, total, 1}, {0, total, 7}, {0, total, 1000}, {total, total, 5}, {0, UINT64_MAX, 3}};
  for (int k = 0; k < 40; ++k) {
    uint64_t a = total ? rng() % (total + 1) : 0, b = total ? rng() % (total + 1) : 0;
    out.push_back({std::min(a, b), std::max(a, b), 1 + static_cast<uint64_t>(rng() % 300)});
  }
  return out;
}

template <class T>
void check_array_kind(TypeId type, Element element, bool floats, std::size_t length, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-100, 100);
  std::vector<double> values(length);
  for (double& x : values) x = static_cast<double>(static_cast<T>(floats ? small(rng) / 4.0 : std::abs(small(rng))));
  if (floats && length > 10) {
    values[3] = kNaN;
    values[length / 2] = kInf;
    values[length - 1] = -kInf;
  }
  TreeHolder t;
  NodeRef node = array_node<T>(t, type, element, values);
  for (auto [from, to, buckets] : ranges_of(length, rng)) {
    uint64_t end = std::min<uint64_t>(to, length);
    check_against(envelope_of(*node, from, to, static_cast<uint32_t>(buckets)), expected_of(values, from, end, static_cast<uint32_t>(buckets)), length);
  }
}

}  // namespace

TEST(arrays_of_every_element_kind_match_a_plain_loop) {
  for (std::size_t length : {0, 1, 2, 63, 1000, 4099}) {
    check_array_kind<float>(type::kF32Array, Element::kF32, true, length, 1);
    check_array_kind<double>(type::kF64Array, Element::kF64, true, length, 2);
    check_array_kind<int32_t>(type::kI32Array, Element::kI32, false, length, 3);
    check_array_kind<int16_t>(type::kI16Array, Element::kI16, false, length, 4);
    check_array_kind<uint8_t>(type::kU8Array, Element::kU8, false, length, 5);
  }
}

TEST(lists_plot_their_numeric_children_of_every_type) {
  TreeHolder t;
  NodeRef list = t->create_node("list", type::kList);
  t->add_child(t->root(), *list);
  std::mt19937 rng(7);
  std::vector<double> numbers;
  const TypeId kinds[] = {type::kF64, type::kF32, type::kI8, type::kI64, type::kU16, type::kU64, type::kStr, type::kBool, type::kObject};
  for (int i = 0; i < 3000; ++i) {
    TypeId kind = kinds[rng() % std::size(kinds)];
    double x = static_cast<int>(rng() % 200) - 100;
    double plotted = x;  // what the envelope should see of the child
    Value value;
    if (kind == type::kF64) {
      plotted = i % 97 == 0 ? kNaN : i % 89 == 0 ? -kInf : x / 8;
      value = Value::f64(plotted);
    } else if (kind == type::kF32) {
      plotted = x / 2;
      value = Value::f32(static_cast<float>(plotted));
    } else if (kind == type::kI8 || kind == type::kI64) {
      value = Value::i64(static_cast<int64_t>(x));
    } else if (kind == type::kU16 || kind == type::kU64) {
      plotted = std::abs(x);
      value = Value::u64(static_cast<uint64_t>(plotted));
    } else {
      plotted = kNaN;  // text is no number, whatever it says; nor is a bool or an object
      value = kind == type::kStr ? Value::str("12") : Value::boolean(true);
    }
    NodeRef child = kind == type::kObject ? t->create_node("o", kind) : t->create_node("n", kind, &value);
    t->add_child(*list, *child);
    numbers.push_back(plotted);
  }
  for (auto [from, to, buckets] : ranges_of(numbers.size(), rng)) {
    uint64_t end = std::min<uint64_t>(to, numbers.size());
    check_against(envelope_of(*list, from, to, static_cast<uint32_t>(buckets)), expected_of(numbers, from, end, static_cast<uint32_t>(buckets)), numbers.size());
  }
  // a u64 past 2^53 is plotted rounded, not refused
  Value huge = Value::u64(UINT64_MAX);
  NodeRef big = t->create_node("big", type::kObject);
  t->add_child(t->root(), *big);
  NodeRef leaf = t->create_node("x", type::kU64, &huge);
  t->add_child(*big, *leaf);
  CHECK(envelope_of(*big, 0, 1, 1).high[0] == 18446744073709551616.0);
}

TEST(a_million_values_in_a_thousand_runs) {
  TreeHolder t;
  std::vector<double> values(1'000'000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(static_cast<double>(i) / 1000) * 100;
  NodeRef array = array_node<double>(t, type::kF64Array, Element::kF64, values);
  Envelope e = envelope_of(*array, 0, UINT64_MAX, 1000);
  check_against(e, expected_of(values, 0, values.size(), 1000), values.size());
  CHECK(e.starts[1] == 1000 && e.to == 1'000'000 && e.plotted == 1'000'000);

  NodeRef list = t->create_node("list", type::kList);
  t->add_child(t->root(), *list);
  for (std::size_t i = 0; i < values.size(); ++i) {
    Value v = Value::f64(values[i]);
    NodeRef child = t->create_node("", type::kF64, &v);
    t->add_child(*list, *child);
  }
  check_against(envelope_of(*list, 250'000, 750'000, 999), expected_of(values, 250'000, 750'000, 999), values.size());
}

TEST(what_cannot_be_plotted_is_refused_with_what_to_do) {
  TreeHolder t;
  Value five = Value::i64(5);
  NodeRef leaf = t->create_node("leaf", type::kI64, &five);
  t->add_child(t->root(), *leaf);
  CHECK_THROWS(envelope_of(*leaf, 0, 1, 10), ErrorCode::kTypeMismatch, "'leaf' is a i64 node; plots are of array nodes");
  NodeRef array = array_node<float>(t, type::kF32Array, Element::kF32, {1, 2, 3});
  CHECK_THROWS(envelope_of(*array, 0, 3, 0), ErrorCode::kInvalidArgument, "buckets must be at least 1");
  CHECK_THROWS(envelope_of(*array, 0, 3, kMaxEnvelopeBuckets + 1), ErrorCode::kLimitExceeded, "at most 16384 buckets");
  CHECK_THROWS(envelope_of(*array, 4, 10, 10), ErrorCode::kInvalidArgument, "from 4 is past the end: the node has 3 elements");
  CHECK_THROWS(envelope_of(*array, 2, 1, 10), ErrorCode::kInvalidArgument, "from 2 is after to 1");
  NodeRef none = t->create_node("none", type::kObject);
  t->add_child(t->root(), *none);
  CHECK_THROWS(envelope_of(*none, 1, 1, 10), ErrorCode::kInvalidArgument, "the node has 0 children");
  Envelope empty = envelope_of(*array, 3, 3, 10);
  CHECK(empty.starts.empty() && empty.plotted == 0 && empty.total == 3);
}

TEST(an_envelope_reads_the_list_as_it_was_while_writers_append_and_rewrite) {
  TreeHolder t;
  NodeRef list = t->create_node("list", type::kList);
  t->add_child(t->root(), *list);
  std::atomic<bool> done{false};
  // every child holds its own index, then is rewritten to minus it: each run's numbers are its indices, one sign or the other
  std::thread writer([&] {
    for (int i = 0; i < 20'000; ++i) {
      Value v = Value::i64(i);
      NodeRef child = t->create_node("", type::kI64, &v);
      t->add_child(*list, *child);
      if (i % 3 == 0) t->set_value(*child, Value::i64(-i));
    }
    done = true;
  });
  uint64_t last_total = 0;
  while (!done) {
    Envelope e = envelope_of(*list, 0, UINT64_MAX, 64);
    CHECK(e.total >= last_total);
    CHECK(e.plotted + e.skipped == e.to - e.from && e.skipped == 0);
    for (std::size_t r = 0; r < e.starts.size(); ++r) {
      uint64_t end = r + 1 < e.starts.size() ? e.starts[r + 1] : e.to;
      CHECK(e.low[r] >= -static_cast<double>(end - 1) && e.high[r] <= static_cast<double>(end - 1));
    }
    last_total = e.total;
  }
  writer.join();
  CHECK(envelope_of(*list, 0, UINT64_MAX, 1).total == 20'000);
}

int main() { return check::run_all(); }
