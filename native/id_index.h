// The nodes of one tree by id: every node under the root, found in one probe. Log replay
// and cluster replication address nodes by id (grove/record.h), so this is how a record
// finds what it changes.
//
// It holds the nodes without counting them: a node enters when it is linked under the root
// (with the subtree under it) and leaves when it is unlinked, before anything can free it
// (Tree's link and unlink walks, native/tree.cpp). A node's in_tree_ flag says the same
// thing and is what lookups trust: a walk clears the flags of a subtree it unlinks before
// it erases their entries.
//
// Writers take one mutex. find() takes it too (replay, replication); find_pinned() does
// not: the JS node handles name nodes by id and resolve them on every call through it,
// under the caller's epoch pin. Slots are atomics and a grown table retires the old one
// through the epoch, so a pinned probe always reads a live table and live nodes (an entry is
// erased before its node can be freed, and nodes are freed through the epoch too). A probe
// racing a backward-shift deletion can miss an entry that is there; find_pinned() then asks
// find(), so only a node that is really absent costs the mutex.
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "grove/node.h"

namespace grove {

class IdIndex {
 public:
  IdIndex() = default;
  IdIndex(const IdIndex&) = delete;
  IdIndex& operator=(const IdIndex&) = delete;
  ~IdIndex();

  // The node with this id if it is in the tree, with a reference; null otherwise.
  NodeRef find(uint64_t id) const;
  // The same without a reference or the mutex (while it finds it): the caller holds an
  // epoch::Guard, which keeps the node readable until it ends.
  Node* find_pinned(uint64_t id) const;

  // The batch operations of one link or unlink walk, each under one hold of the mutex.
  // insert() adds nodes not yet indexed and returns the first whose id is already taken
  // by another node (then it adds none of them), or null.
  Node* insert(const std::vector<Node*>& nodes);
  // Removes the entries that are these nodes (a later node may hold the id meanwhile).
  void erase(const std::vector<Node*>& nodes);

  std::size_t size() const;

  // x % size as two multiplications (size < 2^32, x < 2^32: a table of 2^32 slots would
  // index 3 billion nodes, 200 GB of them).
  struct Modulus {
    explicit Modulus(uint32_t n) : size(n), inverse(UINT64_MAX / n + 1) {}
    uint32_t size;
    uint64_t inverse;
  };

 private:
  // Open addressing, linear probing; null is empty.
  struct Table {
    explicit Table(std::size_t n) : size(n), modulus(static_cast<uint32_t>(n)), slots(new std::atomic<Node*>[n]()) {}
    std::size_t size;
    Modulus modulus;
    std::unique_ptr<std::atomic<Node*>[]> slots;
  };

  std::size_t slot_of(const Table& table, uint64_t id) const noexcept;  // mutex held
  void grow();                                                         // mutex held
  void erase_one(const Node* node);                                    // mutex held

  mutable std::mutex mutex_;
  // Swapped by grow() under the mutex (release; pairs with find_pinned's acquire).
  std::atomic<Table*> table_{nullptr};
  std::size_t count_ = 0;
};

}  // namespace grove
