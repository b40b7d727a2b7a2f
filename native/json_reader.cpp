#include "json_reader.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "grove/array.h"
#include "grove/error.h"
#include "grove/forms.h"
#include "grove/node.h"

namespace grove {

void JsonReader::error(const std::string& what) const {
  fail(ErrorCode::kInvalidArgument, "JSON at offset " + std::to_string(at_) + ": " + what);
}

void JsonReader::skip_space() {
  while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t')) ++at_;
}

char JsonReader::peek() {
  skip_space();
  return at_ < text_.size() ? text_[at_] : '\0';
}

void JsonReader::expect(char c) {
  if (peek() != c) error(std::string("expected '") + c + "'");
  ++at_;
}

bool JsonReader::take_first() {
  if (open_.empty()) error("a member or item outside an object or array");
  bool first = open_.back();
  open_.back() = false;
  return first;
}

bool JsonReader::next_key(std::string& key) {
  if (peek() == '}') {
    ++at_;
    open_.pop_back();
    return false;
  }
  if (!take_first()) expect(',');
  key = string();
  expect(':');
  return true;
}

bool JsonReader::next_item() {
  if (peek() == ']') {
    ++at_;
    open_.pop_back();
    return false;
  }
  if (!take_first()) expect(',');
  return true;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string JsonReader::string() {
  expect('"');
  std::string out;
  std::size_t run = at_;
  auto hex4 = [&]() {
    if (at_ + 4 > text_.size()) error("a \\u escape needs 4 hex digits");
    uint32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      int d = hex_digit(text_[at_ + k]);
      if (d < 0) error("a \\u escape needs 4 hex digits");
      cp = cp << 4 | static_cast<uint32_t>(d);
    }
    at_ += 4;
    return cp;
  };
  for (;;) {
    if (at_ >= text_.size()) error("a string that does not end");
    char c = text_[at_];
    if (c == '"') break;
    if (static_cast<unsigned char>(c) < 0x20) error("a control character inside a string");
    if (c != '\\') {
      ++at_;
      continue;
    }
    out.append(text_, run, at_ - run);
    if (++at_ >= text_.size()) error("a string that does not end");
    char e = text_[at_++];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp = hex4();
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (at_ + 1 >= text_.size() || text_[at_] != '\\' || text_[at_ + 1] != 'u') error("a lone surrogate in a string");
          at_ += 2;
          uint32_t low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) error("a lone surrogate in a string");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          error("a lone surrogate in a string");
        }
        append_utf8(out, cp);
        break;
      }
      default:
        error(std::string("an unknown escape '\\") + e + "'");
    }
    run = at_;
  }
  out.append(text_, run, at_ - run);
  ++at_;
  if (!valid_utf8(out)) error("a string that is not valid UTF-8");
  return out;
}

void JsonReader::skip_string() {
  expect('"');
  while (at_ < text_.size() && text_[at_] != '"') at_ += text_[at_] == '\\' ? 2 : 1;
  if (at_ >= text_.size()) error("a string that does not end");
  ++at_;
}

std::string_view JsonReader::number() {
  skip_space();
  std::size_t start = at_;
  auto digits = [&]() {
    std::size_t from = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ - from;
  };
  if (at_ < text_.size() && text_[at_] == '-') ++at_;
  std::size_t whole = digits();
  if (whole == 0 || (whole > 1 && text_[at_ - whole] == '0')) error("expected a number");
  if (at_ < text_.size() && text_[at_] == '.') {
    ++at_;
    if (digits() == 0) error("a number with no digits after '.'");
  }
  if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
    ++at_;
    if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
    if (digits() == 0) error("a number with no digits in its exponent");
  }
  return text_.substr(start, at_ - start);
}

uint64_t JsonReader::unsigned_integer() {
  std::string_view digits = number();
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) error("expected a non-negative integer");
  return n;
}

bool JsonReader::boolean() {
  skip_space();
  if (text_.substr(at_, 4) == "true") {
    at_ += 4;
    return true;
  }
  if (text_.substr(at_, 5) == "false") {
    at_ += 5;
    return false;
  }
  error("expected true or false");
}

void JsonReader::null() {
  skip_space();
  if (text_.substr(at_, 4) != "null") error("expected null");
  at_ += 4;
}

std::string_view JsonReader::skip() {
  skip_space();
  std::size_t start = at_;
  std::size_t depth = 0;
  do {
    char c = peek();
    if (c == '{' || c == '[') {
      ++at_;
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) error("an unexpected '" + std::string(1, c) + "'");
      ++at_;
      --depth;
    } else if (c == ',' || c == ':') {
      if (depth == 0) error("an unexpected '" + std::string(1, c) + "'");
      ++at_;
    } else if (c == '"') {
      skip_string();
    } else if (c == 't' || c == 'f') {
      boolean();
    } else if (c == 'n') {
      null();
    } else {
      number();
    }
  } while (depth > 0);
  return text_.substr(start, at_ - start);
}

void JsonReader::end() {
  if (peek() != '\0') error("text after the end of the document");
}

// --- typed values -----------------------------------------------------------------------

