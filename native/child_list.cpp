#include "child_list.h"

#include <algorithm>
#include <bit>
#include <new>

#include "grove/node.h"

namespace grove {
namespace {

// Lists with fewer children than this are scanned; an index would cost more. (A list
// grows its index with its capacity, so an indexed list may still hold fewer children:
// those are scanned too.) The scan keys cover exactly these first children.
constexpr uint32_t kScanned = 16;

uint32_t index_slots_for(uint32_t capacity) {
  return capacity < kScanned ? 0 : std::bit_ceil(capacity * 2);  // load factor <= 1/2
}

// Rounded up to even, so that the items after the 16-byte header and the keys stay 8-aligned.
uint32_t scan_key_slots(uint32_t capacity) { return (std::min(capacity, kScanned) + 1) & ~1u; }

// A 32-bit digest of a name from its first and last 8 bytes (all of a name of up to 16
// bytes) and its length: a few instructions where name_hash() costs a table lookup per
// byte. Siblings that differ only in the middle of long names share keys, which costs
// them a byte comparison each in a scan, never a wrong answer.
uint32_t scan_key(std::string_view name) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(name.data());
  std::size_t n = name.size();
  uint64_t head = padded_le64(p, std::min<std::size_t>(n, 8));
  uint64_t tail = n > 8 ? padded_le64(p + (n > 16 ? n - 8 : 8), n > 16 ? 8 : n - 8) : 0;
  uint64_t mixed = (head * 0x9E3779B97F4A7C15u) ^ ((tail + n) * 0xC2B2AE3D27D4EB4Fu);
  return static_cast<uint32_t>((mixed ^ (mixed >> 29)) >> 16);
}

// Names are short: an inline loop beats a call to memcmp.
bool named(const Node* child, std::string_view name) noexcept {
  std::string_view own = child->name();
  if (own.size() != name.size()) return false;
  for (std::size_t i = 0; i < own.size(); ++i) {
    if (own[i] != name[i]) return false;
  }
  return true;
}

}  // namespace

ChildList::ChildList(uint32_t capacity, uint32_t index_slots)
    : capacity_(capacity), index_mask_(index_slots ? index_slots - 1 : 0) {
  for (uint32_t i = 0; i < index_slots; ++i) new (&index()[i]) std::atomic<uint32_t>(0);
}

Node** ChildList::items() const noexcept { return reinterpret_cast<Node**>(scan_keys() + scan_key_slots(capacity_)); }

std::atomic<uint32_t>* ChildList::index() const noexcept {
  return reinterpret_cast<std::atomic<uint32_t>*>(items() + capacity_);
}

ChildList* ChildList::create(uint32_t capacity) {
  uint32_t slots = index_slots_for(capacity);
  std::size_t bytes = sizeof(ChildList) + sizeof(Node*) * capacity + sizeof(uint32_t) * scan_key_slots(capacity) +
                      sizeof(std::atomic<uint32_t>) * slots;
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

int64_t ChildList::find_name(std::string_view name, uint32_t count) const noexcept {
  return count < kScanned ? scan(name, count) : probe(name, name_hash(name), count);
}

int64_t ChildList::find_name(std::string_view name, uint32_t hash, uint32_t count) const noexcept {
  return count < kScanned ? scan(name, count) : probe(name, hash, count);
}

int64_t ChildList::scan(std::string_view name, uint32_t count) const noexcept {
  // Keys side by side in one or two cache lines; only a child whose key matches is visited.
  uint32_t key = scan_key(name);
  const uint32_t* keys = scan_keys();
  for (uint32_t i = 0; i < count; ++i) {
    if (keys[i] == key && named(at(i), name)) return i;
  }
  return -1;
}

int64_t ChildList::probe(std::string_view name, uint32_t hash, uint32_t count) const noexcept {
  // Same-named children were inserted in order, so the first one met is the first in the list.
  for (uint32_t slot = hash & index_mask_;; slot = (slot + 1) & index_mask_) {
    uint32_t entry = index()[slot].load(std::memory_order_acquire);  // pairs with index_insert
    if (entry == 0) return -1;
    uint32_t position = entry - 1;
    if (position >= count) continue;  // appended after this reader's snapshot
    Node* child = at(position);
    if (child->name_hash() == hash && named(child, name)) return position;
  }
}

void ChildList::index_insert(uint32_t hash, uint32_t position) noexcept {
  uint32_t slot = hash & index_mask_;
  while (index()[slot].load(std::memory_order_relaxed) != 0) slot = (slot + 1) & index_mask_;
  index()[slot].store(position + 1, std::memory_order_release);  // pairs with probe's load
}

void ChildList::append(Node* child) noexcept {
  uint32_t n = count_.load(std::memory_order_relaxed);
  // Plain stores: no reader looks at position n until the count below publishes it.
  items()[n] = child;
  if (n < kScanned) scan_keys()[n] = scan_key(child->name());
  if (index_mask_ != 0) index_insert(child->name_hash(), n);  // readers may probe it early: atomic
  count_.store(n + 1, std::memory_order_release);  // pairs with count(): slot and key are written
}

}  // namespace grove
