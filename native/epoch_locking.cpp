// The locking build's reclamation (compiled instead of epoch.cpp with GROVE_LOCKING, see
// grove/epoch.h): one process-wide reader-writer lock. A Guard holds it shared, a
// WriteSection exclusive, and what is retired is freed when the retiring thread's
// outermost section ends with the lock held exclusively, so that no reader can be inside.
//
// Every reader takes and drops the same lock word (two atomic read-modify-writes on one
// cache line per call), which is what the benchmarks compare the lockless build against.
// The lock prefers writers: glibc's default (and so std::shared_mutex) prefers readers,
// and two threads reading back to back then starve a writer almost completely, so that
// the two builds would not be doing the same work.
#include "grove/epoch.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>
#include <shared_mutex>
#include <vector>

namespace grove::epoch {
namespace {

#ifdef __GLIBC__
class TreeLock {
 public:
  TreeLock() {
    pthread_rwlockattr_t attributes;
    pthread_rwlockattr_init(&attributes);
    pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attributes);
    pthread_rwlockattr_destroy(&attributes);
  }
  // Never destroyed: threads may still read while static destructors run.
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }
  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};
#else
using TreeLock = std::shared_mutex;  // its preference is the platform's
#endif

TreeLock g_tree_lock;

struct Retired {
  void* ptr;
  void (*deleter)(void*);
};

struct ThreadState {
  uint32_t read_depth = 0;   // nested Guards holding the shared lock
  uint32_t write_depth = 0;  // nested WriteSections holding the exclusive lock
  std::vector<Retired> retired;  // freed as this thread's outermost section ends
};

thread_local ThreadState t_state;

// Retired and not yet freed, across threads (for pending()); a statistic, hence relaxed.
std::atomic<std::size_t> g_pending{0};

// Frees this thread's retired objects; the exclusive lock is held.
void free_retired(ThreadState& t) {
  while (!t.retired.empty()) {
    std::vector<Retired> batch;
    batch.swap(t.retired);
    for (const Retired& r : batch) r.deleter(r.ptr);  // may retire more: the next pass frees them
    g_pending.fetch_sub(batch.size(), std::memory_order_relaxed);
  }
}

}  // namespace

Guard::Guard() noexcept {
  ThreadState& t = t_state;
  if (t.write_depth != 0) return;  // the exclusive lock already keeps everything readable
  if (t.read_depth++ == 0) g_tree_lock.lock_shared();
}

Guard::~Guard() {
  ThreadState& t = t_state;
  if (t.write_depth != 0) return;
  if (--t.read_depth != 0) return;
  g_tree_lock.unlock_shared();
  if (!t.retired.empty()) {
    WriteSection free_on_exit;  // what this reader retired (a last reference it dropped)
  }
}

WriteSection::WriteSection() {
  ThreadState& t = t_state;
  if (t.read_depth != 0) {
    std::fputs("grove: a write section was opened inside a read guard (a shared lock cannot be upgraded)\n", stderr);
    std::abort();
  }
  if (t.write_depth++ == 0) g_tree_lock.lock();
}

WriteSection::~WriteSection() {
  ThreadState& t = t_state;
  if (t.write_depth != 1) {
    --t.write_depth;
    return;
  }
  free_retired(t);  // still exclusive: no reader can be holding anything retired
  t.write_depth = 0;
  g_tree_lock.unlock();
}

WriterScope::WriterScope(std::atomic<uint32_t>& frozen) noexcept : frozen_(frozen) {}

WriterScope::~WriterScope() = default;

Freeze::Freeze(std::atomic<uint32_t>& frozen) : frozen_(frozen) {}

Freeze::~Freeze() = default;

void retire(void* ptr, void (*deleter)(void*)) {
  ThreadState& t = t_state;
  g_pending.fetch_add(1, std::memory_order_relaxed);
  t.retired.push_back({ptr, deleter});
  if (t.read_depth == 0 && t.write_depth == 0) {
    WriteSection free_on_exit;  // outside any section: free it as soon as readers are out
  }
}

// Retired objects wait only until their thread's section ends, so there is nothing to
// collect from outside one.
std::size_t collect() { return pending(); }

std::size_t drain() { return pending(); }

std::size_t pending() { return g_pending.load(std::memory_order_relaxed); }

}  // namespace grove::epoch
