// A tree: its root, its id and version counters, the index of its nodes by id, and its
// change feed. Every mutation goes through here: it takes the changed node's writer lock
// (so one node's writers are serialised and readers never wait), applies the change, takes
// its version from the one tree-wide counter and, when the feed is on, enters the change in
// the feed in version order, with what the subscribers and the log need of it.
//
// Identity. A node's id is given once, when it is made, and stays its name for its whole
// life: a snapshot and the log keep it (grove/record.h), a replica is given it, and it is
// never given to another node. A station of a cluster makes ids in its own range (the
// range's index in the top bits), so ids are unique across the cluster. Versions are kept
// the same way: a node's version is that of the last change at or under it, and a node a
// change made takes that change's version.
//
// One call, one change. A write that reaches a path through missing parents builds them
// detached, with what it writes at the bottom, and puts the whole chain in place in one
// step: one version, one feed entry, one record.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/epoch.h"
#include "grove/node.h"
#include "grove/schema.h"

namespace grove {

class ChildList;
class IdIndex;

enum class ChangeOp : uint8_t {
  kSet,      // a leaf value was written (set, increment, compare-and-set, set-if-zero, kernels)
  kAdd,      // a node (and what it holds) was added under its parent
  kRemove,   // a node was removed from under its parent
  kReplace,  // a node was put in place of a child of the same parent
  kSort,     // a node's children were reordered
  kNonce,    // a nonce of an owner key was accepted (no node changed; its record keeps it)
};

// How much the feed keeps of each change.
enum class FeedLevel : uint8_t {
  kOff,
  kEvents,   // what subscribers are told: the path and the values, as plain JSON
  kRecords,  // and the record that the log and the cluster replay (grove/record.h)
};

struct Change {
  uint64_t version = 0;
  ChangeOp op = ChangeOp::kSet;
  uint32_t writer = 0;    // the thread that wrote it (set_thread_writer)
  uint64_t id = 0;        // the node set, added, removed, sorted or put in place
  std::string path;       // where the change is seen: for a write through a path, that path
  std::string value;      // plain JSON: kSet the value written; kAdd, kReplace the node at `path`
  std::string old_value;  // plain JSON: kSet the value replaced; kReplace, kRemove the node taken out
  // A value (or old value) longer than kMaxEventValueBytes is left out of the change, which
  // says so here: an event is no way to ship a whole subtree; a reader reads it instead.
  bool value_omitted = false;
  bool old_value_omitted = false;
  std::string record;     // with FeedLevel::kRecords: the change as one record op
};

// Each thread that writes names itself once (the bindings give every JavaScript
// environment its own tag), so that a consumer of the feed can tell whose changes are whose.
void set_thread_writer(uint32_t tag) noexcept;
uint32_t thread_writer() noexcept;

class Tree {
 public:
  // Ids of a range start at range << kIdRangeBits; range 0 is a station on its own.
  static constexpr int kIdRangeBits = 40;
  static constexpr uint32_t kMaxIdRange = (1u << (53 - kIdRangeBits)) - 1;  // ids stay below 2^53
  static constexpr uint64_t kRootId = 1;
  // The most a change's value or old value takes as plain JSON (see Change).
  static constexpr std::size_t kMaxEventValueBytes = 1 << 20;

  static Tree* create();  // one reference, held by the caller
  void retain() noexcept;
  void release() noexcept;

  Node& root() const noexcept { return *root_; }
  // The member schemas of application types registered for this tree (grove/schema.h).
  // Structural writes under a node of such a type are checked against them.
  TypeSchemas& schemas() noexcept { return schemas_; }

  // --- identity ---------------------------------------------------------------------
  uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }
  // Raises the version counter to at least `at_least` (never lowers it).
  void advance_version(uint64_t at_least) noexcept;
  // The next id this tree will give, and raising it (never lowering): a tree rebuilt from a
  // store continues past every id it ever gave.
  uint64_t next_id() const noexcept { return next_id_.load(std::memory_order_relaxed); }
  void advance_ids(uint64_t next) noexcept;
  // Gives new nodes ids in `range` from now on (a station of a cluster); ids of this range
  // seen later (replayed, or in a name "#<id>") move the counter past them.
  void set_id_range(uint32_t range);
  uint32_t id_range() const noexcept { return id_range_.load(std::memory_order_relaxed); }
  // The node with this id, if it is in the tree (under the root).
  NodeRef node_by_id(uint64_t id) const;
  // The same without a reference, lockless while it finds it: for a caller holding an
  // epoch::Guard, which keeps the node readable until the guard ends.
  Node* node_by_id_pinned(uint64_t id) const;
  // How many nodes are in the tree, the root included.
  std::size_t size() const;

