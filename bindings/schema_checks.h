// Structural writes under a node of an application type with a registered member schema
// (grove/schema.h), checked before they are made. Each throws a TypeMismatch PathError
// naming the parent's path, the member and what the schema says; nodes of other types
// pass unchecked.
#pragma once

#include <string_view>

#include "grove/tree.h"

namespace grove::bindings {

// `parent` may take a child `name` of type `type`: added (`adding`: a listed member may
// not be there twice) or put in place of a child of that name.
void check_member_write(Tree& tree, const Node& parent, std::string_view name, TypeId type, bool adding);
// `parent`'s child `name` may be removed.
void check_member_removal(Tree& tree, const Node& parent, std::string_view name);

}  // namespace grove::bindings
