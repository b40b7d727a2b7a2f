#include "id_index.h"

namespace grove {
namespace {

constexpr std::size_t kMinSlots = 64;

// A tree gives ids in sequence within its range (the top bits): the counter is its own
// hash, so a run of ids fills consecutive slots and probes stay short however full the
// table is; only the range is scrambled, so that two stations' runs land apart.
std::size_t home(uint64_t id, std::size_t slots) noexcept {
  uint64_t range = id >> 40;
  return static_cast<std::size_t>((id + range * 0x9E3779B97F4A7C15ull) % slots);
}

}  // namespace

std::size_t IdIndex::slot_of(uint64_t id) const noexcept {
  std::size_t size = slots_.size();
  std::size_t i = home(id, size);
  while (slots_[i] && slots_[i]->id() != id) i = i + 1 == size ? 0 : i + 1;
  return i;
}

void IdIndex::grow() {
  std::vector<Node*> old = std::move(slots_);
  // by half again, not double: the table stays about 60-80% full, ~12 bytes a node
  slots_.assign(old.empty() ? kMinSlots : old.size() + old.size() / 2, nullptr);
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
    // at most 80% full: probes stay short and always end at an empty slot
    if ((count_ + 1) * 5 > slots_.size() * 4) grow();
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
  std::size_t size = slots_.size();
  std::size_t i = slot_of(node->id());
  if (slots_[i] != node) return;
  slots_[i] = nullptr;
  --count_;
  // Backward-shift deletion: move later entries of the probe run into the gap, so that no
  // lookup stops early at it.
  for (std::size_t j = i + 1 == size ? 0 : i + 1; slots_[j]; j = j + 1 == size ? 0 : j + 1) {
    std::size_t at = home(slots_[j]->id(), size);
    bool between = i <= j ? (at > i && at <= j) : (at > i || at <= j);
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
