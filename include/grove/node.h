// A tree node: id, name, type, an optional leaf value in one atomic word, and a
// copy-on-write child list published through one atomic pointer.
//
// Everything here reads without locking: each call pins the epoch for its own span and
// returns owned references (NodeRef, Snapshot). Mutations go through grove::Tree, which
// serialises writers per node and keeps versions and the change feed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/types.h"
#include "grove/value.h"

namespace grove {

class ChildList;
class Node;
class Tree;

// Owns one reference to a node.
class NodeRef {
 public:
  NodeRef() = default;
  explicit NodeRef(Node* adopted) noexcept : node_(adopted) {}  // takes over a reference
  NodeRef(const NodeRef& other) noexcept;
  NodeRef(NodeRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  NodeRef& operator=(NodeRef other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~NodeRef();

  static NodeRef share(Node* node) noexcept;  // adds a reference
  Node* get() const noexcept { return node_; }
  Node* operator->() const noexcept { return node_; }
  Node& operator*() const noexcept { return *node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }
  Node* release() noexcept { return std::exchange(node_, nullptr); }  // hands the reference over

 private:
  Node* node_ = nullptr;
};

// A child list as it was at one moment. It holds a real reference on the list (not an
// epoch pin), so it may be kept across calls, e.g. by a JS iterator.
class Snapshot {
 public:
  Snapshot() = default;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  Snapshot(Snapshot&& other) noexcept
      : list_(std::exchange(other.list_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  Snapshot& operator=(Snapshot&& other) noexcept;
  ~Snapshot();

  std::size_t size() const noexcept { return count_; }
  // The child at index i (< size()), borrowed: valid while this snapshot lives.
  Node* at(std::size_t i) const noexcept;

 private:
  friend class Node;
  ChildList* list_ = nullptr;
  uint32_t count_ = 0;
};

enum class Compare { kEq, kNe, kLt, kGt, kLe, kGe };

// Which children find() returns: those whose member `member` compares with `operand`;
// with `by_count`, the member's number of children is compared instead of its value.
struct MemberQuery {
  std::string_view member;
  Compare op = Compare::kEq;
  Value operand;
  bool by_count = false;
  TypeId child_type = type::kAny;
  std::size_t limit = SIZE_MAX;
};

class Node {
 public:
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  uint64_t id() const noexcept { return id_; }
  std::string_view name() const noexcept { return {name_, name_len_}; }
  uint32_t name_hash() const noexcept { return name_hash_; }
  TypeId type() const noexcept { return type_; }
  // The tree version that last changed this node or anything under it.
  uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }
  // Whether the node is in its tree: under the root, not removed (nor being built).
  bool in_tree() const noexcept { return in_tree_.load(std::memory_order_acquire); }

  void retain() const noexcept;
  void release() const noexcept;

  // Leaf value (type null for structured nodes), and the same converted exactly.
  Value value() const;
  Value value_as(TypeId type) const;

  std::size_t child_count() const noexcept;
  // This node and everything under it, counted on one walk of the current lists.
  uint64_t subtree_size() const;
  Snapshot children() const;
  NodeRef child_at(std::size_t index) const;
  NodeRef child(std::string_view name) const;           // first match
  NodeRef child_of_type(TypeId query) const;            // first is-a match
  NodeRef child_by_id(uint64_t id) const;
  // A descendant by relative path "a/b/c" (a leading '/' is ignored, "" is this node);
  // null when missing. Throws InvalidArgument for a malformed path.
  NodeRef find_path(std::string_view path) const;
  // The type and leaf value of the descendant at `path`, found and read under one pin
  // without taking a reference (the hot path of tree.value(path)): found is false when it
  // is missing. Throws InvalidArgument for a malformed path.
  struct PathRead {
    bool found = false;
    TypeId type = type::kNull;
    Value value;  // null for structured nodes
  };
  PathRead read_path(std::string_view path) const;
  std::vector<NodeRef> find(const MemberQuery& query) const;
  // child_at, child and find_path without a reference, for a caller holding an
  // epoch::Guard, which keeps what they return readable until it ends (the JS bindings'
  // reads, which name nodes by id and need no reference on what they return).
  Node* child_at_pinned(std::size_t index) const;
  Node* child_pinned(std::string_view name) const;
  Node* find_path_pinned(std::string_view path) const { return const_cast<Node*>(walk(path)); }

  NodeRef parent() const;                               // null for a root or detached node
  NodeRef ancestor_of_type(TypeId query) const;         // nearest, excluding this node

  // Names from the root down to this node joined by '/'; empty for the root.
  std::string path() const;

 private:
  friend class Tree;
  friend class TreeLoader;
  friend class ChildList;
  Node(uint64_t id, std::string_view name, TypeId type);
  ~Node();
  static void destroy(void* node);
  // The descendant at `path`, or null; the caller holds a pin. See find_path.
  const Node* walk(std::string_view path) const;
  // Takes a reference unless the count already reached zero (the node is being retired).
  static Node* try_retain(Node* node) noexcept;
  // For the children [from, to) of a list, each one's first child named `member` (null where
  // it has none), into out[i - from]: a pass over many children (find's where, sort's keys);
  // the caller holds a pin. Reads ahead of itself, so that the cache misses of one child's
  // node, list and member overlap those of the next.
  static void members_of(const ChildList& list, uint32_t from, uint32_t to, std::string_view member, std::vector<const Node*>& out);
  // How far a pass over many nodes fetches ahead of the one it reads: a node's line is asked
  // for kAhead nodes early, what it points to half as early, so both are in cache when used.
  static constexpr uint32_t kAhead = 16;

  // A structured node's child list (null until its first child), read through children_of.
  ChildList* children_of(std::memory_order order) const noexcept {
    return structured_ ? reinterpret_cast<ChildList*>(word_.load(order)) : nullptr;
  }
  void set_children(ChildList* list, std::memory_order order) noexcept { word_.store(reinterpret_cast<uint64_t>(list), order); }

  // Laid out so that a node with a name of up to kInlineName bytes is 56 bytes, one 64-byte
  // malloc chunk: the one-byte fields fill what would be padding.
  mutable std::atomic<uint32_t> refs_{1};
  const TypeId type_;
  uint32_t name_hash_;
  std::atomic<uint8_t> lock_{0};              // writer lock, see native/tiny_lock.h
  std::atomic<bool> attached_{false};         // set once, when first added to a parent
  // Set, with the node's entry in the tree's IdIndex, when it is linked under the root; cleared
  // (under the node's lock) when it leaves. Release/acquire: set before the link publishes it.
  std::atomic<bool> in_tree_{false};
  const bool structured_;                     // type_info(type_).structured, read on every walk
  const uint64_t id_;
  // A leaf's inline scalar bits, or the Blob* / ArrayData* of its value; a structured node
  // (which holds no value) keeps its ChildList* here instead, so that no node pays for both.
  std::atomic<uint64_t> word_{0};
  std::atomic<Node*> parent_{nullptr};        // not counted; cleared when the parent dies
  std::atomic<uint64_t> version_{0};
  uint8_t name_len_;
  // The name's bytes, allocated with the node (allocation_bytes): the first kInlineName fill
  // the struct's tail, the rest follow it.
  static constexpr std::size_t kInlineName = 7;
  char name_[kInlineName];

 public:
  static constexpr std::size_t allocation_bytes(std::size_t name_len) noexcept {
    return sizeof(Node) + (name_len > kInlineName ? name_len - kInlineName : 0);
  }
};

static_assert(sizeof(Node) == 56, "a field added to Node costs every node a 16-byte malloc step: say why here");

// Validation shared by every layer that accepts names and paths.
// Throws InvalidArgument with a message that says what is wrong with the name.
void validate_name(std::string_view name);
// Whether the bytes are well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);
[[noreturn]] void throw_bad_path(const char* why);

// A path with its optional leading '/' taken off (DESIGN "The node": "/a" is "a"): the one
// place the core applies that rule.
inline std::string_view without_root(std::string_view path) noexcept {
  return !path.empty() && path.front() == '/' ? path.substr(1) : path;
}

// Calls fn(name) for each name of a path ("" and "/" are the root) after validating it;
// throws InvalidArgument for a malformed path. split_path collects the names.
template <class Fn>
void for_each_name(std::string_view path, Fn&& fn) {
  path = without_root(path);
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    if (name.empty()) throw_bad_path("empty name between '/' separators");
    validate_name(name);
    fn(name);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) throw_bad_path("a path must not end with '/'");
  }
}
std::vector<std::string_view> split_path(std::string_view path);

// The node at `path` under `base`, or a NotFound PathError naming the first missing name
// ("no node at 'a/q/r': 'a' has no child 'q'").
NodeRef require_path(const Node& base, std::string_view path);

// Nodix's name hash: reflected CRC-32 with no final XOR over the name padded with NULs
// to 32 bytes (names longer than 32 bytes are hashed whole).
uint32_t name_hash(std::string_view name);

}  // namespace grove
