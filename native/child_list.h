// A node's child list: an array of counted child pointers with spare capacity, and, for
// larger lists, an open-addressing name index. A published list is never changed except
// by appending past its count: the writer fills the slot and the index entry, then
// publishes the new count with a release store, so a reader that loaded the count sees
// every child below it. Anything else (remove, replace, sort, growth) builds a new list.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace grove {

class Node;

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

  // The position of the first child named `name` among the first `count`, or -1.
  int64_t find_name(std::string_view name, uint32_t hash, uint32_t count) const noexcept;
  Node* child_named(std::string_view name, uint32_t hash, uint32_t count) const noexcept {
    int64_t i = find_name(name, hash, count);
    return i < 0 ? nullptr : at(static_cast<uint32_t>(i));
  }

  // Writer side (the owning node's lock held). append() takes over one reference.
  bool full() const noexcept { return count_.load(std::memory_order_relaxed) == capacity_; }
  void append(Node* child) noexcept;

 private:
  ChildList(uint32_t capacity, uint32_t index_slots);
  Node** items() const noexcept { return reinterpret_cast<Node**>(const_cast<ChildList*>(this) + 1); }
  std::atomic<uint32_t>* index() const noexcept {
    return reinterpret_cast<std::atomic<uint32_t>*>(items() + capacity_);
  }
  void index_insert(uint32_t hash, uint32_t position) noexcept;

  std::atomic<uint32_t> refs_{1};
  uint32_t capacity_;
  std::atomic<uint32_t> count_{0};
  uint32_t index_mask_;  // index slots - 1; 0 when the list is small enough to scan
  // Followed in the same allocation by Node* items[capacity_] and, when indexed,
  // atomic<uint32_t> index[index_mask_ + 1] holding position + 1 (0 = empty).
};

}  // namespace grove
