#include "grove/types.h"

#include <array>
#include <bit>
#include <cstdio>

#include "grove/error.h"

namespace grove {
namespace {

using enum Storage;

constexpr std::array<TypeInfo, 16> kBuiltins{{
    {type::kNull, "null", kNone, 0, false, false, false},
    {type::kBool, "bool", kInline, 0, false, false, false},
    {type::kI8, "i8", kInline, 8, true, false, false},
    {type::kI16, "i16", kInline, 16, true, false, false},
    {type::kI32, "i32", kInline, 32, true, false, false},
    {type::kI64, "i64", kInline, 64, true, false, false},
    {type::kU8, "u8", kInline, 8, false, false, false},
    {type::kU16, "u16", kInline, 16, false, false, false},
    {type::kU32, "u32", kInline, 32, false, false, false},
    {type::kU64, "u64", kInline, 64, false, false, false},
    {type::kF32, "f32", kInline, 32, true, true, false},
    {type::kF64, "f64", kInline, 64, true, true, false},
    {type::kStr, "str", kBlob, 0, false, false, false},
    {type::kBytes, "bytes", kBlob, 0, false, false, false},
    {type::kObject, "object", kNone, 0, false, false, true},
    {type::kList, "list", kNone, 0, false, false, true},
}};

}  // namespace

const TypeInfo* find_type(TypeId id) {
  // Scalars sit in the table in the order of their flag bits; this is on every value read.
  if (family(id) == 0x01 && std::has_single_bit(flags(id))) {
    auto bit = static_cast<std::size_t>(std::countr_zero(flags(id)));
    return bit < 14 ? &kBuiltins[bit] : nullptr;
  }
  if (id == type::kObject) return &kBuiltins[14];
  if (id == type::kList) return &kBuiltins[15];
  return nullptr;
}

const TypeInfo* find_type(std::string_view name) {
  for (const TypeInfo& t : kBuiltins) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TypeInfo& type_info(TypeId id) {
  if (const TypeInfo* t = find_type(id)) return *t;
  if (family(id) >= type::kFirstUserFamily && family(id) != 0xFF) {
    static constexpr TypeInfo kUserType{0, "user", kNone, 0, false, false, true};
    return kUserType;
  }
  fail(ErrorCode::kInvalidArgument, "unknown type id " + type_name(id));
}

std::string type_name(TypeId id) {
  if (const TypeInfo* t = find_type(id)) return std::string(t->name);
  char buf[24];
  std::snprintf(buf, sizeof buf, "type 0x%08X", id);
  return buf;
}

}  // namespace grove
