// A pull reader of JSON text, for what the core itself wrote (records and snapshots,
// grove/record.h): typed values are read back exactly as json_writer.cpp wrote them.
// Every error throws InvalidArgument naming what was expected and the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/value.h"

namespace grove {

class JsonReader {
 public:
  explicit JsonReader(std::string_view text, std::size_t offset = 0) : text_(text), at_(offset) {}

  // The next significant character, without taking it (0 at the end).
  char peek();
  // Takes `c` or fails.
  void expect(char c);
  // Objects: begin_object(), then while (next_key(key)) { read the member's value }.
  void begin_object() {
    expect('{');
    open_.push_back(true);
  }
  bool next_key(std::string& key);
  // Arrays: begin_array(), then while (next_item()) { read the item }.
  void begin_array() {
    expect('[');
    open_.push_back(true);
  }
  bool next_item();

  std::string string();
  // A number token as written (validated as JSON's grammar).
  std::string_view number();
  uint64_t unsigned_integer();  // a non-negative integer that fits 64 bits
  bool boolean();
  void null();
  // Skips one value; returns its text.
  std::string_view skip();
  // Fails unless only whitespace is left.
  void end();

  std::size_t offset() const noexcept { return at_; }
  [[noreturn]] void error(const std::string& what) const;

 private:
  void skip_space();
  void skip_string();

  // Whether the next member or item is the first, per open object or array.
  bool take_first();

  std::string_view text_;
  std::size_t at_;
  std::vector<bool> open_;
};

// A leaf value of `type` in typed JSON (grove/json.h, JsonFormat::kTyped), read exactly:
// integers beyond 2^53 as decimal strings, non-finite floats and -0 as "NaN", "Infinity",
// "-Infinity", "-0", bytes in base64, vectors and arrays as arrays of their numbers, chain
// types and ipv4 in their text form. A value that does not fit the type is TypeMismatch.
Value read_typed_value(JsonReader& reader, TypeId type);

// A type as typed JSON names it: a built-in name, or an application type's id "0x10000001".
TypeId read_type_name(const JsonReader& reader, std::string_view name);

}  // namespace grove
