#include "child_list.h"

#include <bit>
#include <new>

#include "grove/node.h"

namespace grove {
namespace {

// Lists shorter than this are scanned (by hash first); an index would cost more.
constexpr uint32_t kIndexThreshold = 16;

uint32_t index_slots_for(uint32_t capacity) {
  return capacity < kIndexThreshold ? 0 : std::bit_ceil(capacity * 2);  // load factor <= 1/2
}

}  // namespace

ChildList::ChildList(uint32_t capacity, uint32_t index_slots)
    : capacity_(capacity), index_mask_(index_slots ? index_slots - 1 : 0) {
  for (uint32_t i = 0; i < index_slots; ++i) new (&index()[i]) std::atomic<uint32_t>(0);
}

ChildList* ChildList::create(uint32_t capacity) {
  uint32_t slots = index_slots_for(capacity);
  std::size_t bytes = sizeof(ChildList) + sizeof(Node*) * capacity + sizeof(std::atomic<uint32_t>) * slots;
  return new (::operator new(bytes)) ChildList(capacity, slots);
}

ChildList* ChildList::copy_of(const ChildList* src, uint32_t count, uint32_t capacity) {
  ChildList* list = create(capacity);
  for (uint32_t i = 0; i < count; ++i) {
    Node* child = src->at(i);
    child->retain();
    list->append(child);
  }
  return list;
}

void ChildList::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;  // pairs with other releasers
  uint32_t n = count_.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < n; ++i) items()[i]->release();
  this->~ChildList();
  ::operator delete(this);
}

int64_t ChildList::find_name(std::string_view name, uint32_t hash, uint32_t count) const noexcept {
  if (index_mask_ == 0) {
    for (uint32_t i = 0; i < count; ++i) {
      Node* child = at(i);
      if (child->name_hash() == hash && child->name() == name) return i;
    }
    return -1;
  }
  // Same-named children were inserted in order, so the first one met is the first in the list.
  for (uint32_t slot = hash & index_mask_;; slot = (slot + 1) & index_mask_) {
    uint32_t entry = index()[slot].load(std::memory_order_acquire);  // pairs with index_insert
    if (entry == 0) return -1;
    uint32_t position = entry - 1;
    if (position >= count) continue;  // appended after this reader's snapshot
    Node* child = at(position);
    if (child->name_hash() == hash && child->name() == name) return position;
  }
}

void ChildList::index_insert(uint32_t hash, uint32_t position) noexcept {
  uint32_t slot = hash & index_mask_;
  while (index()[slot].load(std::memory_order_relaxed) != 0) slot = (slot + 1) & index_mask_;
  index()[slot].store(position + 1, std::memory_order_release);  // pairs with find_name's load
}

void ChildList::append(Node* child) noexcept {
  uint32_t n = count_.load(std::memory_order_relaxed);
  items()[n] = child;
  if (index_mask_ != 0) index_insert(child->name_hash(), n);
  count_.store(n + 1, std::memory_order_release);  // pairs with count(): the slot is written
}

}  // namespace grove