  // --- nodes ------------------------------------------------------------------------
  // A new detached node; add it with add_child. An empty name is generated from the id
  // ("#<id>"). The value, if given, is converted exactly to the node's type. `id` 0 takes a
  // new id; another is a node coming back (replay, replication).
  NodeRef create_node(std::string_view name, TypeId type, const Value* value = nullptr, uint64_t id = 0);

  // Structure. Each returns the version of its change; `at`, when not 0, is that version
  // (a record being replayed), else the next one. Writes under a detached node take no
  // version and enter no feed (a subtree being built).
  uint64_t add_child(Node& parent, Node& child, uint64_t at = 0);  // child: fresh from create_node
  uint64_t remove_child(Node& parent, const Node& child, uint64_t at = 0);
  uint64_t remove_child_at(Node& parent, std::size_t index);
  // Replaces the child whose id is `id` with `replacement` (fresh), keeping its position.
  uint64_t replace_child_by_id(Node& parent, uint64_t id, Node& replacement, uint64_t at = 0);
  // Puts `child` (fresh) in place of the first child of the same name, or appends it:
  // one step under the parent's lock, so two writers of one path cannot both append.
  uint64_t put_child(Node& parent, Node& child);
  // Stable sort by the value of each child's member `member`; children lacking it last.
  uint64_t sort_children(Node& parent, std::string_view member, bool descending, uint64_t at = 0);
  // Puts the children in the order of `ids` (all of them, each once): what a sort's record replays.
  uint64_t reorder_children(Node& parent, const std::vector<uint64_t>& ids, uint64_t at = 0);
  // A detached deep copy (new ids), and deep copies of `from`'s children appended to `to`.
  NodeRef copy_subtree(const Node& node);
  uint64_t copy_children(const Node& from, Node& to);

  // Writes through a path under `base`; missing parents are made objects, in the same
  // change. Each throws PathError saying where the path breaks.
  //
  // set_path: what `set` writes: a leaf value over a leaf is written in place when the
  // leaf's type is `type`, or when no type is given (`type` 0) and the value converts
  // exactly; anything else is `build()`'s node (named as the path ends), put in place of
  // the node there or added.
  uint64_t set_path(Node& base, std::string_view path, const Value* value, TypeId type,
                    const std::function<NodeRef()>& build);
  // put_path: `node` (fresh, named as the path ends) put in place of the node there, or added.
  uint64_t put_path(Node& base, std::string_view path, Node& node);
  // add_path: `child` (fresh) added under the node at `path`, made an object if missing.
  uint64_t add_path(Node& base, std::string_view path, Node& child);
  // delete_path: the node at `path` removed.
  uint64_t delete_path(Node& base, std::string_view path);

  // Leaf values. Each is one atomic step as seen by readers and by other writers.
  uint64_t set_value(Node& node, const Value& value, uint64_t at = 0);
  Value increment(Node& node, const Value& by, uint64_t* version = nullptr);
  // Writes `desired` if the node holds `expected`; `current` receives what it holds after.
  bool compare_and_set(Node& node, const Value& expected, const Value& desired, Value* current,
                       uint64_t* version = nullptr);
  bool set_if_zero(Node& node, const Value& desired, Value* current, uint64_t* version = nullptr);
  // Writes update(current value), converted exactly to the node's type, in one step under
  // the node's writer lock (array kernels and resize: a new buffer from the current one).
  uint64_t update_value(Node& node, const std::function<Value(const Value&)>& update);

  // --- nonces of owner keys -----------------------------------------------------------
  // The last nonce accepted for each owner key (a subtree owned by a public key takes only
  // writes signed with a nonce greater than the last): kept by the log (each acceptance is
  // a change of its own, kNonce, in the record of the write it signs), by snapshots, and by
  // a cluster's streams, so a captured signed write is never accepted twice, across
  // restarts, failovers and migrations.
  uint64_t nonce_of(std::string_view key) const;
  // Accepts `nonce` for `key` if it is greater than the last (in one step, so two writers
  // cannot both take one); `path` is where the change is seen (the owned subtree). Returns
  // whether it was accepted.
  bool accept_nonce(std::string_view key, uint64_t nonce, std::string_view path, uint64_t at = 0);
  // The table as JSON ({"<key>": nonce, ...}), and a table merged in (each key's greater one).
  std::string nonces_json() const;

