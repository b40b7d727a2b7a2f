#include "paths.h"

#include <string>

#include "js_errors.h"

namespace grove::bindings {
namespace {

std::string quoted(std::string_view name) { return std::string("'").append(name).append("'"); }

}  // namespace

NodeRef require_path(const Node& base, std::string_view path) {
  if (NodeRef found = base.find_path(path)) return found;
  // Walk again to say which name is missing (the tree may have changed since; any answer
  // the walk gives was true a moment ago).
  std::string walked;
  NodeRef node = NodeRef::share(const_cast<Node*>(&base));
  for (std::string_view name : split_path(path)) {
    NodeRef next = node->child(name);
    if (!next) {
      std::string under = !walked.empty()       ? quoted(walked)
                          : base.name().empty() ? std::string("the root")
                                                : quoted(base.name());
      throw PathError(ErrorCode::kNotFound, "no node at '" + std::string(path) + "': " + under + " has no child '" +
                                                std::string(name) + "'",
                      std::string(path));
    }
    if (!walked.empty()) walked += '/';
    walked += name;
    node = std::move(next);
  }
  throw PathError(ErrorCode::kNotFound, "no node at '" + std::string(path) + "'", std::string(path));
}

}  // namespace grove::bindings
