// Tree-level functions: create, share and attach, close, the change feed, detached nodes
// and JSON export.
#include "addon.h"
#include "draft.h"
#include "grove/json.h"
#include "js_values.h"
#include "paths.h"

namespace grove::bindings {

// createTree() → tree handle
Napi::Value Addon::CreateTree(const Napi::CallbackInfo& info) {
  TreeRecord* record = tree_registry::adopt(Tree::create());
  return Napi::Number::New(info.Env(), handles_.add_tree(record));
}

// shareTree(tree) → token for attachTree() in any thread
Napi::Value Addon::ShareTree(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "share").handle(0));
  return Napi::Number::New(info.Env(), static_cast<double>(tree_registry::share(target.record)));
}

// attachTree(token) → a tree handle of this thread
Napi::Value Addon::AttachTree(const Napi::CallbackInfo& info) {
  uint64_t token = Args(info, "attach").index(0, "the token");
  return Napi::Number::New(info.Env(), handles_.add_tree(tree_registry::attach(token)));
}

// closeTree(tree): drops this thread's hold on the tree and every node handle taken through it.
Napi::Value Addon::CloseTree(const Napi::CallbackInfo& info) {
  handles_.close_tree(Args(info, "close").handle(0));
  return info.Env().Undefined();
}

// treeHolders(tree) → how many tree handles, in all threads, hold the tree
Napi::Value Addon::TreeHolders(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "treeHolders").handle(0));
  return Napi::Number::New(info.Env(), tree_registry::holders(target.record));
}

// treeRoot(tree) → node handle
Napi::Value Addon::TreeRoot(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "root").handle(0));
  return Napi::Number::New(info.Env(), handles_.add_node(target.slot, NodeRef::share(&target.tree.root())));
}

// treeVersion(tree) → number
Napi::Value Addon::TreeVersion(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "version").handle(0));
  return u64_to_js(info.Env(), target.tree.version());
}

// setFeed(tree, on)
Napi::Value Addon::SetFeed(const Napi::CallbackInfo& info) {
  Args args(info, "setFeed");
  bool on = args.boolean(1, "on");
  handles_.tree(args.handle(0)).tree.set_feed(on);
  return info.Env().Undefined();
}

// takeChanges(tree) → [version, op, path, node, replaced, value, oldValue, version, ...] in
// version order, 7 entries per change: op is the ChangeOp index (set, add, remove, replace,
// sort); node and replaced are node handles (replaced only for a replace); value and
// oldValue are the written and the overwritten value of a set (else undefined).
Napi::Value Addon::TakeChanges(const Napi::CallbackInfo& info) {
  constexpr uint32_t kStride = 7;
  Napi::Env env = info.Env();
  TreeTarget target = handles_.tree(Args(info, "takeChanges").handle(0));
  std::vector<Change> changes = target.tree.take_changes();
  Napi::Array out = Napi::Array::New(env, changes.size() * kStride);
  uint32_t i = 0;
  for (Change& change : changes) {
    bool set = change.op == ChangeOp::kSet;
    out.Set(i++, u64_to_js(env, change.version));
    out.Set(i++, Napi::Number::New(env, static_cast<double>(change.op)));
    out.Set(i++, Napi::String::New(env, change.path));
    out.Set(i++, NodeOrUndefined(env, target.slot, std::move(change.node)));
    out.Set(i++, NodeOrUndefined(env, target.slot, std::move(change.replaced)));
    bool sort = change.op == ChangeOp::kSort;
    out.Set(i++, set ? value_to_js(env, change.value) : sort ? Napi::String::New(env, change.sort_member) : env.Undefined());
    out.Set(i++, set ? value_to_js(env, change.old_value) : sort ? Napi::Boolean::New(env, change.sort_descending) : env.Undefined());
  }
  return out;
}

// createNode(tree, name, typeId, value) → handle of a new detached node ("" name: generated;
// typeId 0: inferred from the value, which may be a plain object or array).
Napi::Value Addon::CreateNode(const Napi::CallbackInfo& info) {
  Args args(info, "createNode");
  std::string name = args.string(1, "the name");
  TypeId type = args.type_id(2);
  Draft draft = DraftReader(info.Env(), ObjectPrototype(), "createNode").read(args[3], std::move(name), type);
  TreeTarget target = handles_.tree(args.handle(0));
  return Napi::Number::New(info.Env(), handles_.add_node(target.slot, build(target.tree, draft)));
}

// exportJSON(node, path, typed) → the subtree at `path` under the node as JSON text
Napi::Value Addon::ExportJson(const Napi::CallbackInfo& info) {
  Args args(info, "exportJSON");
  std::string path = args.string(1, "the path");
  bool typed = args.boolean(2, "typed");
  std::size_t depth = args.has(3) ? args.index(3, "depth") : SIZE_MAX;
  NodeTarget target = handles_.node(args.handle(0));
  NodeRef node = require_path(target.node, path);
  return Napi::String::New(info.Env(), write_json(*node, typed ? JsonFormat::kTyped : JsonFormat::kPlain, depth));
}


// advanceTreeVersion(tree, version) → number: raises the version counter to at least
// `version` (a store recovering the tree continues after its last logged version).
Napi::Value Addon::AdvanceTreeVersion(const Napi::CallbackInfo& info) {
  Args args(info, "advanceVersion");
  TreeTarget target = handles_.tree(args.handle(0));
  target.tree.advance_version(args.index(1, "version"));
  return u64_to_js(info.Env(), target.tree.version());
}

}  // namespace grove::bindings
