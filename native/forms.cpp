#include "grove/forms.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "grove/chain.h"
#include "grove/error.h"
#include "grove/node.h"

namespace grove {
namespace {

static_assert(std::endian::native == std::endian::little, "element and vec4uc bytes are little-endian in memory");

bool is_hash(TypeId t) { return t == type::kHash || t == type::kBlockHash || t == type::kTxHash; }
bool shown_reversed(TypeId t) { return t == type::kBlockHash || t == type::kTxHash; }

std::string reversed(std::string bytes) {
  std::reverse(bytes.begin(), bytes.end());
  return bytes;
}

// --- Element form ---

// One element as a number: float kinds as a double, integer kinds as an int64.
struct Number {
  bool is_float;
  double f;
  int64_t i;
};

template <class T>
T load(const void* data, std::size_t i) {
  T x;
  std::memcpy(&x, static_cast<const char*>(data) + i * sizeof(T), sizeof(T));
  return x;
}

template <class T>
void store(void* data, std::size_t i, T x) {
  std::memcpy(static_cast<char*>(data) + i * sizeof(T), &x, sizeof(T));
}

Number read_element(Element element, const void* data, std::size_t i) {
  switch (element) {
    case Element::kF32: return {true, load<float>(data, i), 0};
    case Element::kF64: return {true, load<double>(data, i), 0};
    case Element::kI32: return {false, 0, load<int32_t>(data, i)};
    case Element::kI16: return {false, 0, load<int16_t>(data, i)};
    case Element::kU8: return {false, 0, load<uint8_t>(data, i)};
    case Element::kNone: break;
  }
  return {false, 0, 0};
}

std::string number_text(Number x) {
  if (!x.is_float) return std::to_string(x.i);
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, x.f).ptr);
}

template <class T>
const char* store_integer(void* data, std::size_t i, Number x, const char* out_of_range) {
  constexpr auto lo = std::numeric_limits<T>::min();
  constexpr auto hi = std::numeric_limits<T>::max();
  if (x.is_float) {
    if (!std::isfinite(x.f)) return "not a finite number";
    if (std::trunc(x.f) != x.f) return "not an integer";
    if (x.f < static_cast<double>(lo) || x.f > static_cast<double>(hi)) return out_of_range;
    store<T>(data, i, static_cast<T>(x.f));
    return nullptr;
  }
  if (x.i < static_cast<int64_t>(lo) || x.i > static_cast<int64_t>(hi)) return out_of_range;
  store<T>(data, i, static_cast<T>(x.i));
  return nullptr;
}

// Writes x as element i of kind `element`, or says why it is not exact there.
const char* store_exact(Element element, void* data, std::size_t i, Number x) {
  switch (element) {
    case Element::kF64:
      // Integer elements are at most 32 bits wide: always exact in a double.
      store<double>(data, i, x.is_float ? x.f : static_cast<double>(x.i));
      return nullptr;
    case Element::kF32: {
      double d = x.is_float ? x.f : static_cast<double>(x.i);
      if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) return "out of range for f32";
      float f = static_cast<float>(d);
      if (!std::isnan(d) && static_cast<double>(f) != d) return "not exactly representable as f32";
      store<float>(data, i, f);
      return nullptr;
    }
    case Element::kI32: return store_integer<int32_t>(data, i, x, "out of range for i32");
    case Element::kI16: return store_integer<int16_t>(data, i, x, "out of range for i16");
    case Element::kU8: return store_integer<uint8_t>(data, i, x, "out of range for u8");
    case Element::kNone: break;
  }
  return "not a number";
}

// A value of element type `to` with `count` elements for `fill(data)` to write.
template <class Fill>
Value make_elements(const TypeInfo& to, std::size_t count, Fill fill) {
  if (to.storage == Storage::kArray) {
    if (count == 0) return Value::array_of(to.id, {});
    ArrayRef array = ArrayRef::adopt(ArrayData::allocate(to.element, count));
    fill(array->data());
    return Value::array_of(to.id, std::move(array));
  }
  if (to.storage == Storage::kInline) {  // vec4uc
    uint64_t bits = 0;
    fill(&bits);
    return {to.id, bits, {}, {}};
  }
  std::string blob(count * element_size(to.element), '\0');
  fill(blob.data());
  return {to.id, 0, std::move(blob), {}};
}

