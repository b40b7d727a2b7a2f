// A tree: its root, its id and version counters, and its change feed. Every mutation goes
// through here: it takes the changed node's writer lock (so one node's writers are
// serialised and readers never wait), applies the change, takes its version from the one
// tree-wide counter and, when the feed is on, enters the feed in version order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/node.h"
#include "grove/schema.h"

namespace grove {

enum class ChangeOp : uint8_t {
  kSet,      // a leaf value was written (set, increment, compare-and-set, set-if-zero)
  kAdd,      // `node` was added under its parent
  kRemove,   // `node` was removed from under its parent
  kReplace,  // `node` replaced a child of the same parent
  kSort,     // `node`'s children were reordered
};

struct Change {
  uint64_t version;
  ChangeOp op;
  NodeRef node;      // the node set, added, removed, sorted, or put in place of `replaced`
  std::string path;  // its path when the change was made
  NodeRef replaced;  // kReplace: the node taken out
  Value value;       // kSet: the value written
  Value old_value;   // kSet: the value it replaced
  std::string sort_member;  // kSort: the member sorted by
  bool sort_descending = false;
};

class Tree {
 public:
  static Tree* create();  // one reference, held by the caller
  void retain() noexcept;
  void release() noexcept;

  Node& root() const noexcept { return *root_; }
  // The member schemas of application types registered for this tree (grove/schema.h).
  TypeSchemas& schemas() noexcept { return schemas_; }
  uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }
  // Raises the version counter to at least `at_least` (never lowers it): a tree rebuilt
  // from a store continues after the last logged version, so versions are never reused.
  void advance_version(uint64_t at_least) noexcept;

  // A new detached node; add it with add_child. An empty name is generated from the id
  // ("#<id>"). The value, if given, is converted exactly to the node's type.
  NodeRef create_node(std::string_view name, TypeId type, const Value* value = nullptr);

  // Structure. Each returns the version of the change.
  uint64_t add_child(Node& parent, Node& child);  // child: fresh from create_node
  uint64_t remove_child(Node& parent, const Node& child);
  uint64_t remove_child_at(Node& parent, std::size_t index);
  // Replaces the child whose id is `id` with `replacement` (fresh), keeping its position.
  uint64_t replace_child_by_id(Node& parent, uint64_t id, Node& replacement);
  // Puts `child` (fresh) in place of the first child of the same name, or appends it:
  // one step under the parent's lock, so two writers of one path cannot both append.
  uint64_t put_child(Node& parent, Node& child);
  // The first child named `name`, created as a `type` node when there is none (one step).
  NodeRef ensure_child(Node& parent, std::string_view name, TypeId type);
  // Stable sort by the value of each child's member `member`; children lacking it last.
  uint64_t sort_children(Node& parent, std::string_view member, bool descending);
  // A detached deep copy (new ids), and deep copies of `from`'s children appended to `to`.
  NodeRef copy_subtree(const Node& node);
  uint64_t copy_children(const Node& from, Node& to);

  // Leaf values. Each is one atomic step as seen by readers and by other writers.
  uint64_t set_value(Node& node, const Value& value);
  Value increment(Node& node, const Value& by, uint64_t* version = nullptr);
  // Writes `desired` if the node holds `expected`; `current` receives what it holds after.
  bool compare_and_set(Node& node, const Value& expected, const Value& desired, Value* current,
                       uint64_t* version = nullptr);
  bool set_if_zero(Node& node, const Value& desired, Value* current, uint64_t* version = nullptr);
  // Writes update(current value), converted exactly to the node's type, in one step under
  // the node's writer lock (array kernels and resize: a new buffer from the current one).
  uint64_t update_value(Node& node, const std::function<Value(const Value&)>& update);

  // The change feed: off until a consumer turns it on; take_changes() hands over what
  // accumulated, in version order.
  void set_feed(bool on);
  std::vector<Change> take_changes();

 private:
  Tree();
  ~Tree();
  // Takes the next version for a change to `subject`, stamps `touched` and its ancestors
  // with it and, when the feed is on, enters the change in the feed. Called with the
  // changed node's lock held, so one node's changes are versioned in the order applied.
  // `details` supplies the values (kSet) or sort key (kSort) of the feed record.
  uint64_t commit(Node& touched, ChangeOp op, Node& subject, Node* replaced = nullptr, Change* details = nullptr);
  uint64_t write_value(Node& node, Value value);  // node's lock held
  void link_child(Node& parent, Node& child);     // parent's lock held
  uint64_t remove_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index);
  uint64_t replace_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index, Node& replacement);
  // Writes the value and returns the one it replaced (a blob's bytes only with keep_old).
  Value store_value(Node& node, Value value, bool keep_old);

  std::atomic<uint32_t> refs_{1};
  std::atomic<uint64_t> next_id_{1};
  std::atomic<uint64_t> version_{0};
  NodeRef root_;
  std::atomic<bool> feed_on_{false};
  std::mutex feed_mutex_;
  std::vector<Change> feed_;
  TypeSchemas schemas_;
};

}  // namespace grove
