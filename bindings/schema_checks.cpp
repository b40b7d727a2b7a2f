#include "schema_checks.h"

#include <string>

#include "js_errors.h"

namespace grove::bindings {
namespace {

// Runs check() against parent's schema, if it has one, rethrowing with parent's path.
template <class Check>
void with_schema(Tree& tree, const Node& parent, Check check) {
  if (!is_user_type(parent.type())) return;
  SchemaSnapshot schemas = tree.schemas().snapshot();
  const TypeSchema* schema = schemas.find(parent.type());
  if (!schema) return;
  try {
    check(*schema);
  } catch (const Error& e) {
    std::string path = parent.path();
    throw PathError(e.code(), "'" + path + "': " + e.what(), path);
  }
}

}  // namespace

void check_member_write(Tree& tree, const Node& parent, std::string_view name, TypeId type, bool adding) {
  with_schema(tree, parent, [&](const TypeSchema& schema) {
    schema.check_member(name, type);
    if (adding && schema.member(name) && parent.child(name)) {
      fail(ErrorCode::kTypeMismatch, "a " + schema.name + " has one member '" + std::string(name) +
                                         "' and this one has it already; set it instead");
    }
  });
}

void check_member_removal(Tree& tree, const Node& parent, std::string_view name) {
  with_schema(tree, parent, [&](const TypeSchema& schema) { schema.check_removal(name); });
}

}  // namespace grove::bindings
