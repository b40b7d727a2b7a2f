#include "grove/schema.h"

#include <algorithm>

#include "grove/epoch.h"
#include "grove/error.h"

namespace grove {

class SchemaTable {
 public:
  std::vector<TypeSchema> schemas;

  // A new reference is always made from a counted one or under an epoch pin: relaxed.
  void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // acq_rel: every holder's reads happen before the last one deletes.
  void release() const noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  mutable std::atomic<uint32_t> refs_{1};
};

namespace {

std::string quoted(std::string_view s) {
  std::string out(1, '\'');  // appends, not operator+: GCC 12 warns falsely on the latter (bug 105329)
  out += s;
  out += '\'';
  return out;
}

}  // namespace

const MemberSchema* TypeSchema::member(std::string_view member_name) const {
  auto it = std::find_if(members.begin(), members.end(), [&](const MemberSchema& m) { return m.name == member_name; });
  return it == members.end() ? nullptr : &*it;
}

void TypeSchema::check_member(std::string_view member_name, TypeId member_type) const {
  const MemberSchema* m = member(member_name);
  if (!m) {
    if (open) return;
    std::string known;
    for (const MemberSchema& each : members) known += (known.empty() ? "" : ", ") + each.name;
    fail(ErrorCode::kTypeMismatch, "a " + name + " has no member " + quoted(member_name) +
                                       (known.empty() ? std::string(" (it has no members)") : "; its members are " + known));
  }
  if (!type_matches(member_type, m->query)) {
    fail(ErrorCode::kTypeMismatch, "member " + quoted(member_name) + " of a " + name + " must be " +
                                       (m->type != 0 ? type_name(m->type) : type_name(m->query)) + ", not " +
                                       type_name(member_type));
  }
}

void TypeSchema::check_removal(std::string_view member_name) const {
  const MemberSchema* m = member(member_name);
  if (m && m->required) {
    fail(ErrorCode::kTypeMismatch, "member " + quoted(member_name) + " of a " + name + " is required and cannot be removed");
  }
}

void TypeSchema::check_complete(const std::vector<std::string_view>& member_names) const {
  for (const MemberSchema& m : members) {
    if (m.required && std::find(member_names.begin(), member_names.end(), m.name) == member_names.end()) {
      fail(ErrorCode::kTypeMismatch, "a " + name + " needs its member " + quoted(m.name));
    }
  }
}

SchemaSnapshot::~SchemaSnapshot() {
  if (table_) table_->release();
}

const TypeSchema* SchemaSnapshot::find(TypeId id) const {
  if (!table_) return nullptr;
  for (const TypeSchema& schema : table_->schemas) {
    if (schema.id == id) return &schema;
  }
  return nullptr;
}

TypeSchemas::~TypeSchemas() {
  if (SchemaTable* table = table_.load(std::memory_order_relaxed)) table->release();
}

void TypeSchemas::add(TypeSchema schema) {
  if (!is_user_type(schema.id)) {
    fail(ErrorCode::kInvalidArgument, "type " + schema.name + ": " + type_name(schema.id) +
                                          " is not an application type id (family 0x10-0xFE)");
  }
  std::lock_guard lock(writers_);
  SchemaTable* current = table_.load(std::memory_order_relaxed);  // writers are serialised by the mutex
  if (current) {
    for (const TypeSchema& existing : current->schemas) {
      if (existing == schema) return;
      if (existing.id == schema.id || existing.name == schema.name) {
        fail(ErrorCode::kInvalidArgument, "type " + schema.name + " (" + type_name(schema.id) +
                                              ") conflicts with the registered type " + existing.name + " (" +
                                              type_name(existing.id) + ")");
      }
    }
  }
  auto* next = new SchemaTable;
  if (current) next->schemas = current->schemas;
  next->schemas.push_back(std::move(schema));
  table_.store(next, std::memory_order_release);  // pairs with snapshot()'s acquire load
  if (current) epoch::retire(current, [](void* p) { static_cast<SchemaTable*>(p)->release(); });
}

SchemaSnapshot TypeSchemas::snapshot() const {
  epoch::Guard pin;  // the table loaded below is not freed before the pin ends
  const SchemaTable* table = table_.load(std::memory_order_acquire);  // pairs with add()'s release store
  if (table) table->retain();
  return SchemaSnapshot(table);
}

}  // namespace grove
