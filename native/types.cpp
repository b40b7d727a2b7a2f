#include "grove/types.h"

#include <array>
#include <bit>
#include <cstdio>

#include "grove/error.h"

namespace grove {
namespace {

using enum Storage;

// id, name, storage, bits, signed, float, structured, element, count.
constexpr Element kF32 = Element::kF32, kF64 = Element::kF64, kI32 = Element::kI32, kI16 = Element::kI16,
                  kU8 = Element::kU8;

constexpr std::array<TypeInfo, 35> kBuiltins{{
    // Scalars, in the order of their flag bits (find_type indexes them by bit).
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
    // Structured.
    {type::kObject, "object", kNone, 0, false, false, true},
    {type::kList, "list", kNone, 0, false, false, true},
    // Geometry, in the order of their flag bits.
    {type::kVec2, "vec2", kBlob, 0, false, false, false, kF32, 2},
    {type::kVec3, "vec3", kBlob, 0, false, false, false, kF32, 3},
    {type::kVec4uc, "vec4uc", kInline, 0, false, false, false, kU8, 4},
    {type::kMat3x3, "mat3x3", kBlob, 0, false, false, false, kF32, 9},
    {type::kRect, "rect", kBlob, 0, false, false, false, kI32, 4},
    {type::kIpv4, "ipv4", kInline, 0, false, false, false},
    // SIMD arrays, in the order of their flag bits.
    {type::kF32Array, "f32array", kArray, 0, false, false, false, kF32, 0},
    {type::kF64Array, "f64array", kArray, 0, false, false, false, kF64, 0},
    {type::kI32Array, "i32array", kArray, 0, false, false, false, kI32, 0},
    {type::kI16Array, "i16array", kArray, 0, false, false, false, kI16, 0},
    {type::kU8Array, "u8array", kArray, 0, false, false, false, kU8, 0},
    // Chain. A vint is a u64 for every numeric purpose; only its byte form differs.
    {type::kHash, "hash", kBlob, 0, false, false, false},
    {type::kBlockHash, "block_hash", kBlob, 0, false, false, false},
    {type::kTxHash, "tx_hash", kBlob, 0, false, false, false},
    {type::kPubkey, "pubkey", kBlob, 0, false, false, false},
    {type::kAddress, "address", kBlob, 0, false, false, false},
    {type::kVint, "vint", kInline, 64, false, false, false},
    {type::kVstr, "vstr", kBlob, 0, false, false, false},
    {type::kDerSig, "der_sig", kBlob, 0, false, false, false},
}};

constexpr std::size_t kFirstGeometry = 16;
constexpr std::size_t kFirstArray = 22;
constexpr std::size_t kFirstChain = 27;

// The entry of a family whose types each have one flag bit, listed in bit order.
const TypeInfo* by_flag_bit(TypeId id, std::size_t first, std::size_t count) {
  TypeId f = flags(id);
  // One bit set; not std::has_single_bit, which without -mpopcnt is a libgcc popcount call.
  if (f == 0 || (f & (f - 1)) != 0) return nullptr;
  auto bit = static_cast<std::size_t>(std::countr_zero(f));
  return bit < count ? &kBuiltins[first + bit] : nullptr;
}

}  // namespace

const TypeInfo* find_type(TypeId id) {
  // On every value read: the common families are one bit scan away.
  switch (family(id)) {
    case 0x01:
      return by_flag_bit(id, 0, 14);
    case 0x02:
      return id == type::kObject ? &kBuiltins[14] : id == type::kList ? &kBuiltins[15] : nullptr;
    case 0x03:
      return by_flag_bit(id, kFirstGeometry, kFirstArray - kFirstGeometry);
    case 0x04:
      return by_flag_bit(id, kFirstArray, kFirstChain - kFirstArray);
    case 0x0B:
      for (std::size_t i = kFirstChain; i < kBuiltins.size(); ++i) {
        if (kBuiltins[i].id == id) return &kBuiltins[i];
      }
      return nullptr;
    default:
      return nullptr;
  }
}

const TypeInfo* find_type(std::string_view name) {
  for (const TypeInfo& t : kBuiltins) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TypeInfo& type_info(TypeId id) {
  if (const TypeInfo* t = find_type(id)) return *t;
  if (is_user_type(id)) {
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
