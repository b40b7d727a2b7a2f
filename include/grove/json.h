// Subtree export as JSON text, in one native call (DESIGN "Wire formats").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "grove/node.h"

namespace grove {

enum class JsonFormat {
  // Objects as JSON objects (the first of same-named children wins, as in lookups), lists
  // as arrays; integers beyond +-2^53 as decimal strings; non-finite floats as "NaN",
  // "Infinity", "-Infinity"; bytes as base64. Exact in value, lossy in type.
  kPlain,
  // Every node as {"name", "type", "value"} or {"name", "type", "children": [...]}, with
  // the plain encodings above plus "-0" for negative zero: import reproduces the tree.
  kTyped,
};

// With max_depth, structured nodes more than max_depth levels below `node` are cut: plain
// JSON writes `true` for them (as Firebase's shallow reads do), typed JSON writes
// {"name", "type", "childCount"} without children.
std::string write_json(const Node& node, JsonFormat format, std::size_t max_depth = SIZE_MAX);

}  // namespace grove
