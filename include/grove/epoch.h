// Reclamation for the read paths: how a reader keeps what it loads alive, and when a
// writer may free what it unlinked. The core is built one of two ways:
//
// - lockless (the default): epoch-based reclamation. A reader pins the current epoch for
//   the span of one native call (an epoch::Guard on the stack), loads atomic pointers with
//   acquire, reads, and unpins. Writers unlink an object, then retire() it; the object is
//   freed once no reader pinned before the unlink can still be reading it. Readers write
//   only their own cache line, so read cost does not grow with the number of readers.
//
// - locking (compiled with GROVE_LOCKING, built as the second addon grove_locked.node for
//   the benchmarks): the same tree guarded by one process-wide reader-writer mutex. A
//   Guard holds it shared, a WriteSection (every Tree mutation takes one, see
//   native/tiny_lock.h) holds it exclusive, and retired objects are freed when the write
//   section ends, when no reader can be inside. It exists to measure what the lockless
//   scheme buys; nothing else about the tree differs.
//
// In both builds a Guard must never outlive the native call that took it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace grove::epoch {

// Keeps what the calling thread loads readable while it lives. Nested guards cost one
// thread-local increment. In the locking build it holds the shared lock, and it is a
// no-op in a thread inside a WriteSection (which already excludes every other writer).
class Guard {
 public:
  Guard() noexcept;
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
};

#ifdef GROVE_LOCKING
// Holds the exclusive lock while it lives; reentrant. A thread must not open one inside a
// Guard (a shared lock cannot be upgraded): that is a bug, and it aborts.
class WriteSection {
 public:
  WriteSection();
  ~WriteSection();
  WriteSection(const WriteSection&) = delete;
  WriteSection& operator=(const WriteSection&) = delete;
};
#else
// Lockless build: writers serialise per node (native/tiny_lock.h) and never exclude readers.
class WriteSection {
 public:
  WriteSection() noexcept {}
  WriteSection(const WriteSection&) = delete;
  WriteSection& operator=(const WriteSection&) = delete;
};
#endif

// Writers of one tree against a thread that needs the tree to hold still (a snapshot, a
// catch-up export): every Tree mutation holds a WriterScope on its tree's `frozen` word for
// its whole span; a Freeze on that word waits until every writer of the tree in another
// thread has finished, and holds new ones back (they wait on the word, not spin) until it
// ends. So what a frozen thread reads is the tree after some set of whole changes, which is
// what makes a snapshot an exact cut of the log. Readers are never held back.
//
// A thread must not write the tree it froze (its writer would wait for itself), nor freeze
// a tree while it writes another. Lockless build: writers announce themselves in their own
// cache line (as readers pin), so a write costs a store and a fence more, no shared line.
// Locking build: a WriteScope is empty (writes are exclusive already) and a Freeze is a
// WriteSection.
class WriterScope {
 public:
  explicit WriterScope(std::atomic<uint32_t>& frozen) noexcept;
  ~WriterScope();
  WriterScope(const WriterScope&) = delete;
  WriterScope& operator=(const WriterScope&) = delete;

 private:
  [[maybe_unused]] std::atomic<uint32_t>& frozen_;
};

class Freeze {
 public:
  explicit Freeze(std::atomic<uint32_t>& frozen);
  ~Freeze();
  Freeze(const Freeze&) = delete;
  Freeze& operator=(const Freeze&) = delete;

 private:
  std::atomic<uint32_t>& frozen_;
#ifdef GROVE_LOCKING
  WriteSection section_;
#endif
};

// Runs deleter(ptr) once every reader that might have seen ptr is done with it. Call it
// only after ptr is unreachable for readers that start from now on.
void retire(void* ptr, void (*deleter)(void*));

template <class T>
void retire(T* ptr) {
  retire(static_cast<void*>(ptr), [](void* p) { delete static_cast<T*>(p); });
}

// Frees what no reader can see; returns how many objects are still waiting.
std::size_t collect();

// Collects until nothing is waiting or a pinned reader holds the rest back (for shutdown
// and tests). Returns how many objects are still waiting.
std::size_t drain();

// How many retired objects are waiting.
std::size_t pending();

}  // namespace grove::epoch