Value convert_elements(const Value& v, const TypeInfo& from, const TypeInfo& to) {
  Elements source = elements_of(v);
  if (to.count != 0 && source.count != to.count) {
    conversion_failure(v, to.id, "it has " + std::to_string(source.count) + " elements, a " + std::string(to.name) +
                                     " has " + std::to_string(to.count));
  }
  if (from.element == to.element) {
    std::size_t bytes = source.count * element_size(to.element);
    return make_elements(to, source.count, [&](void* data) { std::memcpy(data, source.data, bytes); });
  }
  return make_elements(to, source.count, [&](void* data) {
    for (std::size_t i = 0; i < source.count; ++i) {
      Number x = read_element(source.element, source.data, i);
      if (const char* why = store_exact(to.element, data, i, x)) {
        conversion_failure(v, to.id, "element " + std::to_string(i) + " (" + number_text(x) + ") is " + why);
      }
    }
  });
}

// --- Text and byte forms ---

std::string ipv4_text(uint64_t bits) {
  return std::to_string((bits >> 24) & 255) + '.' + std::to_string((bits >> 16) & 255) + '.' +
         std::to_string((bits >> 8) & 255) + '.' + std::to_string(bits & 255);
}

// A dotted quad of decimal octets 0..255 without leading zeros, or nullopt.
std::optional<uint64_t> parse_ipv4(std::string_view text) {
  uint64_t bits = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    std::size_t digits = 0;
    while (digits < text.size() && digits < 4 && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 3 || (digits > 1 && text[0] == '0')) return std::nullopt;
    unsigned octet = 0;
    std::from_chars(text.data(), text.data() + digits, octet);
    if (octet > 255) return std::nullopt;
    bits = (bits << 8) | octet;
    text.remove_prefix(digits);
  }
  if (!text.empty()) return std::nullopt;
  return bits;
}

// A checked blob of a chain type, from its decoded bytes; empty means unset where allowed.
Value checked_chain_blob(const Value& v, TypeId to, std::string bytes) {
  const char* problem = nullptr;
  if (is_hash(to)) {
    if (bytes.size() != 32) problem = "a hash is 32 bytes";
  } else if (bytes.empty()) {
    // unset pubkey, address or der_sig
  } else if (to == type::kPubkey) {
    problem = chain::pubkey_problem(bytes);
  } else if (to == type::kAddress) {
    problem = chain::address_problem(bytes);
  } else if (to == type::kDerSig) {
    problem = chain::der_signature_problem(bytes);
  }
  if (problem) conversion_failure(v, to, problem);
  return {to, 0, std::move(bytes), {}};
}

Value from_text(const Value& v, TypeId to) {
  const std::string& text = v.blob;
  if (to == type::kVstr) return {to, 0, text, {}};
  if (to == type::kIpv4) {
    std::optional<uint64_t> bits = parse_ipv4(text);
    if (!bits) conversion_failure(v, to, "not a dotted quad of decimal octets 0..255 (\"192.168.0.1\")");
    return {to, *bits, {}, {}};
  }
  std::string bytes;
  if (to == type::kAddress) {
    if (!text.empty()) {
      if (const char* problem = chain::parse_base58check(text, bytes)) conversion_failure(v, to, problem);
    }
    return checked_chain_blob(v, to, std::move(bytes));
  }
  if (is_hash(to) && text.size() != 64) conversion_failure(v, to, "a hash is 64 hex digits");
  if (const char* problem = chain::parse_hex(text, bytes)) conversion_failure(v, to, problem);
  return checked_chain_blob(v, to, shown_reversed(to) ? reversed(std::move(bytes)) : std::move(bytes));
}

Value from_bytes(const Value& v, TypeId to) {
  const std::string& bytes = v.blob;
  switch (to) {
    case type::kU8Array:
      return make_elements(type_info(to), bytes.size(), [&](void* data) { std::memcpy(data, bytes.data(), bytes.size()); });
    case type::kVec4uc:
    case type::kIpv4: {
      if (bytes.size() != 4) conversion_failure(v, to, "it takes exactly 4 bytes");
      uint64_t bits = 0;
      for (int i = 0; i < 4; ++i) {
        auto byte = uint64_t{static_cast<uint8_t>(bytes[i])};
        bits |= to == type::kIpv4 ? byte << (24 - 8 * i) : byte << (8 * i);
      }
      return {to, bits, {}, {}};
    }
    case type::kVint: {
      uint64_t n = 0;
      std::size_t length = 0;
      if (const char* problem = chain::read_compact_size(bytes, n, length)) {
        conversion_failure(v, to, std::string("CompactSize ") + problem);
      }
      if (length != bytes.size()) conversion_failure(v, to, "bytes follow the CompactSize");
      return {to, n, {}, {}};
    }
    case type::kVstr: {
      uint64_t n = 0;
      std::size_t length = 0;
      if (const char* problem = chain::read_compact_size(bytes, n, length)) {
        conversion_failure(v, to, std::string("length CompactSize ") + problem);
      }
      if (n != bytes.size() - length) {
        conversion_failure(v, to, "the length says " + std::to_string(n) + " bytes, " +
                                      std::to_string(bytes.size() - length) + " follow");
      }
      std::string text = bytes.substr(length);
      if (!valid_utf8(text)) conversion_failure(v, to, "the text is not valid UTF-8");
      return {to, 0, std::move(text), {}};
    }
    default:
      return checked_chain_blob(v, to, bytes);
  }
}

}  // namespace

