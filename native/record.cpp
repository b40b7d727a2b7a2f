#include "grove/record.h"

#include <optional>
#include <vector>

#include "child_list.h"
#include "grove/error.h"
#include "grove/json.h"
#include "id_index.h"
#include "json_reader.h"
#include "tiny_lock.h"

namespace grove {

// Builds nodes from their record form with the ids (and, from a snapshot, the versions)
// they had; a friend of Tree and Node for that.
class TreeLoader {
 public:
  TreeLoader(Tree& tree, bool versions) : tree_(tree), versions_(versions) {}

  // One NODE: built detached, children linked as they are read (only this thread can reach them).
  NodeRef read(JsonReader& r) {
    std::vector<Frame> open;
    NodeRef top = read_header(r, open);
    while (!open.empty()) {
      Frame& frame = open.back();
      if (!r.next_item()) {
        finish(r);  // the rest of the node object after its children
        open.pop_back();
        continue;
      }
      Node& parent = *frame.node;
      NodeRef child = read_header(r, open);  // may push a frame of its own
      tree_.link_child(parent, *child, nullptr);
    }
    return top;
  }

  // Links a snapshot's child of the root, and its subtree, into the tree and the index.
  void attach(Node& root, Node& child) {
    std::vector<Node*> linked;
    TinyLockGuard lock(root.lock_);
    tree_.link_child(root, child, &linked);
  }

  static void set_version(Node& node, uint64_t version) { node.version_.store(version, std::memory_order_relaxed); }

  // A snapshot's nonces of owner keys, taken as they are: loading is no change.
  void read_nonces(JsonReader& r) {
    r.begin_object();
    std::string key;
    std::lock_guard lock(tree_.nonces_mutex_);
    while (r.next_key(key)) tree_.nonces_.insert_or_assign(key, r.unsigned_integer());
  }

 private:
  // A node whose children are being read.
  struct Frame {
    NodeRef node;
  };

  // Reads a node's members up to its value (then the whole node) or to the opening of its
  // children (then pushes a frame for them), and makes the node.
  NodeRef read_header(JsonReader& r, std::vector<Frame>& open) {
    r.begin_object();
    std::string key, name;
    std::optional<TypeId> type;
    uint64_t id = 0;
    uint64_t version = 0;
    while (r.next_key(key)) {
      if (key == "name") {
        name = r.string();
      } else if (key == "type") {
        type = read_type_name(r, r.string());
      } else if (key == "id") {
        id = r.unsigned_integer();
      } else if (key == "ver") {
        version = r.unsigned_integer();
      } else if (key == "value" || key == "children") {
        if (!type || id == 0) r.error("a node's \"type\" and \"id\" must come before its " + key);
        if (key == "value") {
          Value value = read_typed_value(r, *type);
          NodeRef node = make(name, *type, value.type == type::kNull ? nullptr : &value, id, version);
          finish(r);
          return node;
        }
        NodeRef node = make(name, *type, nullptr, id, version);
        r.begin_array();
        open.push_back({node});
        return node;
      } else {
        r.skip();
      }
    }
    if (!type || id == 0) r.error("a node needs a \"type\" and an \"id\"");
    return make(name, *type, nullptr, id, version);
  }

  // The members after a node's value or children: none are expected but are skipped.
  void finish(JsonReader& r) {
    std::string key;
    while (r.next_key(key)) r.skip();
  }

  NodeRef make(const std::string& name, TypeId type, const Value* value, uint64_t id, uint64_t version) {
    if (name.empty()) fail(ErrorCode::kInvalidArgument, "node " + std::to_string(id) + " has no name");
    NodeRef node = tree_.create_node(name, type, value, id);
    if (versions_) set_version(*node, version);
    return node;
  }

