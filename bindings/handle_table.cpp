#include "handle_table.h"

#include <cmath>
#include <optional>
#include <string>

#include "grove/error.h"
#include "grove/value.h"

namespace grove::bindings {
namespace {

// handle = generation * 2^24 + slot: at most 2^24 live handles per environment, and
// generations below 2^28 keep every handle an exact double (< 2^52).
constexpr int kSlotBits = 24;
constexpr uint32_t kMaxSlots = 1u << kSlotBits;
constexpr uint32_t kMaxGeneration = 1u << 28;

double encode(uint32_t slot, uint32_t generation) {
  return static_cast<double>((uint64_t{generation} << kSlotBits) | slot);
}

struct Decoded {
  uint32_t slot;
  uint32_t generation;
};

std::optional<Decoded> decode(double handle) {
  constexpr double kLowest = kMaxSlots;  // generation 1, slot 0
  constexpr double kBeyond = static_cast<double>(uint64_t{kMaxGeneration} << kSlotBits);
  if (!(handle >= kLowest && handle < kBeyond) || std::trunc(handle) != handle) return std::nullopt;
  auto bits = static_cast<uint64_t>(handle);
  return Decoded{static_cast<uint32_t>(bits & (kMaxSlots - 1)), static_cast<uint32_t>(bits >> kSlotBits)};
}

std::string text(double handle) { return Value::f64(handle).describe(); }

}  // namespace

uint32_t HandleTable::allocate(Kind kind, uint32_t link) {
  uint32_t index;
  if (free_head_ != kNoSlot) {
    index = free_head_;
    free_head_ = slots_[index].link;
  } else {
    if (slots_.size() >= kMaxSlots) {
      fail(ErrorCode::kLimitExceeded, "this thread holds 2^24 nodes, trees and snapshots at once; release some "
                                      "(node.release()) or let them be garbage collected");
    }
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.kind = kind;
  slot.link = link;
  ++live_;
  return index;
}

double HandleTable::add_tree(TreeRecord* record) {
  uint32_t index;
  try {
    index = allocate(Kind::kTree, 0);
  } catch (...) {
    tree_registry::drop(record);
    throw;
  }
  slots_[index].record = record;
  return encode(index, slots_[index].generation);
}

double HandleTable::add_node(uint32_t tree_slot, NodeRef node) {
  uint32_t index = allocate(Kind::kNode, tree_slot);
  slots_[index].node = std::move(node);
  return encode(index, slots_[index].generation);
}

double HandleTable::add_snapshot(uint32_t tree_slot, Snapshot snapshot) {
  uint32_t index = allocate(Kind::kSnapshot, tree_slot);
  slots_[index].snapshot = std::move(snapshot);
  return encode(index, slots_[index].generation);
}

namespace {

// Out of line, so that resolving a good handle (every call) needs no frame for messages.
[[noreturn, gnu::noinline, gnu::cold]] void fail_handle(double handle, const char* expected, bool decodable) {
  if (!decodable) fail(ErrorCode::kInvalidArgument, text(handle) + " is not a " + expected + " handle");
  fail(ErrorCode::kReleased, std::string("this ") + expected + " handle was released; look the " + expected + " up again");
}

}  // namespace

const HandleTable::Slot& HandleTable::resolve(double handle, const char* expected) const {
  std::optional<Decoded> decoded = decode(handle);
  if (!decoded) fail_handle(handle, expected, false);
  auto [index, generation] = *decoded;
  if (index >= slots_.size() || slots_[index].generation != generation || slots_[index].kind == Kind::kFree) {
    fail_handle(handle, expected, true);
  }
  return slots_[index];
}

TreeTarget HandleTable::tree(double handle) const {
  const Slot& slot = resolve(handle, "tree");
  if (slot.kind == Kind::kClosedTree) fail(ErrorCode::kReleased, "the tree is closed");
  if (slot.kind != Kind::kTree) fail(ErrorCode::kInvalidArgument, text(handle) + " is not a tree handle");
  return {static_cast<uint32_t>(&slot - slots_.data()), slot.record, *slot.record->tree};
}

NodeTarget HandleTable::node(double handle) const {
  const Slot& slot = resolve(handle, "node");
  if (slot.kind == Kind::kClosedNode) fail(ErrorCode::kReleased, "this node's tree is closed");
  if (slot.kind != Kind::kNode) fail(ErrorCode::kInvalidArgument, text(handle) + " is not a node handle");
  return {slot.link, *slots_[slot.link].record->tree, *slot.node, {}};
}

SnapshotTarget HandleTable::snapshot(double handle) const {
  const Slot& slot = resolve(handle, "snapshot");
  if (slot.kind == Kind::kClosedNode) fail(ErrorCode::kReleased, "this snapshot's tree is closed");
  if (slot.kind != Kind::kSnapshot) fail(ErrorCode::kInvalidArgument, text(handle) + " is not a snapshot handle");
  return {slot.link, slot.snapshot};
}

void HandleTable::tombstone_dependents(uint32_t tree_slot) {
  for (Slot& slot : slots_) {
    if ((slot.kind == Kind::kNode || slot.kind == Kind::kSnapshot) && slot.link == tree_slot) {
      slot.kind = Kind::kClosedNode;
      slot.node = NodeRef();
      slot.snapshot = Snapshot();
    }
  }
}

void HandleTable::close_tree(double handle) {
  TreeTarget target = tree(handle);
  tombstone_dependents(target.slot);
  Slot& slot = slots_[target.slot];
  slot.kind = Kind::kClosedTree;
  slot.record = nullptr;
  tree_registry::drop(target.record);
}

void HandleTable::release(double handle) {
  std::optional<Decoded> decoded = decode(handle);
  if (!decoded) return;
  auto [index, generation] = *decoded;
  if (index >= slots_.size() || slots_[index].generation != generation || slots_[index].kind == Kind::kFree) return;
  if (slots_[index].kind == Kind::kTree) close_tree(handle);
  free_slot(index);
}

void HandleTable::free_slot(uint32_t index) {
  Slot& slot = slots_[index];
  slot.kind = Kind::kFree;
  slot.node = NodeRef();
  slot.snapshot = Snapshot();
  slot.record = nullptr;
  slot.generation = slot.generation + 1 == kMaxGeneration ? 1 : slot.generation + 1;
  slot.link = free_head_;
  free_head_ = index;
  --live_;
}

void HandleTable::clear() {
  // Nodes and snapshots first, then the trees they came through.
  for (Slot& slot : slots_) {
    slot.node = NodeRef();
    slot.snapshot = Snapshot();
  }
  for (Slot& slot : slots_) {
    if (slot.kind == Kind::kTree) tree_registry::drop(slot.record);
  }
  slots_.clear();
  free_head_ = kNoSlot;
  live_ = 0;
}

}  // namespace grove::bindings
