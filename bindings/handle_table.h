// The handles of one JavaScript environment (the main thread or one worker). JavaScript
// holds trees, nodes and snapshots as numbers: a slot index plus a generation, so a handle
// used after release is detected even when its slot has been reused. Only the owning
// environment's thread touches its table, so it takes no locks.
#pragma once

#include <cstdint>
#include <vector>

#include "grove/node.h"
#include "grove/tree.h"
#include "tree_registry.h"

namespace grove::bindings {

struct TreeTarget {
  uint32_t slot;
  TreeRecord* record;
  Tree& tree;
};

// A node, with the tree it came through (writes go through the tree).
struct NodeTarget {
  uint32_t tree_slot;
  Tree& tree;
  Node& node;    // kept alive for the span of the native call: by its handle, by `hold`,
  NodeRef hold;  // or by the caller's epoch::Guard
};

struct SnapshotTarget {
  uint32_t tree_slot;
  const Snapshot& snapshot;  // a slot of the table: add_node() or add_snapshot() may move it
};

class HandleTable {
 public:
  HandleTable() = default;
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;
  ~HandleTable() { clear(); }

  // Each takes over what it is given: one holder of the record, the node reference.
  double add_tree(TreeRecord* record);
  double add_node(uint32_t tree_slot, NodeRef node);
  double add_snapshot(uint32_t tree_slot, Snapshot snapshot);

  // Resolve a handle or throw Released / InvalidArgument saying what is wrong with it.
  TreeTarget tree(double handle) const;
  NodeTarget node(double handle) const;
  SnapshotTarget snapshot(double handle) const;

  // Closes a tree handle: this environment's nodes and snapshots of it are dropped, and
  // they and the tree handle answer "tree is closed" until released.
  void close_tree(double handle);
  // Frees a handle of any kind (closing a live tree handle first). Stale handles are
  // ignored, so a finalizer racing an explicit release is harmless.
  void release(double handle);
  // Drops everything (environment teardown).
  void clear();

  std::size_t live() const { return live_; }

 private:
  enum class Kind : uint8_t { kFree, kTree, kNode, kSnapshot, kClosedTree, kClosedNode };

  struct Slot {
    uint32_t generation = 1;
    Kind kind = Kind::kFree;
    uint32_t link = 0;             // node/snapshot: their tree's slot; free: the next free slot
    TreeRecord* record = nullptr;  // tree slots: one holder
    NodeRef node;
    Snapshot snapshot;
  };

  uint32_t allocate(Kind kind, uint32_t link);  // the slot index
  const Slot& resolve(double handle, const char* expected) const;
  void free_slot(uint32_t index);
  void tombstone_dependents(uint32_t tree_slot);

  std::vector<Slot> slots_;
  uint32_t free_head_ = kNoSlot;
  std::size_t live_ = 0;

  static constexpr uint32_t kNoSlot = UINT32_MAX;
};

}  // namespace grove::bindings
