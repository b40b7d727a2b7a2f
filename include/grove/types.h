// Type ids: the high byte is a family, the low 24 bits are is-a flags (as in Nodix).
// A node matches a query type when the families agree and the flag sets intersect;
// kAny matches everything. Each concrete type has a flag bit of its own, so a query for
// one concrete type matches only it, and an abstract query type (kInteger, kNumber) is
// the union of the bits it stands for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace grove {

using TypeId = uint32_t;

namespace type {
inline constexpr TypeId kAny = 0xFFFFFFFF;

// Family 0x01: scalars.
inline constexpr TypeId kNull = 0x01000001;
inline constexpr TypeId kBool = 0x01000002;
inline constexpr TypeId kI8 = 0x01000004;
inline constexpr TypeId kI16 = 0x01000008;
inline constexpr TypeId kI32 = 0x01000010;
inline constexpr TypeId kI64 = 0x01000020;
inline constexpr TypeId kU8 = 0x01000040;
inline constexpr TypeId kU16 = 0x01000080;
inline constexpr TypeId kU32 = 0x01000100;
inline constexpr TypeId kU64 = 0x01000200;
inline constexpr TypeId kF32 = 0x01000400;
inline constexpr TypeId kF64 = 0x01000800;
inline constexpr TypeId kStr = 0x01001000;
inline constexpr TypeId kBytes = 0x01002000;
inline constexpr TypeId kInteger = 0x010003FC;  // query: any integer type
inline constexpr TypeId kNumber = 0x01000FFC;   // query: any integer or float type

// Family 0x02: structured nodes, which hold children and no value.
inline constexpr TypeId kObject = 0x02000001;
inline constexpr TypeId kList = 0x02000002;

// Family 0x03: geometry. Vectors of f32 (mat3x3 row-major), RGBA bytes, an integer
// rectangle (x, y, width, height as i32) and an IPv4 address.
inline constexpr TypeId kVec2 = 0x03000001;
inline constexpr TypeId kVec3 = 0x03000002;
inline constexpr TypeId kVec4uc = 0x03000004;
inline constexpr TypeId kMat3x3 = 0x03000008;
inline constexpr TypeId kRect = 0x03000010;
inline constexpr TypeId kIpv4 = 0x03000020;

// Family 0x04: SIMD arrays, 64-byte aligned (grove/array.h).
inline constexpr TypeId kF32Array = 0x04000001;
inline constexpr TypeId kF64Array = 0x04000002;
inline constexpr TypeId kI32Array = 0x04000004;
inline constexpr TypeId kI16Array = 0x04000008;
inline constexpr TypeId kU8Array = 0x04000010;
inline constexpr TypeId kAnyArray = 0x0400001F;  // query: any array type

// Family 0x0B (Nodix's chain family): block and tx hashes carry the hash flag, so a query
// for kHash matches all three; kBlockHashQuery and kTxHashQuery match only their own.
inline constexpr TypeId kHash = 0x0B000001;
inline constexpr TypeId kBlockHash = 0x0B000003;
inline constexpr TypeId kTxHash = 0x0B000005;
inline constexpr TypeId kBlockHashQuery = 0x0B000002;
inline constexpr TypeId kTxHashQuery = 0x0B000004;
inline constexpr TypeId kPubkey = 0x0B000008;
inline constexpr TypeId kAddress = 0x0B000010;
inline constexpr TypeId kVint = 0x0B000020;
inline constexpr TypeId kVstr = 0x0B000040;
inline constexpr TypeId kDerSig = 0x0B000080;

// Families 0x05-0x0A and 0x0C-0x0F are reserved for more built-in types; families
// 0x10-0xFE belong to application-registered abstract types, which are structured
// (children by name) as far as the core is concerned.
inline constexpr uint8_t kFirstUserFamily = 0x10;
}  // namespace type

constexpr uint8_t family(TypeId t) { return static_cast<uint8_t>(t >> 24); }
constexpr uint32_t flags(TypeId t) { return t & 0x00FFFFFF; }

constexpr bool type_matches(TypeId node_type, TypeId query) {
  return query == type::kAny ||
         (family(node_type) == family(query) && (flags(node_type) & flags(query)) != 0);
}

// How a node of a type keeps its value.
enum class Storage : uint8_t {
  kNone,      // null, and structured types (they hold children)
  kInline,    // up to 64 bits in the node's atomic word
  kBlob,      // an immutable byte blob swapped by pointer
  kArray,     // an immutable, reference-counted ArrayData swapped by pointer (grove/array.h)
};

// The numbers a vector or array type is made of, and what reads and writes them as numbers.
enum class Element : uint8_t { kNone, kF32, kF64, kI32, kI16, kU8 };

struct TypeInfo {
  TypeId id;
  std::string_view name;
  Storage storage;
  uint8_t bits;       // width of integer and float types; 0 otherwise
  bool is_signed;     // signed integers
  bool is_float;      // f32, f64
  bool structured;    // holds children
  Element element = Element::kNone;  // vector and array types: their numbers
  uint8_t count = 0;                 // vectors: how many numbers (0 for arrays: any)
};

// The built-in type with this id or name, or nullptr.
const TypeInfo* find_type(TypeId id);
const TypeInfo* find_type(std::string_view name);

// The type of an id: built-in types from the table; a registered application type
// (family >= kFirstUserFamily) is structured. Throws InvalidArgument for an unknown id.
const TypeInfo& type_info(TypeId id);

// "u8", or "type 0x10000001" for an application type without a name in the core.
std::string type_name(TypeId id);

inline bool is_integer(const TypeInfo& t) { return t.bits != 0 && !t.is_float; }

// Application types (families 0x10-0xFE), which may have a registered member schema.
constexpr bool is_user_type(TypeId t) { return family(t) >= type::kFirstUserFamily && family(t) != 0xFF; }

}  // namespace grove
