#include "grove/value.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include "grove/error.h"
#include "grove/forms.h"

namespace grove {
namespace {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

bool is_int(const TypeInfo& t) { return t.bits != 0 && !t.is_float; }

Int128 int_of(const Value& v, const TypeInfo& t) {
  return t.is_signed ? Int128{static_cast<int64_t>(v.bits)} : Int128{v.bits};
}

Int128 min_of(const TypeInfo& t) { return t.is_signed ? -(Int128{1} << (t.bits - 1)) : 0; }
Int128 max_of(const TypeInfo& t) {
  return t.is_signed ? (Int128{1} << (t.bits - 1)) - 1 : (Int128{1} << t.bits) - 1;
}

std::string int128_text(Int128 x) {
  if (x == 0) return "0";
  bool negative = x < 0;
  UInt128 u = negative ? -static_cast<UInt128>(x) : static_cast<UInt128>(x);
  std::string s;
  for (; u != 0; u /= 10) s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
  return negative ? "-" + s : s;
}

Value int_value(Int128 x, TypeId to) { return {to, static_cast<uint64_t>(x), {}}; }

Value to_integer(const Value& v, const TypeInfo& from, const TypeInfo& to) {
  Int128 x;
  if (is_int(from)) {
    x = int_of(v, from);
  } else if (from.is_float) {
    double d = from.bits == 32 ? v.as_f32() : v.as_f64();
    if (!std::isfinite(d)) conversion_failure(v, to.id, "not a finite number");
    if (std::trunc(d) != d) conversion_failure(v, to.id, "not an integer");
    if (d < -9223372036854775808.0 || d >= 18446744073709551616.0) {
      conversion_failure(v, to.id, "out of range " + int128_text(min_of(to)) + ".." + int128_text(max_of(to)));
    }
    x = d < 0 ? Int128{static_cast<int64_t>(d)} : Int128{static_cast<uint64_t>(d)};
  } else {
    conversion_failure(v, to.id, "not a number");
  }
  if (x < min_of(to) || x > max_of(to)) {
    conversion_failure(v, to.id, "out of range " + int128_text(min_of(to)) + ".." + int128_text(max_of(to)));
  }
  return int_value(x, to.id);
}

Value to_float(const Value& v, const TypeInfo& from, const TypeInfo& to) {
  if (is_int(from)) {
    Int128 x = int_of(v, from);
    if (to.bits == 64) {
      double d = static_cast<double>(x);
      if (static_cast<Int128>(d) != x) conversion_failure(v, to.id, "not exactly representable");
      return Value::f64(d);
    }
    float f = static_cast<float>(x);
    if (static_cast<Int128>(f) != x) conversion_failure(v, to.id, "not exactly representable");
    return Value::f32(f);
  }
  if (!from.is_float) conversion_failure(v, to.id, "not a number");
  double d = from.bits == 32 ? v.as_f32() : v.as_f64();
  if (to.bits == 64) return Value::f64(d);
  float f = static_cast<float>(d);
  if (!std::isnan(d) && static_cast<double>(f) != d) conversion_failure(v, to.id, "not exactly representable");
  return Value::f32(f);
}

// A number as an exact long double (x86's has a 64-bit mantissa: every int64 and uint64).
long double number_of(const Value& v, const TypeInfo& t) {
  if (t.is_float) return t.bits == 32 ? v.as_f32() : v.as_f64();
  return t.is_signed ? static_cast<long double>(v.as_i64()) : static_cast<long double>(v.bits);
}

template <class T>
Ordering three_way(const T& a, const T& b) {
  return a < b ? Ordering::kLess : b < a ? Ordering::kGreater : Ordering::kEqual;
}

// Vectors and arrays: element by element, then by length.
Ordering compare_elements(const Value& a, const Value& b) {
  Elements x = elements_of(a), y = elements_of(b);
  for (std::size_t i = 0; i < std::min(x.count, y.count); ++i) {
    double p = element_at(x, i), q = element_at(y, i);
    if (std::isnan(p) || std::isnan(q)) return Ordering::kUnordered;
    if (p != q) return p < q ? Ordering::kLess : Ordering::kGreater;
  }
  return three_way(x.count, y.count);
}

// A value of a type with a text form against a str: in the value's type, so that a hash
// member compares with its hex, an address with its Base58Check; unordered when the text
// is not one of the type.
Ordering compare_with_text(const Value& typed, const Value& text) {
  Value converted;
  try {
    converted = convert(text, typed.type);
  } catch (const Error&) {
    return Ordering::kUnordered;
  }
  return compare(typed, converted);
}

Ordering reversed(Ordering o) {
  return o == Ordering::kLess ? Ordering::kGreater : o == Ordering::kGreater ? Ordering::kLess : o;
}

}  // namespace

void conversion_failure(const Value& v, TypeId to, const std::string& why) {
  fail(ErrorCode::kTypeMismatch,
       "cannot convert " + type_name(v.type) + " " + v.describe() + " to " + type_name(to) + ": " + why);
}

Value Value::f64(double v) { return {type::kF64, std::bit_cast<uint64_t>(v), {}}; }
Value Value::f32(float v) { return {type::kF32, std::bit_cast<uint32_t>(v), {}}; }
double Value::as_f64() const { return std::bit_cast<double>(bits); }
float Value::as_f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }

