// Tree-level functions: create, share and attach, close, the change feed, records and
// snapshots (grove/record.h), identity, detached nodes and JSON export.
#include "addon.h"
#include "draft.h"
#include "grove/error.h"
#include "grove/json.h"
#include "grove/record.h"
#include "js_values.h"

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
  return Napi::Number::New(info.Env(), RefOf(target.slot, target.tree.root()));
}

// treeVersion(tree) → number
Napi::Value Addon::TreeVersion(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "version").handle(0));
  return u64_to_js(info.Env(), target.tree.version());
}

// setFeed(tree, level): 0 off, 1 events, 2 events and records (grove/tree.h FeedLevel)
Napi::Value Addon::SetFeed(const Napi::CallbackInfo& info) {
  Args args(info, "setFeed");
  uint64_t level = args.index(1, "the level");
  if (level > static_cast<uint64_t>(FeedLevel::kRecords)) fail(ErrorCode::kInvalidArgument, "setFeed(): the level is 0, 1 or 2");
  handles_.tree(args.handle(0)).tree.set_feed(static_cast<FeedLevel>(level));
  return info.Env().Undefined();
}

namespace {

constexpr uint32_t kChangeStride = 9;

// [version, op, writer, id, path, value, oldValue, record, omitted, ...]: 9 entries per
// change, op the ChangeOp index (set, add, remove, replace, sort, nonce); the texts are
// JSON, or undefined where the change has none; omitted: 1 the value, 2 the old value left
// out for its size (Tree::kMaxEventValueBytes).
Napi::Array changes_to_js(Napi::Env env, std::vector<Change>& changes) {
  Napi::Array out = Napi::Array::New(env, changes.size() * kChangeStride);
  uint32_t i = 0;
  auto text = [&](const std::string& s) -> Napi::Value {
    return s.empty() ? env.Undefined() : Napi::String::New(env, s.data(), s.size());
  };
  for (const Change& change : changes) {
    out.Set(i++, u64_to_js(env, change.version));
    out.Set(i++, Napi::Number::New(env, static_cast<double>(change.op)));
    out.Set(i++, Napi::Number::New(env, change.writer));
    out.Set(i++, u64_to_js(env, change.id));
    out.Set(i++, Napi::String::New(env, change.path));
    out.Set(i++, text(change.value));
    out.Set(i++, text(change.old_value));
    out.Set(i++, text(change.record));
    out.Set(i++, Napi::Number::New(env, (change.value_omitted ? 1 : 0) | (change.old_value_omitted ? 2 : 0)));
  }
  return out;
}

// A string or a Buffer argument as bytes, without a copy for a Buffer.
std::string_view text_argument(const Args& args, const Napi::CallbackInfo& info, std::size_t i, std::string& keep,
                               const char* what) {
  if (info[i].IsBuffer()) {
    Napi::Buffer<char> buffer = info[i].As<Napi::Buffer<char>>();
    return {buffer.Data(), buffer.Length()};
  }
  keep = args.string(i, what);
  return keep;
}

}  // namespace

// takeChanges(tree) → the changes since the last call, flat (see changes_to_js)
Napi::Value Addon::TakeChanges(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "takeChanges").handle(0));
  std::vector<Change> changes = target.tree.take_changes();
  return changes_to_js(info.Env(), changes);
}

// writerTag() → the tag this thread's changes carry in the feed
Napi::Value Addon::WriterTag(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), thread_writer()); }

// applyRecord(tree, record, keepVersions, after) → the record's version (grove/record.h);
// `record` is JSON text or a Buffer of it.
Napi::Value Addon::ApplyRecord(const Napi::CallbackInfo& info) {
  Args args(info, "applyRecord");
  std::string keep;
  std::string_view record = text_argument(args, info, 1, keep, "the record");
  Replay how{args.boolean(2, "keepVersions"), args.index(3, "after")};
  TreeTarget target = handles_.tree(args.handle(0));
  return u64_to_js(info.Env(), apply_record(target.tree, record, how));
}

// snapshotTree(tree) → [changes, body, version, nextId]: with the tree's writers held back,
// the changes not yet taken (flat, as takeChanges) and the tree as a snapshot's body, which
// holds exactly those changes and every one before them.
Napi::Value Addon::SnapshotTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TreeTarget target = handles_.tree(Args(info, "snapshotTree").handle(0));
  Tree& tree = target.tree;
  std::vector<Change> changes;
  std::string body;
  uint64_t version = 0, next_id = 0;
  tree.frozen([&] {
    changes = tree.take_changes();
    body = write_snapshot(tree);
    version = tree.version();
    next_id = tree.next_id();
  });
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, changes_to_js(env, changes));
  out.Set(1u, Napi::String::New(env, body));
  out.Set(2u, u64_to_js(env, version));
  out.Set(3u, u64_to_js(env, next_id));
  return out;
}

// exportFrozen(tree, paths) → [changes, texts, nonces]: as snapshotTree, for the subtrees at
// `paths` (each in record form, JsonFormat::kStore, or undefined where nothing is), and the
// nonces of owner keys as JSON.
Napi::Value Addon::ExportFrozen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "exportFrozen");
  if (!info[1].IsArray()) args.fail_type(1, "paths", "an array of paths");
  Napi::Array paths = info[1].As<Napi::Array>();
  std::vector<std::string> wanted;
  for (uint32_t i = 0; i < paths.Length(); ++i) {
    Napi::Value path = paths.Get(i);
    if (!path.IsString()) args.fail_type(1, "paths", "an array of paths");
    wanted.push_back(path.As<Napi::String>().Utf8Value());
  }
  TreeTarget target = handles_.tree(args.handle(0));
  Tree& tree = target.tree;
  std::vector<Change> changes;
  std::vector<std::string> texts(wanted.size());
  std::string nonces;
  tree.frozen([&] {
    changes = tree.take_changes();
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (NodeRef node = tree.root().find_path(wanted[i])) texts[i] = write_json(*node, JsonFormat::kStore);
    }
    nonces = tree.nonces_json();
  });
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, changes_to_js(env, changes));
  out.Set(2u, Napi::String::New(env, nonces));
  Napi::Array bodies = Napi::Array::New(env, texts.size());
  for (uint32_t i = 0; i < texts.size(); ++i) bodies.Set(i, texts[i].empty() ? env.Undefined() : Napi::String::New(env, texts[i]));
  out.Set(1u, bodies);
  return out;
}

