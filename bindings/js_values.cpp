#include "js_values.h"

#include <cmath>
#include <cstring>
#include <optional>

#include "grove/error.h"
#include "grove/forms.h"

namespace grove::bindings {
namespace {

constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1

// The kind of a TypedArray, or nullopt for anything else.
std::optional<napi_typedarray_type> typed_array_of(napi_env env, napi_value value) {
  bool typed = false;
  napi_is_typedarray(env, value, &typed);
  if (!typed) return std::nullopt;
  napi_typedarray_type kind;
  napi_get_typedarray_info(env, value, &kind, nullptr, nullptr, nullptr, nullptr);
  return kind;
}

const char* typed_array_name(napi_typedarray_type kind) {
  switch (kind) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

// The array type a TypedArray's elements are, or 0.
TypeId array_type_of(napi_typedarray_type kind) {
  switch (kind) {
    case napi_float32_array: return type::kF32Array;
    case napi_float64_array: return type::kF64Array;
    case napi_int32_array: return type::kI32Array;
    case napi_int16_array: return type::kI16Array;
    default: return 0;
  }
}

Value typed_array_value(napi_env env, napi_value value, TypeId type) {
  void* data = nullptr;
  std::size_t length = 0;
  napi_get_typedarray_info(env, value, nullptr, &length, &data, nullptr, nullptr);
  if (length == 0) return Value::array_of(type, {});
  ArrayRef array = ArrayRef::adopt(ArrayData::allocate(type_info(type).element, length));
  std::memcpy(array->data(), data, array->bytes());
  return Value::array_of(type, std::move(array));
}

// An array of numbers as an f64array, which converts exactly to any vector or array type.
Value number_array_value(napi_env env, napi_value value, const std::string& where) {
  uint32_t length = 0;
  napi_get_array_length(env, value, &length);
  if (length == 0) return Value::array_of(type::kF64Array, {});
  ArrayRef array = ArrayRef::adopt(ArrayData::allocate(Element::kF64, length));
  for (uint32_t i = 0; i < length; ++i) {
    napi_value element;
    napi_get_element(env, value, i, &element);
    if (napi_get_value_double(env, element, &array->as<double>()[i]) != napi_ok) {
      fail(ErrorCode::kInvalidArgument, where + "[" + std::to_string(i) + "] is " + js_type_name(env, element) +
                                            ": an array value holds numbers only");
    }
  }
  return Value::array_of(type::kF64Array, std::move(array));
}

Napi::Value numbers_to_js(Napi::Env env, const Value& value) {
  Elements e = elements_of(value);
  Napi::Array out = Napi::Array::New(env, e.count);
  for (uint32_t i = 0; i < e.count; ++i) out.Set(i, Napi::Number::New(env, element_at(e, i)));
  return out;
}

Value bigint_value(napi_env env, napi_value value, const std::string& where) {
  int sign = 0;
  std::size_t count = 2;
  uint64_t words[2] = {0, 0};
  napi_get_value_bigint_words(env, value, &sign, &count, words);
  bool fits = count <= 1 && (!sign || words[0] <= (uint64_t{1} << 63));
  if (!fits) {
    fail(ErrorCode::kTypeMismatch, where + " is a BigInt beyond 64 bits: the largest integer a node holds is a u64 "
                                           "(0..2^64-1) or an i64 (-2^63..2^63-1)");
  }
  if (sign) return Value::i64(static_cast<int64_t>(0 - words[0]));
  return words[0] <= INT64_MAX ? Value::i64(static_cast<int64_t>(words[0])) : Value::u64(words[0]);
}

}  // namespace

std::string string_from_js(napi_env env, napi_value value, const std::string& what) {
  std::size_t length = 0;
  napi_get_value_string_utf8(env, value, nullptr, 0, &length);
  std::string out(length, '\0');
  napi_get_value_string_utf8(env, value, out.data(), length + 1, &length);
  // V8 writes U+FFFD for a lone surrogate; only a string with U+FFFD in it can hold one
  if (out.find("\xEF\xBF\xBD") == std::string::npos) return out;
  napi_get_value_string_utf16(env, value, nullptr, 0, &length);
  std::u16string units(length, u'\0');
  napi_get_value_string_utf16(env, value, units.data(), length + 1, &length);
  for (std::size_t k = 0; k < length; ++k) {
    char16_t unit = units[k];
    bool high = unit >= 0xD800 && unit <= 0xDBFF, low = unit >= 0xDC00 && unit <= 0xDFFF;
    if (high && k + 1 < length && units[k + 1] >= 0xDC00 && units[k + 1] <= 0xDFFF) {
      ++k;
    } else if (high || low) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      std::string code = "U+";
      for (int shift = 12; shift >= 0; shift -= 4) code += kHex[(unit >> shift) & 15];
      fail(ErrorCode::kInvalidArgument, what + " holds an unpaired surrogate (" + code + " at index " + std::to_string(k) +
                                            "), which has no UTF-8 form: send well-formed Unicode text");
    }
  }
  return out;
}

std::string js_type_name(Napi::Env env, napi_value value) {
  napi_valuetype type = napi_undefined;
  napi_typeof(env, value, &type);
  switch (type) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
    case napi_object: {
      bool array = false;
      napi_is_array(env, value, &array);
      if (array) return "array";
      if (std::optional<napi_typedarray_type> kind = typed_array_of(env, value)) return typed_array_name(*kind);
      return "object";
    }
  }
  return "unknown";
}

