// Records: how the write-ahead log and the cluster's change streams carry changes, by the
// ids of the nodes they change, never by path; and snapshots, which carry every node with
// its id and version. The tree's feed makes the ops (Change::record); apply_record replays
// a record exactly, and fails naming the record and the op when one cannot apply.
//
//   record  {"v":V,"origin":"...","ops":[op, ...]}        V: the version of its last op
//   ops     {"v":V,"o":"add","p":P,"n":NODE}              NODE appended under node P
//           {"v":V,"o":"put","p":P,"n":NODE,"r":R}        NODE in place of P's child R
//           {"v":V,"o":"set","i":N,"x":VALUE}             N's leaf value (typed JSON)
//           {"v":V,"o":"del","p":P,"i":N}                 N removed from under P
//           {"v":V,"o":"sort","i":N,"order":[ID,...]}    N's children in this order (a sort's result)
//   NODE    typed JSON with each node's id after its type (JsonFormat::kStore):
//           {"name":"x","type":"object","id":12,"children":[{"name":"n","type":"u8","id":13,"value":5}]}
//   snapshot  the root as NODE with each node's version too (JsonFormat::kSnapshot, "ver")
//
// Other members of a record (a cluster stream's "p", "t", "f") are skipped. The nodes a
// change made take its version, as they did when it was made.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/tree.h"

namespace grove {

struct Replay {
  // Each op takes the version it carries (a station's own log); otherwise the next of this
  // tree (a replica applying another station's stream).
  bool keep_versions = true;
  // Ops at or below this version are already in the tree (the snapshot the log starts from).
  uint64_t after = 0;
};

// Applies one record; returns its version ("v"). Throws InvalidArgument, naming the
// record's version and the op, when the record is malformed or an op cannot apply (a
// node it names is not where it says): that is a bug or a damaged log, never skipped.
uint64_t apply_record(Tree& tree, std::string_view record, const Replay& how = {});

// The tree as a snapshot's body.
std::string write_snapshot(Tree& tree);
// Makes an empty tree the one a snapshot's body holds: every node with its id and version.
void load_snapshot(Tree& tree, std::string_view body);

// A detached subtree from its record form (NODE), every node with its id: what a cluster
// snapshot of one prefix carries.
NodeRef read_subtree(Tree& tree, std::string_view node);
// The children of a NODE (the root's, in a cluster snapshot of the whole tree), each detached.
std::vector<NodeRef> read_children(Tree& tree, std::string_view node);

}  // namespace grove
