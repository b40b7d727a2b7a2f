// The storage of SIMD array values (f32array, f64array, i32array, i16array, u8array): one
// immutable buffer of numbers, 64-byte aligned, with a reference count.
//
// A buffer is written once, by whoever allocates it, and never changes after it is
// published: a node swaps in a new buffer to change its array (set, scale, axpy, resize).
// So any holder may read it without locks for as long as it holds a reference: the node
// that stores it, a Value, a kernel running on it, a JavaScript view onto it.
//
// Reference counting (the same discipline as ChildList in native/child_list.h):
// - retain() is relaxed: a new reference is always made from an existing one (a node's,
//   loaded under an epoch pin, or a Value's), so the count cannot be zero meanwhile.
// - release() is acq_rel: the release half publishes this holder's reads (and the
//   allocator's writes) before the count drops; the acquire half, on the last release,
//   makes every other holder's reads happen before the buffer is freed.
// - A node's own reference is dropped through epoch::retire, so a reader that loaded the
//   pointer under a pin may still retain it after the node swapped it out.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "grove/types.h"

namespace grove {

std::size_t element_size(Element element);

class alignas(64) ArrayData {
 public:
  static constexpr std::size_t kAlignment = 64;

  // A buffer of `length` elements, with one reference held by the caller. Its contents
  // are unspecified: the caller writes every element before sharing it. Throws
  // LimitExceeded beyond 2^32 elements.
  static ArrayData* allocate(Element element, std::size_t length);

  void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() const noexcept;

  Element element() const noexcept { return element_; }
  std::size_t length() const noexcept { return length_; }
  std::size_t bytes() const noexcept { return length_ * element_size(element_); }
  // 64-byte aligned; one past the header.
  void* data() noexcept { return this + 1; }
  const void* data() const noexcept { return this + 1; }
  template <class T>
  const T* as() const noexcept { return static_cast<const T*>(data()); }
  template <class T>
  T* as() noexcept { return static_cast<T*>(data()); }

  // Buffers alive in the process (for leak checks in tests).
  static std::size_t live() noexcept;

 private:
  ArrayData(Element element, std::size_t length) : element_(element), length_(length) {}
  ~ArrayData() = default;

  mutable std::atomic<uint32_t> refs_{1};
  Element element_;
  std::size_t length_;
};

static_assert(sizeof(ArrayData) == ArrayData::kAlignment, "the header fills exactly one alignment unit");

// Owns one reference to an ArrayData (or none).
class ArrayRef {
 public:
  ArrayRef() = default;
  static ArrayRef adopt(ArrayData* data) noexcept { return ArrayRef(data); }  // takes over a reference
  static ArrayRef share(const ArrayData* data) noexcept {                      // adds one
    if (data) data->retain();
    return ArrayRef(const_cast<ArrayData*>(data));
  }
  ArrayRef(const ArrayRef& other) noexcept : data_(other.data_) {
    if (data_) data_->retain();
  }
  ArrayRef(ArrayRef&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  ArrayRef& operator=(ArrayRef other) noexcept {
    std::swap(data_, other.data_);
    return *this;
  }
  ~ArrayRef() {
    if (data_) data_->release();
  }

  ArrayData* get() const noexcept { return data_; }
  ArrayData* operator->() const noexcept { return data_; }
  explicit operator bool() const noexcept { return data_ != nullptr; }
  ArrayData* release() noexcept { return std::exchange(data_, nullptr); }  // hands the reference over

 private:
  explicit ArrayRef(ArrayData* data) noexcept : data_(data) {}
  ArrayData* data_ = nullptr;
};

}  // namespace grove
