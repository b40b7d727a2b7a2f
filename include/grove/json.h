// Subtree export as JSON text, in one native call (DESIGN "Wire formats").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "grove/node.h"
#include "grove/sha256.h"

namespace grove {

enum class JsonFormat {
  // Objects as JSON objects (the first of same-named children wins, as in lookups), lists
  // as arrays; integers beyond +-2^53 as decimal strings; non-finite floats as "NaN",
  // "Infinity", "-Infinity"; bytes as base64; vectors and arrays as arrays of numbers;
  // vint as an integer; the other chain types and ipv4 in their text form (grove/forms.h:
  // hashes as hex, address as Base58Check, ipv4 as "a.b.c.d"). Exact in value, lossy in type.
  kPlain,
  // Every node as {"name", "type", "value"} or {"name", "type", "children": [...]}, with
  // the plain encodings above plus "-0" for negative zero: import reproduces the tree.
  // Application types are written as their id, "0x10000001".
  kTyped,
  // Typed, and each node's id after its type ({"name","type","id",...}): what records carry
  // (grove/record.h), so that a replay gives every node back its id.
  kStore,
  // kStore and each node's version ("ver"): what a snapshot holds.
  kSnapshot,
};

// With max_depth, structured nodes more than max_depth levels below `node` are cut: plain
// JSON writes `true` for them (as Firebase's shallow reads do), typed JSON writes
// {"name", "type", "childCount"} without children.
std::string write_json(const Node& node, JsonFormat format, std::size_t max_depth = SIZE_MAX);
// The same, or nullopt once it would take more than `max_bytes` (the writer stops there).
std::optional<std::string> write_json_within(const Node& node, JsonFormat format, std::size_t max_bytes);
// Appends the subtree's JSON to `out`.
void append_json(std::string& out, const Node& node, JsonFormat format);
// A leaf value alone, as the format writes it (kStore and kSnapshot as kTyped).
std::string value_json(const Value& value, JsonFormat format);
// A string as a JSON string literal, appended to `out`.
void append_json_string(std::string& out, std::string_view text);

// The node's content hash: SHA-256 of its typed JSON with its own name written as "", so
// that it hashes what the node holds, not where it sits. (Names are content: two lists
// built apart hash apart, as their items' generated names "#<id>" differ.)
// Deterministic (numbers in their shortest exact form, children in order), the same after
// export and typed import, and different after any change at or under the node.
Digest content_hash(const Node& node);

}  // namespace grove
