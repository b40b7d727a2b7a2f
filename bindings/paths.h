// Path lookups that must find their node, with errors that say where the path breaks.
#pragma once

#include <string_view>

#include "grove/node.h"

namespace grove::bindings {

// The node at `path` under `base`, or a NotFound PathError naming the first missing name.
NodeRef require_path(const Node& base, std::string_view path);

}  // namespace grove::bindings