Elements elements_of(const Value& v) {
  const TypeInfo& t = type_info(v.type);
  switch (t.storage) {
    case Storage::kArray:
      return v.array ? Elements{t.element, v.array->length(), v.array->data()} : Elements{t.element, 0, nullptr};
    case Storage::kInline:
      return {t.element, t.count, &v.bits};
    default:
      return {t.element, v.blob.size() / element_size(t.element), v.blob.data()};
  }
}

double element_at(const Elements& elements, std::size_t i) {
  Number x = read_element(elements.element, elements.data, i);
  return x.is_float ? x.f : static_cast<double>(x.i);
}

bool has_text_form(TypeId type) {
  return is_hash(type) || type == type::kPubkey || type == type::kDerSig || type == type::kAddress ||
         type == type::kIpv4 || type == type::kVstr;
}

std::string text_form(const Value& v) {
  if (v.type == type::kIpv4) return ipv4_text(v.bits);
  if (v.type == type::kVstr) return v.blob;
  if (v.type == type::kAddress) return v.blob.empty() ? std::string() : chain::to_base58check(v.blob);
  return chain::to_hex(shown_reversed(v.type) ? reversed(v.blob) : v.blob);
}

bool has_byte_form(TypeId type) {
  return is_hash(type) || type == type::kPubkey || type == type::kDerSig || type == type::kAddress ||
         type == type::kVint || type == type::kVstr || type == type::kIpv4 || type == type::kVec4uc ||
         type == type::kU8Array;
}

std::string byte_form(const Value& v) {
  switch (v.type) {
    case type::kVint:
      return chain::compact_size(v.bits);
    case type::kVstr:
      return chain::compact_size(v.blob.size()) + v.blob;
    case type::kIpv4:
      return {static_cast<char>(v.bits >> 24), static_cast<char>(v.bits >> 16), static_cast<char>(v.bits >> 8),
              static_cast<char>(v.bits)};
    case type::kVec4uc:
    case type::kU8Array: {
      Elements e = elements_of(v);
      return std::string(static_cast<const char*>(e.data), e.count);
    }
    default:
      return v.blob;
  }
}

std::optional<Value> convert_form(const Value& v, const TypeInfo& from, const TypeInfo& to) {
  if (from.element != Element::kNone && to.element != Element::kNone) return convert_elements(v, from, to);
  if (v.type == type::kStr && has_text_form(to.id)) return from_text(v, to.id);
  if (to.id == type::kStr && has_text_form(v.type)) return Value::str(text_form(v));
  if (v.type == type::kBytes && has_byte_form(to.id)) return from_bytes(v, to.id);
  if (to.id == type::kBytes && has_byte_form(v.type)) return Value::bytes(byte_form(v));
  if (is_hash(v.type) && is_hash(to.id)) return Value{to.id, 0, v.blob, {}};
  if (v.type == type::kIpv4 && to.bits != 0) return convert_number(v, type_info(type::kU32), to);
  if (to.id == type::kIpv4 && from.bits != 0) {
    try {
      return Value{type::kIpv4, convert(v, type::kU32).bits, {}, {}};
    } catch (const Error&) {
      conversion_failure(v, to.id, "not an integer in 0..4294967295");
    }
  }
  return std::nullopt;
}

std::size_t fixed_blob_size(TypeId type) {
  if (is_hash(type)) return 32;
  const TypeInfo* t = find_type(type);
  return t && t->storage == Storage::kBlob && t->count != 0 ? t->count * element_size(t->element) : 0;
}

}  // namespace grove