// nonceOf(tree, key) → the last nonce accepted for an owner key (0: none)
Napi::Value Addon::NonceOf(const Napi::CallbackInfo& info) {
  Args args(info, "nonceOf");
  std::string key = args.string(1, "the key");
  return u64_to_js(info.Env(), handles_.tree(args.handle(0)).tree.nonce_of(key));
}

// acceptNonce(tree, key, nonce, path) → whether `nonce` was greater than the last (then it is now)
Napi::Value Addon::AcceptNonce(const Napi::CallbackInfo& info) {
  Args args(info, "acceptNonce");
  std::string key = args.string(1, "the key");
  uint64_t nonce = args.index(2, "the nonce");
  std::string path = args.string(3, "the path");
  return Napi::Boolean::New(info.Env(), handles_.tree(args.handle(0)).tree.accept_nonce(key, nonce, path));
}

// loadTree(tree, body): makes an empty tree a snapshot's (a string or a Buffer)
Napi::Value Addon::LoadTree(const Napi::CallbackInfo& info) {
  Args args(info, "loadTree");
  std::string keep;
  std::string_view body = text_argument(args, info, 1, keep, "the snapshot");
  load_snapshot(handles_.tree(args.handle(0)).tree, body);
  return info.Env().Undefined();
}

// readSubtree(tree, node, children) → handle of a detached subtree from its record form, ids
// kept; with `children`, handles of each of its children instead (the root's)
Napi::Value Addon::ReadSubtree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "readSubtree");
  std::string keep;
  std::string_view text = text_argument(args, info, 1, keep, "the node");
  bool children = args.boolean(2, "children");
  TreeTarget target = handles_.tree(args.handle(0));
  if (!children) return Napi::Number::New(env, RefOf(target.slot, *read_subtree(target.tree, text)));
  std::vector<NodeRef> nodes = read_children(target.tree, text);
  Napi::Array out = Napi::Array::New(env, nodes.size());
  for (uint32_t i = 0; i < nodes.size(); ++i) out.Set(i, Napi::Number::New(env, RefOf(target.slot, *nodes[i])));
  return out;
}

// nodeById(tree, id) → node handle, or undefined when no node of the tree has that id
Napi::Value Addon::NodeById(const Napi::CallbackInfo& info) {
  Args args(info, "nodeById");
  uint64_t id = args.id(1);
  TreeTarget target = handles_.tree(args.handle(0));
  return NodeOrUndefined(info.Env(), target.slot, target.tree.node_by_id(id).get());
}

// treeSize(tree) → how many nodes are in the tree, the root included
Napi::Value Addon::TreeSize(const Napi::CallbackInfo& info) {
  TreeTarget target = handles_.tree(Args(info, "treeSize").handle(0));
  return Napi::Number::New(info.Env(), static_cast<double>(target.tree.size()));
}

// treeIds(tree, next?, range?) → [next id, range]: raises the next id to `next` and moves
// new ids to `range` (when given), then says where they stand
Napi::Value Addon::TreeIds(const Napi::CallbackInfo& info) {
  Args args(info, "treeIds");
  TreeTarget target = handles_.tree(args.handle(0));
  if (args.has(1)) target.tree.advance_ids(args.index(1, "the next id"));
  if (args.has(2)) {
    uint64_t range = args.index(2, "the id range");
    if (range > Tree::kMaxIdRange) fail(ErrorCode::kInvalidArgument, "treeIds(): the id range is at most " + std::to_string(Tree::kMaxIdRange));
    target.tree.set_id_range(static_cast<uint32_t>(range));
  }
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, u64_to_js(info.Env(), target.tree.next_id()));
  out.Set(1u, Napi::Number::New(info.Env(), target.tree.id_range()));
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
  return Napi::Number::New(info.Env(), RefOf(target.slot, *build(target.tree, draft)));
}

// exportJSON(node, path, format, depth?) → the subtree at `path` under the node as JSON
// text; format 0 plain, 1 typed, 2 store (typed with ids), 3 snapshot (and versions)
Napi::Value Addon::ExportJson(const Napi::CallbackInfo& info) {
  Args args(info, "exportJSON", 1);
  std::string path = args.string(1, "the path");
  uint64_t format = args.index(2, "the format");
  if (format > 3) fail(ErrorCode::kInvalidArgument, "exportJSON(): the format is 0 (plain), 1 (typed), 2 (store) or 3 (snapshot)");
  std::size_t depth = args.has(3) ? args.index(3, "depth") : SIZE_MAX;
  NodeTarget target = NodeOf(args, 0);
  NodeRef node = require_path(target.node, path);
  constexpr JsonFormat kFormats[] = {JsonFormat::kPlain, JsonFormat::kTyped, JsonFormat::kStore, JsonFormat::kSnapshot};
  return Napi::String::New(info.Env(), write_json(*node, kFormats[format], depth));
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
