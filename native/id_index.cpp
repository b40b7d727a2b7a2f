#include "id_index.h"

#include "grove/epoch.h"

namespace grove {
namespace {

constexpr std::size_t kMinSlots = 64;

// A tree gives ids in sequence within its range (the top bits): the counter is its own
// hash, so a run of ids fills consecutive slots and probes stay short however full the
// table is; only the range is scrambled, so that two stations' runs land apart. Folded to
// 32 bits (a counter below 2^32 stays itself) and reduced with the table's precomputed
// inverse (Lemire's fastmod): a division would cost more than the rest of a lookup.
std::size_t home(uint64_t id, const IdIndex::Modulus& modulus) noexcept {
  uint64_t hash = id + (id >> 40) * 0x9E3779B97F4A7C15ull;
  auto folded = static_cast<uint32_t>(hash ^ (hash >> 32));
  uint64_t low = modulus.inverse * folded;
  // (low * size) >> 64 in 64-bit halves: exact, as size < 2^32
  uint64_t high_part = (low >> 32) * modulus.size, low_part = ((low & 0xFFFFFFFFu) * modulus.size) >> 32;
  return static_cast<std::size_t>((high_part + low_part) >> 32);
}

std::size_t next(std::size_t i, std::size_t size) noexcept { return i + 1 == size ? 0 : i + 1; }

}  // namespace

// Slots are written under the mutex with release stores (pairing with find_pinned's
// acquire loads, which then see the node's id); the mutex's own readers load them relaxed.
IdIndex::~IdIndex() { delete table_.load(std::memory_order_relaxed); }

std::size_t IdIndex::slot_of(const Table& table, uint64_t id) const noexcept {
  std::size_t i = home(id, table.modulus);
  for (Node* n; (n = table.slots[i].load(std::memory_order_relaxed)) && n->id() != id;) i = next(i, table.size);
  return i;
}

void IdIndex::grow() {
  Table* old = table_.load(std::memory_order_relaxed);
  // by half again, not double: the table stays about 60-80% full, ~12 bytes a node
  auto* grown = new Table(old ? old->size + old->size / 2 : kMinSlots);
  for (std::size_t i = 0; old && i < old->size; ++i) {
    if (Node* node = old->slots[i].load(std::memory_order_relaxed)) {
      grown->slots[slot_of(*grown, node->id())].store(node, std::memory_order_relaxed);
    }
  }
  table_.store(grown, std::memory_order_release);  // pairs with find_pinned's acquire
  if (old) epoch::retire(old);                     // a pinned probe may still read it
}

NodeRef IdIndex::find(uint64_t id) const {
  std::lock_guard lock(mutex_);
  const Table* table = table_.load(std::memory_order_relaxed);
  if (!table) return {};
  Node* node = table->slots[slot_of(*table, id)].load(std::memory_order_relaxed);
  // The flag is cleared before the entry is erased (an unlink walk in progress).
  if (!node || !node->in_tree()) return {};
  return NodeRef::share(node);  // indexed nodes are alive: the unlink erases them first
}

Node* IdIndex::find_pinned(uint64_t id) const {
  if (const Table* table = table_.load(std::memory_order_acquire)) {
    for (std::size_t i = home(id, table->modulus);; i = next(i, table->size)) {
      Node* node = table->slots[i].load(std::memory_order_acquire);
      if (!node) break;
      // in_tree's acquire pairs with the unlink's release store that clears it.
      if (node->id() == id) return node->in_tree() ? node : nullptr;
    }
  }
  // An empty slot ends the probe, but a deletion may be shifting the entry past it.
  NodeRef found = find(id);
  return found.get();  // alive after the reference goes: it was indexed after our pin began
}

Node* IdIndex::insert(const std::vector<Node*>& nodes) {
  std::lock_guard lock(mutex_);
  std::size_t added = 0;
  for (Node* node : nodes) {
    // at most 80% full: probes stay short and always end at an empty slot
    const Table* table = table_.load(std::memory_order_relaxed);
    if (!table || (count_ + 1) * 5 > table->size * 4) grow(), table = table_.load(std::memory_order_relaxed);
    std::atomic<Node*>& slot = table->slots[slot_of(*table, node->id())];
    if (Node* holder = slot.load(std::memory_order_relaxed)) {
      for (std::size_t k = 0; k < added; ++k) erase_one(nodes[k]);
      return holder;
    }
    slot.store(node, std::memory_order_release);
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
  const Table* table = table_.load(std::memory_order_relaxed);
  if (!table) return;
  std::size_t size = table->size;
  std::atomic<Node*>* slots = table->slots.get();
  std::size_t i = slot_of(*table, node->id());
  if (slots[i].load(std::memory_order_relaxed) != node) return;
  slots[i].store(nullptr, std::memory_order_release);
  --count_;
  // Backward-shift deletion: move later entries of the probe run into the gap, so that no
  // lookup stops early at it. Each entry is stored at its new place before its old one is
  // cleared, so a pinned probe sees it at one place or both (or, passing the gap first,
  // at neither: find_pinned falls back to find).
  for (std::size_t j = next(i, size); Node* moved = slots[j].load(std::memory_order_relaxed); j = next(j, size)) {
    std::size_t at = home(moved->id(), table->modulus);
    bool between = i <= j ? (at > i && at <= j) : (at > i || at <= j);
    if (between) continue;
    slots[i].store(moved, std::memory_order_release);
    slots[j].store(nullptr, std::memory_order_release);
    i = j;
  }
}

std::size_t IdIndex::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace grove
