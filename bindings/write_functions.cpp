// Node writes. Each goes through the node's tree, which serialises writers per node,
// versions the change and feeds it to the change feed.
#include "addon.h"
#include "draft.h"
#include "js_errors.h"
#include "js_values.h"

namespace grove::bindings {
namespace {

// Writes that combine two nodes need them in one tree: ids and versions are per tree.
void require_same_tree(const NodeTarget& a, const NodeTarget& b, const char* function) {
  if (&a.tree != &b.tree) {
    fail(ErrorCode::kInvalidArgument, std::string(function) + "(): the two nodes belong to different trees; "
                                                                "copy across trees with get() and set()");
  }
}

Napi::Value outcome(Napi::Env env, bool ok, const Value& value) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Boolean::New(env, ok));
  out.Set(1u, value_to_js(env, value));
  return out;
}

}  // namespace

// setValue(node, value) → version; the value is converted exactly to the node's type
Napi::Value Addon::SetValue(const Napi::CallbackInfo& info) {
  Args args(info, "value", 1);
  Value value = args.value(1, "the value");
  NodeTarget target = NodeOf(args, 0);
  return u64_to_js(info.Env(), target.tree.set_value(target.node, value));
}

// setPath(node, path, value, typeId) → version. Replaces whatever is at `path` with a new
// node (typeId 0: inferred from the value), creating missing parents as objects in the same
// change (Tree::set_path); a leaf value over a leaf is written in place.
Napi::Value Addon::SetPath(const Napi::CallbackInfo& info) {
  Args args(info, "set", 1);
  std::string path = args.string(1, "the path");
  TypeId type = args.type_id(3);
  std::vector<std::string_view> names = split_path(path);
  if (names.empty()) fail(ErrorCode::kInvalidArgument, "set(): the root cannot be replaced; set the paths under it");
  Draft draft = DraftReader(info.Env(), ObjectPrototype(), "set").read(args[2], std::string(names.back()), type);
  NodeTarget target = NodeOf(args, 0);
  bool leaf = draft.value && draft.children.empty() && !type_info(draft.type).structured;
  uint64_t version = target.tree.set_path(target.node, path, leaf ? &*draft.value : nullptr, type,
                                          [&] { return build(target.tree, draft); });
  return u64_to_js(info.Env(), version);
}

// putPath(node, path, detachedNode) → version. Puts a node built elsewhere (an import) at
// `path`, in place of what is there, creating missing parents as objects in the same change.
Napi::Value Addon::PutPath(const Napi::CallbackInfo& info) {
  Args args(info, "put", 1);
  std::string path = args.string(1, "the path");
  NodeTarget target = NodeOf(args, 0);
  NodeTarget node = NodeOf(args, 2);
  require_same_tree(target, node, "put");
  return u64_to_js(info.Env(), target.tree.put_path(target.node, path, node.node));
}

// addPath(node, path, detachedNode) → version. Adds the node under the one at `path`,
// creating it (and missing parents) as objects in the same change.
Napi::Value Addon::AddPath(const Napi::CallbackInfo& info) {
  Args args(info, "add", 1);
  std::string path = args.string(1, "the path");
  NodeTarget target = NodeOf(args, 0);
  NodeTarget child = NodeOf(args, 2);
  require_same_tree(target, child, "add");
  return u64_to_js(info.Env(), target.tree.add_path(target.node, path, child.node));
}

// deletePath(node, path) → version
Napi::Value Addon::DeletePath(const Napi::CallbackInfo& info) {
  Args args(info, "delete", 1);
  std::string path = args.string(1, "the path");
  NodeTarget target = NodeOf(args, 0);
  return u64_to_js(info.Env(), target.tree.delete_path(target.node, path));
}

// addChild(node, name, typeId, value) → handle of the new child ("" name: generated)
Napi::Value Addon::AddChild(const Napi::CallbackInfo& info) {
  Args args(info, "add", 1);
  std::string name = args.string(1, "the name");
  TypeId type = args.type_id(2);
  Draft draft = DraftReader(info.Env(), ObjectPrototype(), "add").read(args[3], std::move(name), type);
  NodeTarget target = NodeOf(args, 0);
  NodeRef child = build(target.tree, draft);
  target.tree.add_child(target.node, *child);
  return Napi::Number::New(info.Env(), RefOf(target.tree_slot, *child));
}

