// The forms the geometry, array and chain types take besides their stored bytes, and the
// exact conversions those forms give (DESIGN "Types": a read converts where it is exact).
//
// - Element form (vectors, rect, vec4uc, arrays): a sequence of numbers of one kind.
//   Any two element types convert element by element when every number is exact in the
//   target kind and, for a vector, the count is right: vec3 <-> f32array, i32array ->
//   vec4uc when each value is 0..255, f64array -> vec2 when both are exact f32s.
// - Text form, to and from str: hash (64 hex digits; block_hash and tx_hash in Bitcoin's
//   reversed byte order), pubkey and der_sig (hex), address (Base58Check), ipv4 (dotted
//   quad), vstr (its text).
// - Byte form, to and from bytes: hash (32 bytes, internal order), pubkey (SEC1), address
//   (version byte and hash160), der_sig (DER), vint (CompactSize), vstr (CompactSize
//   length and UTF-8), ipv4 (4 bytes, network order), vec4uc (RGBA), u8array (its bytes).
// - hash, block_hash and tx_hash convert to each other (the same 32 bytes); ipv4 converts
//   to and from the integer types as the u32 a.b.c.d = a<<24 | b<<16 | c<<8 | d.
//
// pubkey, address and der_sig may be empty (text "", no bytes): what a node of the type
// holds before it is set. Every other value is checked when it is made.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "grove/value.h"

namespace grove {

// A vector or array value's numbers: `count` elements of kind `element` at `data`,
// readable while the value lives.
struct Elements {
  Element element;
  std::size_t count;
  const void* data;
};
Elements elements_of(const Value& v);
// Element i as a double (exact for every element kind).
double element_at(const Elements& elements, std::size_t i);

bool has_text_form(TypeId type);
std::string text_form(const Value& v);
bool has_byte_form(TypeId type);
std::string byte_form(const Value& v);

// The conversion of a value of `from` to `to` when one of them is a geometry, array or
// chain type: nullopt when the two types have none; throws TypeMismatch when they have
// one that this value does not pass.
std::optional<Value> convert_form(const Value& v, const TypeInfo& from, const TypeInfo& to);

// The size of the stored bytes of a fixed-size type (vec2, vec3, mat3x3, rect, the
// hashes), else 0.
std::size_t fixed_blob_size(TypeId type);

// The numeric conversion of v's bits read as a number of type `as` (ipv4 as a u32), with
// errors naming v's own type.
Value convert_number(const Value& v, const TypeInfo& as, const TypeInfo& to);

// Throws the TypeMismatch of a refused conversion: "cannot convert <from> <value> to
// <to>: <why>".
[[noreturn]] void conversion_failure(const Value& v, TypeId to, const std::string& why);

}  // namespace grove
