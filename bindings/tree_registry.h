// The trees the bindings hold, across every thread. Each tree handle in any environment is
// one "holder" of a TreeRecord; the record owns the one grove::Tree reference the bindings
// keep, and the last holder to let go releases it. A tree shared with share() gets a token
// that any thread can attach() to while at least one holder remains; the token map does
// not count as a holder, so a shared tree still dies with its last holder.
#pragma once

#include <cstddef>
#include <cstdint>

#include "grove/tree.h"

namespace grove::bindings {

struct TreeRecord {
  Tree* tree;              // one reference, released with the record
  uint32_t holders = 1;    // guarded by the registry mutex
  uint64_t token = 0;      // 0 until shared
};

namespace tree_registry {

// A record for a tree the caller created, with the caller as its one holder.
TreeRecord* adopt(Tree* tree);
// The tree's token for attach(); the same token every time.
uint64_t share(TreeRecord* record);
// One more holder of the tree shared under `token`; throws Released when every holder
// has let go, NotFound for a token never issued.
TreeRecord* attach(uint64_t token);
// One holder fewer; the last frees the record and releases the tree.
void drop(TreeRecord* record);

uint32_t holders(const TreeRecord* record);
std::size_t live();  // records alive in the process

}  // namespace tree_registry
}  // namespace grove::bindings