std::string Value::describe() const {
  constexpr std::size_t kShownBytes = 40;
  constexpr std::size_t kShownElements = 8;
  const TypeInfo* t = find_type(type);
  if (!t || t->structured) return type_name(type);
  if (type == type::kNull) return "null";
  if (type == type::kBool) return bits ? "true" : "false";
  if (type == type::kStr || has_text_form(type)) {
    std::string text = type == type::kStr ? blob : text_form(*this);
    std::string shown(1, '"');  // appends, not operator+: GCC 12 warns falsely on the latter (bug 105329)
    shown.append(text, 0, kShownBytes);
    if (text.size() > kShownBytes) shown += "...";
    shown += '"';
    return shown;
  }
  if (type == type::kBytes) return std::to_string(blob.size()) + " bytes";
  if (t->element != Element::kNone) {
    Elements e = elements_of(*this);
    if (e.count > kShownElements) return std::string(t->name) + " of " + std::to_string(e.count) + " elements";
    std::string out = "[";
    for (std::size_t i = 0; i < e.count; ++i) {
      char buf[32];
      if (i > 0) out += ", ";
      double x = element_at(e, i);
      out.append(buf, e.element == Element::kF32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(x)).ptr
                                                 : std::to_chars(buf, buf + sizeof buf, x).ptr);
    }
    return out + "]";
  }
  if (t->is_float) {
    char buf[32];
    auto end = t->bits == 32 ? std::to_chars(buf, buf + sizeof buf, as_f32()).ptr
                             : std::to_chars(buf, buf + sizeof buf, as_f64()).ptr;
    return std::string(buf, end);
  }
  return t->is_signed ? std::to_string(as_i64()) : std::to_string(bits);
}

Value convert_number(const Value& v, const TypeInfo& as, const TypeInfo& to) {
  return to.is_float ? to_float(v, as, to) : to_integer(v, as, to);
}

Value convert(const Value& v, TypeId to) {
  if (v.type == to) return v;
  const TypeInfo& from = type_info(v.type);
  const TypeInfo& target = type_info(to);
  if (target.structured) conversion_failure(v, to, type_name(to) + " nodes hold children, not a value");
  bool numbers = from.bits != 0 && target.bits != 0;
  if (!numbers) {
    if (std::optional<Value> converted = convert_form(v, from, target)) return std::move(*converted);
  }
  if (target.bits != 0) return target.is_float ? to_float(v, from, target) : to_integer(v, from, target);
  if (to == type::kBytes && v.type == type::kStr) return Value::bytes(v.blob);
  conversion_failure(v, to, "no exact conversion between these types");
}

Ordering compare(const Value& a, const Value& b) {
  const TypeInfo* ta = find_type(a.type);
  const TypeInfo* tb = find_type(b.type);
  if (!ta || !tb) return Ordering::kUnordered;
  if (ta->bits != 0 && tb->bits != 0) {
    if (is_int(*ta) && is_int(*tb)) return three_way(int_of(a, *ta), int_of(b, *tb));
    long double x = number_of(a, *ta), y = number_of(b, *tb);
    if (std::isnan(x) || std::isnan(y)) return Ordering::kUnordered;
    return three_way(x, y);
  }
  if (ta->element != Element::kNone && tb->element != Element::kNone) return compare_elements(a, b);
  if (a.type != b.type) {
    if (b.type == type::kStr && has_text_form(a.type)) return compare_with_text(a, b);
    if (a.type == type::kStr && has_text_form(b.type)) return reversed(compare_with_text(b, a));
    return Ordering::kUnordered;
  }
  if (a.type == type::kNull) return Ordering::kEqual;
  if (ta->storage == Storage::kInline) return three_way(a.bits, b.bits);  // bool, ipv4
  int c = a.blob.compare(b.blob);
  return c < 0 ? Ordering::kLess : c > 0 ? Ordering::kGreater : Ordering::kEqual;
}

Value zero_value(TypeId type) {
  if (std::size_t size = fixed_blob_size(type)) return {type, 0, std::string(size, '\0'), {}};
  return {type, 0, {}, {}};
}

bool Value::is_zero() const {
  if (array) return array->length() == 0;
  if (bits != 0) return false;
  if (fixed_blob_size(type) != 0) return std::all_of(blob.begin(), blob.end(), [](char c) { return c == 0; });
  return blob.empty();
}

}  // namespace grove
