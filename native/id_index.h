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
// Writers and lookups take one mutex. Only writers that change structure and by-id
// lookups (replay, replication) come here; the lockless read paths never do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "grove/node.h"

namespace grove {

class IdIndex {
 public:
  IdIndex() = default;
  IdIndex(const IdIndex&) = delete;
  IdIndex& operator=(const IdIndex&) = delete;

  // The node with this id if it is in the tree, with a reference; null otherwise.
  NodeRef find(uint64_t id) const;

  // The batch operations of one link or unlink walk, each under one hold of the mutex.
  // insert() adds nodes not yet indexed and returns the first whose id is already taken
  // by another node (then it adds none of them), or null.
  Node* insert(const std::vector<Node*>& nodes);
  // Removes the entries that are these nodes (a later node may hold the id meanwhile).
  void erase(const std::vector<Node*>& nodes);

  std::size_t size() const;

 private:
  std::size_t slot_of(uint64_t id) const noexcept;  // mutex held
  void grow();                                       // mutex held
  void erase_one(const Node* node);                  // mutex held

  mutable std::mutex mutex_;
  std::vector<Node*> slots_;  // open addressing, linear probing; null is empty
  std::size_t count_ = 0;
};

}  // namespace grove
