#include "id_index.h"

namespace grove {
namespace {

constexpr std::size_t kMinSlots = 64;

// Ids are mostly consecutive: a multiplicative hash spreads them over the table.
std::size_t mix(uint64_t id) noexcept { return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 17); }

}  // namespace

std::size_t IdIndex::slot_of(uint64_t id) const noexcept {
  std::size_t mask = slots_.size() - 1;
  std::size_t i = mix(id) & mask;
  while (slots_[i] && slots_[i]->id() != id) i = (i + 1) & mask;
  return i;
}

void IdIndex::grow() {
  std::vector<Node*> old = std::move(slots_);
  slots_.assign(old.empty() ? kMinSlots : old.size() * 2, nullptr);
  for (Node* node : old) {
    if (node) slots_[slot_of(node->id())] = node;
  }
}

NodeRef IdIndex::find(uint64_t id) const {
  std::lock_guard lock(mutex_);
  if (slots_.empty()) return {};
  Node* node = slots_[slot_of(id)];
  // The flag is cleared before the entry is erased (an unlink walk in progress).
  if (!node || !node->in_tree()) return {};
  return NodeRef::share(node);  // indexed nodes are alive: the unlink erases them first
}

Node* IdIndex::insert(const std::vector<Node*>& nodes) {
  std::lock_guard lock(mutex_);
  std::size_t added = 0;
  for (Node* node : nodes) {
    // at most half full, so that a probe stays short and always ends at an empty slot
    if ((count_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = slot_of(node->id());
    if (slots_[i]) {
      for (std::size_t k = 0; k < added; ++k) erase_one(nodes[k]);
      return slots_[i];
    }
    slots_[i] = node;
    ++count_;
    ++added;
  }
  return nullptr;
}

void IdIndex::erase(const std::vector<Node*>& nodes) {
  std::lock_guard lock(mutex_);
  for (const Node* node : nodes) erase_one(node);
}

void IdIndex::erase_one(const Node* node) {
  if (slots_.empty()) return;
  std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(node->id());
  if (slots_[i] != node) return;
  slots_[i] = nullptr;
  --count_;
  // Backward-shift deletion: move later entries of the probe run into the gap, so that no
  // lookup stops early at it.
  for (std::size_t j = (i + 1) & mask; slots_[j]; j = (j + 1) & mask) {
    std::size_t home = mix(slots_[j]->id()) & mask;
    bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (between) continue;
    slots_[i] = slots_[j];
    slots_[j] = nullptr;
    i = j;
  }
}

std::size_t IdIndex::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace grove