bool Args::has(std::size_t i) const {
  napi_valuetype type = napi_undefined;
  if (i + offset_ < info_.Length()) napi_typeof(info_.Env(), info_[i + offset_], &type);
  return type != napi_undefined;
}

void Args::fail_type(std::size_t i, const char* what, const char* expected) const {
  fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): " + what + " must be " + expected + ", got " +
                                        js_type_name(info_.Env(), info_[i + offset_]));
}

double Args::tree() const {
  double handle;
  if (napi_get_value_double(info_.Env(), info_[0], &handle) != napi_ok) {
    fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): the tree handle must be a number, got " +
                                          js_type_name(info_.Env(), info_[0]));
  }
  return handle;
}

double Args::handle(std::size_t i) const {
  double handle;
  if (napi_get_value_double(info_.Env(), info_[i + offset_], &handle) != napi_ok) fail_type(i, "the handle", "a number");
  return handle;
}

std::string Args::string(std::size_t i, const char* what) const {
  napi_valuetype type = napi_undefined;
  napi_typeof(info_.Env(), info_[i + offset_], &type);
  if (type != napi_string) fail_type(i, what, "a string");
  return string_from_js(info_.Env(), info_[i + offset_], std::string(function_) + "(): " + what);
}

bool Args::boolean(std::size_t i, const char* what) const {
  bool b = false;
  if (napi_get_value_bool(info_.Env(), info_[i + offset_], &b) != napi_ok) fail_type(i, what, "a boolean");
  return b;
}

TypeId Args::type_id(std::size_t i) const {
  double d;
  if (napi_get_value_double(info_.Env(), info_[i + offset_], &d) != napi_ok) fail_type(i, "the type id", "a number");
  if (!(d >= 0 && d <= UINT32_MAX) || std::trunc(d) != d) {
    fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): type id " + std::to_string(d) +
                                          " is not a 32-bit unsigned integer");
  }
  return static_cast<TypeId>(d);
}

uint64_t Args::index(std::size_t i, const char* what) const {
  double d;
  if (napi_get_value_double(info_.Env(), info_[i + offset_], &d) != napi_ok) fail_type(i, what, "a number");
  if (!(d >= 0 && d <= kMaxSafe) || std::trunc(d) != d) {
    fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): " + what + " must be a non-negative integer, got " +
                                          Value::f64(d).describe());
  }
  return static_cast<uint64_t>(d);
}

uint64_t Args::id(std::size_t i) const {
  napi_env env = info_.Env();
  napi_valuetype type = napi_undefined;
  napi_typeof(env, info_[i + offset_], &type);
  if (type == napi_bigint) {
    Value v = bigint_value(env, info_[i + offset_], std::string(function_) + "(): the id");
    if (v.type == type::kI64 && v.as_i64() < 0) {
      fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): an id is never negative");
    }
    return v.bits;
  }
  if (type != napi_number) fail_type(i, "the id", "a number or a bigint");
  return index(i, "the id");
}