TypeId read_type_name(const JsonReader& reader, std::string_view name) {
  if (const TypeInfo* t = find_type(name)) return t->id;
  if (name.size() == 10 && name.substr(0, 2) == "0x") {
    TypeId id = 0;
    auto [end, ec] = std::from_chars(name.data() + 2, name.data() + name.size(), id, 16);
    if (ec == std::errc() && end == name.data() + name.size() && is_user_type(id)) return id;
  }
  reader.error("unknown type \"" + std::string(name) + "\"");
}

namespace {

// An integer as typed JSON writes it: a number, or a decimal string beyond 2^53.
Value read_integer(JsonReader& r) {
  std::string text = r.peek() == '"' ? r.string() : std::string(r.number());
  bool negative = !text.empty() && text[0] == '-';
  const char* first = text.data() + (negative ? 1 : 0);
  const char* last = text.data() + text.size();
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(first, last, magnitude);
  if (ec != std::errc() || end != last || first == last) r.error("expected an integer, got " + text);
  if (!negative) return Value::u64(magnitude);
  if (magnitude > uint64_t{1} << 63) r.error("an integer below the smallest i64: " + text);
  return Value::i64(static_cast<int64_t>(0 - magnitude));
}

template <class Float>
Float read_float(JsonReader& r) {
  if (r.peek() == '"') {
    std::string text = r.string();
    if (text == "NaN") return std::numeric_limits<Float>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<Float>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<Float>::infinity();
    if (text == "-0") return -Float{0};
    r.error("expected a number, got \"" + text + "\"");
  }
  std::string_view text = r.number();
  Float f = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), f);
  if (ec != std::errc() || end != text.data() + text.size()) r.error("a number out of range: " + std::string(text));
  return f;
}

std::string base64_decoded(JsonReader& r, const std::string& text) {
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) r.error("base64 whose length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
    if (pad > 0 && i + 4 != text.size()) r.error("base64 padding before the end");
    uint32_t n = 0;
    for (int k = 0; k < 4 - pad; ++k) {
      int s = sextet(text[i + k]);
      if (s < 0) r.error("a character that is not base64");
      n |= static_cast<uint32_t>(s) << (18 - 6 * k);
    }
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>(n >> 8);
    if (pad < 1) out += static_cast<char>(n);
  }
  return out;
}

TypeId array_type_of(Element element) {
  switch (element) {
    case Element::kF32: return type::kF32Array;
    case Element::kF64: return type::kF64Array;
    case Element::kI32: return type::kI32Array;
    case Element::kI16: return type::kI16Array;
    case Element::kU8: return type::kU8Array;
    case Element::kNone: break;
  }
  return type::kNull;
}

// The numbers of a vector or array, as an array of their element kind.
Value read_elements(JsonReader& r, Element element) {
  std::vector<double> numbers;  // exact for every element kind; f32s go through float below
  std::vector<float> floats;
  r.begin_array();
  while (r.next_item()) {
    if (element == Element::kF32) {
      floats.push_back(read_float<float>(r));
    } else if (element == Element::kF64) {
      numbers.push_back(read_float<double>(r));
    } else {
      Value v = read_integer(r);
      numbers.push_back(v.type == type::kI64 ? static_cast<double>(v.as_i64()) : static_cast<double>(v.bits));
    }
  }
  std::size_t count = element == Element::kF32 ? floats.size() : numbers.size();
  if (count == 0) return Value::array_of(array_type_of(element), {});
  ArrayRef data = ArrayRef::adopt(ArrayData::allocate(element, count));
  for (std::size_t i = 0; i < count; ++i) {
    switch (element) {
      case Element::kF32: data->as<float>()[i] = floats[i]; break;
      case Element::kF64: data->as<double>()[i] = numbers[i]; break;
      case Element::kI32:
        if (numbers[i] < INT32_MIN || numbers[i] > INT32_MAX) r.error("an i32 element out of range");
        data->as<int32_t>()[i] = static_cast<int32_t>(numbers[i]);
        break;
      case Element::kI16:
        if (numbers[i] < INT16_MIN || numbers[i] > INT16_MAX) r.error("an i16 element out of range");
        data->as<int16_t>()[i] = static_cast<int16_t>(numbers[i]);
        break;
      case Element::kU8:
        if (numbers[i] < 0 || numbers[i] > 255) r.error("a u8 element out of range");
        data->as<uint8_t>()[i] = static_cast<uint8_t>(numbers[i]);
        break;
      case Element::kNone: break;
    }
  }
  return Value::array_of(array_type_of(element), std::move(data));
}

}  // namespace

Value read_typed_value(JsonReader& r, TypeId type) {
  const TypeInfo& t = type_info(type);
  if (type == type::kNull || t.structured) {
    r.null();
    return Value::null();
  }
  if (type == type::kBool) return Value::boolean(r.boolean());
  if (type == type::kStr) return Value::str(r.string());
  if (type == type::kBytes) return Value::bytes(base64_decoded(r, r.string()));
  if (t.element != Element::kNone) return convert(read_elements(r, t.element), type);
  if (has_text_form(type)) return convert(Value::str(r.string()), type);
  if (t.is_float) return t.bits == 32 ? Value::f32(read_float<float>(r)) : Value::f64(read_float<double>(r));
  return convert(read_integer(r), type);
}

}  // namespace grove