  Tree& tree_;
  bool versions_;
};

namespace {

// One op of a record, as read; applied once the op's object is read whole.
struct Op {
  uint64_t version = 0;
  std::string kind;
  uint64_t parent = 0, id = 0, replaced = 0;
  std::vector<uint64_t> order;  // "order": a sort's result, by child id
  std::string key;              // "k": a nonce's owner key
  uint64_t nonce = 0;           // "n" of a nonce op (a number; of the other ops, "n" is a node)
  std::string_view value;  // "x": typed JSON, read once the node's type is known
  NodeRef node;            // "n"
};

NodeRef in_tree(Tree& tree, uint64_t id, const char* what) {
  if (id == 0) fail(ErrorCode::kInvalidArgument, std::string("it names no ") + what);
  NodeRef node = tree.node_by_id(id);
  if (!node) fail(ErrorCode::kInvalidArgument, std::string(what) + " " + std::to_string(id) + " is not in the tree");
  return node;
}

void apply(Tree& tree, Op& op, uint64_t at) {
  if (op.kind == "add") {
    if (!op.node) fail(ErrorCode::kInvalidArgument, "it has no node (\"n\")");
    tree.add_child(*in_tree(tree, op.parent, "parent"), *op.node, at);
  } else if (op.kind == "put") {
    if (!op.node) fail(ErrorCode::kInvalidArgument, "it has no node (\"n\")");
    NodeRef parent = in_tree(tree, op.parent, "parent");
    tree.replace_child_by_id(*parent, op.replaced, *op.node, at);
  } else if (op.kind == "set") {
    NodeRef node = in_tree(tree, op.id, "node");
    JsonReader reader(op.value);
    Value value = read_typed_value(reader, node->type());
    tree.set_value(*node, value, at);
  } else if (op.kind == "del") {
    NodeRef parent = in_tree(tree, op.parent, "parent");
    tree.remove_child(*parent, *in_tree(tree, op.id, "node"), at);
  } else if (op.kind == "sort") {
    tree.reorder_children(*in_tree(tree, op.id, "node"), op.order, at);
  } else if (op.kind == "nonce") {
    tree.accept_nonce(op.key, op.nonce, "", at);  // an older one than the table's is already kept
  } else {
    fail(ErrorCode::kInvalidArgument, "it is of an unknown kind \"" + op.kind + "\"");
  }
}

}  // namespace

uint64_t apply_record(Tree& tree, std::string_view record, const Replay& how) {
  JsonReader r(record);
  TreeLoader loader(tree, false);
  uint64_t version = 0;
  std::size_t index = 0;
  Op op;
  try {
    r.begin_object();
    std::string key;
    bool ops = false;
    while (r.next_key(key)) {
      if (key == "v") {
        version = r.unsigned_integer();
      } else if (key == "ops") {
        ops = true;
        r.begin_array();
        for (; r.next_item(); ++index) {
          op = Op();
          r.begin_object();
          while (r.next_key(key)) {
            if (key == "v") op.version = r.unsigned_integer();
            else if (key == "o") op.kind = r.string();
            else if (key == "p") op.parent = r.unsigned_integer();
            else if (key == "i") op.id = r.unsigned_integer();
            else if (key == "r") op.replaced = r.unsigned_integer();
            else if (key == "order") {
              r.begin_array();
              while (r.next_item()) op.order.push_back(r.unsigned_integer());
            }
            else if (key == "x") op.value = r.skip();
            else if (key == "n") {
              // a nonce op's "n" is its number; any other op's is a node
              if (op.kind == "nonce") op.nonce = r.unsigned_integer();
              else op.node = loader.read(r);
            }
            else if (key == "k") op.key = r.string();
            else r.skip();
          }
          if (op.version == 0) fail(ErrorCode::kInvalidArgument, "it has no version (\"v\")");
          if (op.version <= how.after) continue;
          apply(tree, op, how.keep_versions ? op.version : 0);
        }
      } else {
        r.skip();
      }
    }
    r.end();
    if (!ops) fail(ErrorCode::kInvalidArgument, "it has no \"ops\"");
  } catch (const Error& e) {
    std::string which = op.kind.empty() ? "" : " (" + op.kind + ")";
    fail(ErrorCode::kInvalidArgument, "the record of version " + std::to_string(version) + " cannot apply: op " +
                                          std::to_string(index) + which + ": " + e.what());
  }
  return version;
}

std::string write_snapshot(Tree& tree) {
  // the root, and the nonces of owner keys beside its children
  std::string body = write_json(tree.root(), JsonFormat::kSnapshot);
  body.insert(body.size() - 1, ",\"nonces\":" + tree.nonces_json());
  return body;
}



void load_snapshot(Tree& tree, std::string_view body) {
  Node& root = tree.root();
  if (root.child_count() != 0) fail(ErrorCode::kInvalidArgument, "a snapshot loads into an empty tree only");
  JsonReader r(body);
  TreeLoader loader(tree, true);
  try {
    r.begin_object();
    std::string key;
    while (r.next_key(key)) {
      if (key == "ver") {
        TreeLoader::set_version(root, r.unsigned_integer());
      } else if (key == "children") {
        r.begin_array();
        while (r.next_item()) {
          NodeRef child = loader.read(r);
          loader.attach(root, *child);
        }
      } else if (key == "nonces") {
        loader.read_nonces(r);
      } else {
        r.skip();
      }
    }
    r.end();
  } catch (const Error& e) {
    fail(ErrorCode::kInvalidArgument, std::string("the snapshot cannot be read: ") + e.what());
  }
}

NodeRef read_subtree(Tree& tree, std::string_view node) {
  JsonReader r(node);
  NodeRef top = TreeLoader(tree, false).read(r);
  r.end();
  return top;
}

std::vector<NodeRef> read_children(Tree& tree, std::string_view node) {
  JsonReader r(node);
  TreeLoader loader(tree, false);
  std::vector<NodeRef> children;
  r.begin_object();
  std::string key;
  while (r.next_key(key)) {
    if (key != "children") {
      r.skip();
      continue;
    }
    r.begin_array();
    while (r.next_item()) children.push_back(loader.read(r));
  }
  r.end();
  return children;
}

}  // namespace grove
