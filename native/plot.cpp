#include "grove/plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "grove/array.h"
#include "grove/error.h"

namespace grove {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Cuts [from, to) into runs and folds numbers into them: add(i, x) for index i, in order.
class Folder {
 public:
  Folder(Envelope& out, uint32_t buckets) : out_(out) {
    uint64_t n = out.to - out.from;
    uint64_t runs = std::min<uint64_t>(buckets, n);
    out.starts.resize(runs);
    out.low.assign(runs, kNaN);
    out.high.assign(runs, kNaN);
    // run i starts at from + floor(i * n / runs): runs differ in length by one at most
    // (i * n < 2^14 * 2^32: no overflow)
    for (uint64_t i = 0; i < runs; ++i) out.starts[i] = out.from + i * n / runs;
    next_ = runs > 1 ? out.starts[1] : out.to;
  }

  void add(uint64_t index, double x) {
    while (index >= next_) next_ = ++run_ + 1 < out_.starts.size() ? out_.starts[run_ + 1] : out_.to;
    if (!std::isfinite(x)) return skip();
    double& low = out_.low[run_];
    double& high = out_.high[run_];
    if (!(x >= low)) low = x;  // NaN (no number yet) compares false
    if (!(x <= high)) high = x;
    ++out_.plotted;
  }

  void skip() { ++out_.skipped; }

 private:
  Envelope& out_;
  std::size_t run_ = 0;
  uint64_t next_;
};

template <class T>
void fold_elements(const ArrayData* data, Envelope& out, uint32_t buckets) {
  Folder folder(out, buckets);
  const T* elements = data ? data->as<T>() : nullptr;
  for (uint64_t i = out.from; i < out.to; ++i) folder.add(i, static_cast<double>(elements[i]));
}

void fold_array(const Value& value, Envelope& out, uint32_t buckets) {
  const ArrayData* data = value.array.get();
  switch (type_info(value.type).element) {
    case Element::kF32: return fold_elements<float>(data, out, buckets);
    case Element::kF64: return fold_elements<double>(data, out, buckets);
    case Element::kI32: return fold_elements<int32_t>(data, out, buckets);
    case Element::kI16: return fold_elements<int16_t>(data, out, buckets);
    default: return fold_elements<uint8_t>(data, out, buckets);
  }
}

// A scalar integer or float type: the children a list of numbers is made of.
bool is_number(const TypeInfo& t) { return family(t.id) == family(type::kI8) && t.bits != 0; }

double number_of(const TypeInfo& t, const Value& v) {
  if (t.is_float) return t.bits == 32 ? static_cast<double>(v.as_f32()) : v.as_f64();
  return t.is_signed ? static_cast<double>(v.as_i64()) : static_cast<double>(v.bits);
}

void fold_children(const Snapshot& children, Envelope& out, uint32_t buckets) {
  Folder folder(out, buckets);
  for (uint64_t i = out.from; i < out.to; ++i) {
    const Node& child = *children.at(i);
    const TypeInfo& t = type_info(child.type());
    // only a number's value is read: a list of long strings costs no copies
    if (is_number(t)) folder.add(i, number_of(t, child.value()));
    else folder.skip();
  }
}

// The whole node's size and the range asked for, refused when it does not fit in it.
void set_range(Envelope& out, uint64_t total, uint64_t from, uint64_t to, const char* what) {
  if (from > to) fail(ErrorCode::kInvalidArgument, "plot: from " + std::to_string(from) + " is after to " + std::to_string(to));
  if (from > total) {
    fail(ErrorCode::kInvalidArgument, "plot: from " + std::to_string(from) + " is past the end: the node has " +
                                          std::to_string(total) + " " + what);
  }
  out.total = total;
  out.from = from;
  out.to = std::min(to, total);
}

}  // namespace

Envelope envelope_of(const Node& node, uint64_t from, uint64_t to, uint32_t buckets) {
  if (buckets == 0) fail(ErrorCode::kInvalidArgument, "plot: buckets must be at least 1");
  if (buckets > kMaxEnvelopeBuckets) {
    fail(ErrorCode::kLimitExceeded, "plot: at most " + std::to_string(kMaxEnvelopeBuckets) + " buckets, not " +
                                        std::to_string(buckets));
  }
  const TypeInfo& t = type_info(node.type());
  Envelope out;
  if (t.storage == Storage::kArray) {
    Value value = node.value();  // holds the buffer while the runs are folded
    set_range(out, value.array ? value.array->length() : 0, from, to, "elements");
    fold_array(value, out, buckets);
  } else if (t.structured) {
    Snapshot children = node.children();  // the list as it is now, whatever writers do meanwhile
    set_range(out, children.size(), from, to, "children");
    fold_children(children, out, buckets);
  } else {
    fail(ErrorCode::kTypeMismatch, "plot: '" + node.path() + "' is a " + type_name(node.type()) +
                                       " node; plots are of array nodes and of nodes whose children are numbers");
  }
  return out;
}

}  // namespace grove
