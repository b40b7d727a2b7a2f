// Member schemas of application types (DESIGN "Types": an application registers a type
// with a name, an id, an optional member schema and operations). A tree keeps the
// schemas registered for it, shared by every thread, so that writes from any thread are
// held to them; the bindings check each write against them (the operations themselves
// live in TypeScript, src/abstractTypes.ts).
//
// The registered schemas are one immutable table published through an atomic pointer, as
// child lists are: a reader pins the epoch, loads the table with acquire and takes a
// reference (a SchemaSnapshot); a registration copies the table under a mutex, publishes
// the copy with a release store and retires the old one.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/types.h"

namespace grove {

struct MemberSchema {
  std::string name;
  TypeId type;    // the type the member gets when a value leaves it to inference; 0: inferred
  TypeId query;   // what the member's type must match (type_matches); kAny: anything
  bool required;  // may not be missing from a value, nor removed

  bool operator==(const MemberSchema&) const = default;
};

struct TypeSchema {
  TypeId id;
  std::string name;
  std::vector<MemberSchema> members;
  bool open;  // members the schema does not list are allowed too

  bool operator==(const TypeSchema&) const = default;

  const MemberSchema* member(std::string_view member_name) const;
  // Each throws TypeMismatch naming the type, the member and what is wrong:
  // a member named `member_name` of type `member_type` may be added (or put in place of one),
  void check_member(std::string_view member_name, TypeId member_type) const;
  // the member may be removed,
  void check_removal(std::string_view member_name) const;
  // and a value with these members lacks none that is required.
  void check_complete(const std::vector<std::string_view>& member_names) const;
};

class SchemaTable;

// The schemas as they were at one moment; holds a reference, so it may be kept.
class SchemaSnapshot {
 public:
  SchemaSnapshot() = default;
  SchemaSnapshot(const SchemaSnapshot&) = delete;
  SchemaSnapshot& operator=(const SchemaSnapshot&) = delete;
  SchemaSnapshot(SchemaSnapshot&& other) noexcept : table_(std::exchange(other.table_, nullptr)) {}
  ~SchemaSnapshot();

  // The schema of an application type, or nullptr when none is registered.
  const TypeSchema* find(TypeId id) const;

 private:
  friend class TypeSchemas;
  explicit SchemaSnapshot(const SchemaTable* table) : table_(table) {}
  const SchemaTable* table_ = nullptr;
};

class TypeSchemas {
 public:
  TypeSchemas() = default;
  TypeSchemas(const TypeSchemas&) = delete;
  TypeSchemas& operator=(const TypeSchemas&) = delete;
  ~TypeSchemas();

  // Registers a schema. Registering an id again (another thread registering the same
  // type) must give the same schema, else InvalidArgument; so must a name.
  void add(TypeSchema schema);
  SchemaSnapshot snapshot() const;

 private:
  std::mutex writers_;
  std::atomic<SchemaTable*> table_{nullptr};
};

}  // namespace grove
