// A node's child list: an array of counted child pointers with spare capacity, a short
// array of scan keys (a cheap 32-bit digest of each of the first 16 names, so that a scan
// compares keys side by side instead of visiting every child), and, for larger lists, an
// open-addressing index of name hashes. A published list is never changed except by
// appending past its count: the writer fills the slot, its key and its index entry, then
// publishes the new count with a release store, so a reader that loaded the count sees
// every child below it. Anything else (remove, replace, sort, growth) builds a new list.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace grove {

class Node;

// The `available` bytes at p (at most 8 are read) as a little-endian word, zero-padded to
// 8 bytes. Overlapping loads assemble it without reading past the bytes and without a
// copy through memory (whose narrow stores would stall the wide load that follows them).
inline uint64_t padded_le64(const unsigned char* p, std::size_t available) noexcept {
  auto le32 = [](const unsigned char* q) {
    return uint32_t{q[0]} | uint32_t{q[1]} << 8 | uint32_t{q[2]} << 16 | uint32_t{q[3]} << 24;
  };
  if (available >= 8) return le32(p) | uint64_t{le32(p + 4)} << 32;
  if (available >= 4) return le32(p) | uint64_t{le32(p + available - 4)} << ((available - 4) * 8);
  if (available == 0) return 0;
  return uint64_t{p[0]} | uint64_t{p[available / 2]} << (available / 2 * 8) | uint64_t{p[available - 1]} << ((available - 1) * 8);
}

class ChildList {
 public:
  // An empty list with room for `capacity` children; one reference, held by the caller.
  static ChildList* create(uint32_t capacity);
  // A new list holding src's first `count` children (each retained), with room for `capacity`.
  static ChildList* copy_of(const ChildList* src, uint32_t count, uint32_t capacity);

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Dropping the last reference releases every child and frees the list.
  void release() noexcept;

  uint32_t capacity() const noexcept { return capacity_; }
  // Pairs with append()'s release store: children below the count are fully written.
  uint32_t count() const noexcept { return count_.load(std::memory_order_acquire); }
  Node* at(uint32_t i) const noexcept { return items()[i]; }

  // The position of the first child named `name` among the first `count`, or -1. `hash`
  // is name_hash(name), which only a list of 16 or more children needs; without it, it is
  // computed when needed.
  int64_t find_name(std::string_view name, uint32_t hash, uint32_t count) const noexcept;
  int64_t find_name(std::string_view name, uint32_t count) const noexcept;
  Node* child_named(std::string_view name, uint32_t hash, uint32_t count) const noexcept {
    int64_t i = find_name(name, hash, count);
    return i < 0 ? nullptr : at(static_cast<uint32_t>(i));
  }
  Node* child_named(std::string_view name, uint32_t count) const noexcept {
    int64_t i = find_name(name, count);
    return i < 0 ? nullptr : at(static_cast<uint32_t>(i));
  }

  // Writer side (the owning node's lock held). append() takes over one reference.
  bool full() const noexcept { return count_.load(std::memory_order_relaxed) == capacity_; }
  void append(Node* child) noexcept;

 private:
  ChildList(uint32_t capacity, uint32_t index_slots);
  uint32_t* scan_keys() const noexcept { return reinterpret_cast<uint32_t*>(const_cast<ChildList*>(this) + 1); }
  Node** items() const noexcept;
  std::atomic<uint32_t>* index() const noexcept;
  int64_t scan(std::string_view name, uint32_t count) const noexcept;
  int64_t probe(std::string_view name, uint32_t hash, uint32_t count) const noexcept;
  void index_insert(uint32_t hash, uint32_t position) noexcept;

  std::atomic<uint32_t> refs_{1};
  uint32_t capacity_;
  std::atomic<uint32_t> count_{0};
  uint32_t index_mask_;  // index slots - 1; 0 when the list is small enough to scan
  // Followed in the same allocation by uint32_t scan_keys[min(capacity_, 16), rounded up to even] (beside the
  // count, so that a scan reads one cache line before the child it visits), Node*
  // items[capacity_] and, when indexed, atomic<uint32_t> index[index_mask_ + 1] holding
  // position + 1 (0 = empty).
};

}  // namespace grove