  // --- the feed ---------------------------------------------------------------------
  // Off until a consumer turns it on; take_changes() hands over what accumulated, in
  // version order. Turning it off drops what it holds.
  void set_feed(FeedLevel level);
  FeedLevel feed() const noexcept { return feed_.load(std::memory_order_acquire); }
  std::vector<Change> take_changes();

  // Runs fn with every writer of this tree in other threads held back (epoch::Freeze):
  // what fn reads is the tree after some set of whole changes, all of them already in the
  // feed. fn must not write this tree.
  template <class Fn>
  auto frozen(Fn&& fn) {
    epoch::Freeze freeze(frozen_);
    return fn();
  }

 private:
  friend class TreeLoader;  // grove/record.h: snapshots load nodes with their ids and versions

  // What a mutation tells commit() about its change, besides the node it touched: the
  // Change's texts, made by the mutation where it can read what they describe.
  struct Note {
    std::string path_suffix;  // names below the touched node on the way to the path written
    std::string value;
    std::string old_value;
    bool value_omitted = false;
    bool old_value_omitted = false;
    std::string record;  // the record op without its version: {"o":"add","p":..,"n":{..}}
    bool stamps = true;  // whether the touched node and its ancestors take the version
  };

  Tree();
  ~Tree();
  // Takes the change's version (`at`, or the next), stamps `touched` and its ancestors with
  // it and, when the feed is on, enters the change. Called with the changed node's lock
  // held, so one node's changes are versioned in the order applied.
  uint64_t commit(Node& touched, ChangeOp op, uint64_t id, Note& note, uint64_t at);
  uint64_t write_value(Node& node, Value value, uint64_t at);  // node's lock held
  // Links a fresh child under `parent` (lock held): into the index with its subtree when
  // the parent is in the tree (then `linked` receives the subtree's nodes).
  void link_child(Node& parent, Node& child, std::vector<Node*>* linked);
  uint64_t remove_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index, uint64_t at);
  uint64_t replace_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index, Node& replacement,
                             Note& note, uint64_t at);
  // A change that added `child`: the feed's note of it, built before it is linked (while
  // only this thread can reach it). `target` is the node at the path written, under child.
  Note note_added(const Node& parent, const Node& child, const Node& target, std::string path_suffix) const;
  // A path write through missing parents: the objects names[from..to) built detached with
  // `leaf` at their bottom, added under `parent` in one change, unless a child named
  // names[from] appeared meanwhile (then false, and the caller walks again).
  bool add_under(Node& parent, const std::vector<std::string_view>& names, std::size_t from, std::size_t to,
                 Node& leaf, uint64_t* version);
  // A subtree leaving the tree: its nodes' in-tree flags cleared, their index entries dropped.
  void unindex(Node& top);
  uint64_t reorder_locked(Node& parent, ChildList* list, const std::vector<Node*>& ordered, uint64_t at);
  static void stamp(Node& node, uint64_t version) noexcept;
  // Writes a leaf value in place (a set over a leaf), or returns false to replace the node.
  bool set_in_place(Node& parent, std::string_view name, const Value& value, TypeId type, uint64_t* version);
  // Schema rules of application types: `parent` may take a child `name` of type `type`
  // (added, or put in place of one), or lose its child `name`. PathError otherwise.
  void check_member_write(const Node& parent, std::string_view name, TypeId type, bool adding);
  void check_member_removal(const Node& parent, std::string_view name);
  void note_id(uint64_t id) noexcept;
  Value store_value(Node& node, Value value, bool keep_old);

  std::atomic<uint32_t> refs_{1};
  std::atomic<uint64_t> next_id_{kRootId};
  std::atomic<uint32_t> id_range_{0};
  std::atomic<uint64_t> version_{0};
  std::atomic<uint32_t> frozen_{0};  // epoch::Freeze count, see frozen()
  NodeRef root_;
  IdIndex* index_;
  std::atomic<FeedLevel> feed_{FeedLevel::kOff};
  std::mutex feed_mutex_;
  std::vector<Change> changes_;
  mutable std::mutex nonces_mutex_;
  std::map<std::string, uint64_t, std::less<>> nonces_;
  TypeSchemas schemas_;
};

}  // namespace grove