// append(node, child) → version; the child must be detached and never added before
Napi::Value Addon::Append(const Napi::CallbackInfo& info) {
  Args args(info, "append", 1);
  NodeTarget parent = NodeOf(args, 0);
  NodeTarget child = NodeOf(args, 1);
  require_same_tree(parent, child, "append");
  return u64_to_js(info.Env(), parent.tree.add_child(parent.node, child.node));
}

// removeChild(node, child) → version
Napi::Value Addon::RemoveChild(const Napi::CallbackInfo& info) {
  Args args(info, "remove", 1);
  NodeTarget parent = NodeOf(args, 0);
  NodeTarget child = NodeOf(args, 1);
  return u64_to_js(info.Env(), parent.tree.remove_child(parent.node, child.node));
}

// removeChildAt(node, index) → version
Napi::Value Addon::RemoveChildAt(const Napi::CallbackInfo& info) {
  Args args(info, "remove", 1);
  uint64_t index = args.index(1, "the index");
  NodeTarget parent = NodeOf(args, 0);
  return u64_to_js(info.Env(), parent.tree.remove_child_at(parent.node, index));
}

// replaceById(node, id, replacement) → version; keeps the replaced child's position
Napi::Value Addon::ReplaceById(const Napi::CallbackInfo& info) {
  Args args(info, "replaceById", 1);
  uint64_t id = args.id(1);
  NodeTarget parent = NodeOf(args, 0);
  NodeTarget replacement = NodeOf(args, 2);
  require_same_tree(parent, replacement, "replaceById");
  return u64_to_js(info.Env(), parent.tree.replace_child_by_id(parent.node, id, replacement.node));
}

// sortChildren(node, member, descending) → version
Napi::Value Addon::SortChildren(const Napi::CallbackInfo& info) {
  Args args(info, "sort", 1);
  std::string member = args.string(1, "member");
  bool descending = args.boolean(2, "descending");
  NodeTarget target = NodeOf(args, 0);
  return u64_to_js(info.Env(), target.tree.sort_children(target.node, member, descending));
}

// copySubtree(node) → handle of a detached deep copy (new ids)
Napi::Value Addon::CopySubtree(const Napi::CallbackInfo& info) {
  NodeTarget target = NodeOf(Args(info, "copy", 1), 0);
  return Napi::Number::New(info.Env(), RefOf(target.tree_slot, *target.tree.copy_subtree(target.node)));
}

// copyChildren(from, to) → version; appends deep copies of from's children to `to`
Napi::Value Addon::CopyChildren(const Napi::CallbackInfo& info) {
  Args args(info, "copyChildrenTo", 1);
  NodeTarget from = NodeOf(args, 0);
  NodeTarget to = NodeOf(args, 1);
  require_same_tree(from, to, "copyChildrenTo");
  return u64_to_js(info.Env(), to.tree.copy_children(from.node, to.node));
}

// increment(node, by) → the new value, in one atomic step
Napi::Value Addon::Increment(const Napi::CallbackInfo& info) {
  Args args(info, "increment", 1);
  if (Napi::Value by_arg(info.Env(), args[1]); !by_arg.IsNumber() && !by_arg.IsBigInt()) args.fail_type(1, "by", "a number or a bigint");
  Value by = args.value(1, "by");
  NodeTarget target = NodeOf(args, 0);
  return value_to_js(info.Env(), target.tree.increment(target.node, by));
}

// compareAndSet(node, expected, value) → [ok, value now]
Napi::Value Addon::CompareAndSet(const Napi::CallbackInfo& info) {
  Args args(info, "compareAndSet", 1);
  Value expected = args.value(1, "expected");
  Value desired = args.value(2, "the value");
  NodeTarget target = NodeOf(args, 0);
  // Compared in the node's type where the expected value converts to it (a hash given
  // as its hex text); otherwise as given, which then compares unequal or by number.
  if (type_info(target.node.type()).storage != Storage::kNone) {
    try {
      expected = convert(expected, target.node.type());
    } catch (const Error&) {
    }
  }
  Value current;
  bool ok = target.tree.compare_and_set(target.node, expected, desired, &current);
  return outcome(info.Env(), ok, current);
}

// setIfZero(node, value) → [ok, value now]
Napi::Value Addon::SetIfZero(const Napi::CallbackInfo& info) {
  Args args(info, "setIfZero", 1);
  Value desired = args.value(1, "the value");
  NodeTarget target = NodeOf(args, 0);
  Value current;
  bool ok = target.tree.set_if_zero(target.node, desired, &current);
  return outcome(info.Env(), ok, current);
}

}  // namespace grove::bindings