Value Args::value(std::size_t i, const char* what) const {
  return value_from_js(info_.Env(), info_[i + offset_], std::string(function_) + "(): " + what);
}

Value value_from_js(Napi::Env env, napi_value value, const std::string& where) {
  napi_valuetype type = napi_undefined;
  napi_typeof(env, value, &type);
  switch (type) {
    case napi_null:
      return Value::null();
    case napi_boolean: {
      bool b = false;
      napi_get_value_bool(env, value, &b);
      return Value::boolean(b);
    }
    case napi_number: {
      double d = 0;
      napi_get_value_double(env, value, &d);
      return Value::f64(d);
    }
    case napi_bigint:
      return bigint_value(env, value, where);
    case napi_string:
      return Value::str(string_from_js(env, value, where));
    case napi_object: {
      bool array = false;
      napi_is_array(env, value, &array);
      if (array) return number_array_value(env, value, where);
      std::optional<napi_typedarray_type> kind = typed_array_of(env, value);
      if (kind == napi_uint8_array) {
        void* data = nullptr;
        std::size_t length = 0;
        napi_get_typedarray_info(env, value, nullptr, &length, &data, nullptr, nullptr);
        return Value::bytes(std::string_view(static_cast<const char*>(data), length));
      }
      if (kind && array_type_of(*kind) != 0) return typed_array_value(env, value, array_type_of(*kind));
      break;
    }
    default:
      break;
  }
  fail(ErrorCode::kInvalidArgument, where + " must be a number, bigint, boolean, string, null, an array of numbers, "
                                            "or a Uint8Array, Float32Array, Float64Array, Int32Array or Int16Array, got " +
                                        js_type_name(env, value));
}

Napi::Value u64_to_js(Napi::Env env, uint64_t n) {
  if (n <= static_cast<uint64_t>(kMaxSafe)) return Napi::Number::New(env, static_cast<double>(n));
  return Napi::BigInt::New(env, n);
}

napi_typedarray_type typed_array_kind(Element element) {
  switch (element) {
    case Element::kF32: return napi_float32_array;
    case Element::kF64: return napi_float64_array;
    case Element::kI32: return napi_int32_array;
    case Element::kI16: return napi_int16_array;
    default: return napi_uint8_array;
  }
}

Napi::Value typed_array_copy(Napi::Env env, const Value& array) {
  Elements e = elements_of(array);
  std::size_t bytes = e.count * element_size(e.element);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), e.data, bytes);
  napi_value out;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, typed_array_kind(e.element), e.count, buffer, 0, &out), Napi::Value());
  return Napi::Value(env, out);
}

Napi::Value value_to_js(Napi::Env env, const Value& value) {
  const TypeInfo* info = find_type(value.type);
  if (!info || info->storage == Storage::kNone) return env.Null();
  if (value.type == type::kBool) return Napi::Boolean::New(env, value.bits != 0);
  if (value.type == type::kStr) return Napi::String::New(env, value.blob.data(), value.blob.size());
  if (value.type == type::kBytes) {
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, value.blob.size());
    if (!value.blob.empty()) std::memcpy(buffer.Data(), value.blob.data(), value.blob.size());
    return Napi::Uint8Array::New(env, value.blob.size(), buffer, 0);
  }
  if (info->storage == Storage::kArray) return typed_array_copy(env, value);
  if (info->element != Element::kNone) return numbers_to_js(env, value);
  if (has_text_form(value.type)) {
    std::string text = text_form(value);
    return Napi::String::New(env, text.data(), text.size());
  }
  if (info->is_float) return Napi::Number::New(env, info->bits == 32 ? value.as_f32() : value.as_f64());
  if (!info->is_signed) return u64_to_js(env, value.bits);
  int64_t n = value.as_i64();
  if (n >= -static_cast<int64_t>(kMaxSafe) && n <= static_cast<int64_t>(kMaxSafe)) {
    return Napi::Number::New(env, static_cast<double>(n));
  }
  return Napi::BigInt::New(env, n);
}

}  // namespace grove::bindings
