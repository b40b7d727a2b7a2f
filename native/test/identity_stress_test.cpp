// Node identity under concurrency: writers on several threads add, replace, remove, sort
// and set under a shared parent and parents of their own; a consumer takes the feed's
// records as they come and replays them into a mirror tree; a snapshotter freezes the tree
// and checks each snapshot loads into a tree equal to it; a reader looks nodes up by id.
// At the end the mirror, fed only by records, equals the tree node for node, ids and
// versions included. Under ThreadSanitizer and AddressSanitizer (native/test/run.sh) this
// covers the id index, the writers' freeze and the feed's texts. A second test races the
// lockless by-id lookup the JS bindings use against removal and the index's growth.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "grove/epoch.h"
#include "grove/json.h"
#include "grove/record.h"
#include "grove/tree.h"

using namespace grove;

namespace {

constexpr int kWriters = 3;


struct Shared {
  Tree* tree = Tree::create();
  NodeRef common;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> highest_id{0};
  std::atomic<uint64_t> writes{0}, snapshots{0}, lookups{0};
};

void writer(Shared& s, int index) {
  std::mt19937 rng(1234 + index);
  Tree& tree = *s.tree;
  set_thread_writer(100 + index);
  NodeRef mine = tree.create_node("w" + std::to_string(index), type::kList);
  tree.add_child(tree.root(), *mine);
  while (!s.stop.load(std::memory_order_relaxed)) {
    Node& parent = rng() % 3 == 0 ? *s.common : *mine;
    std::size_t count = parent.child_count();
    int action = static_cast<int>(rng() % 8);
    if (count < 40 || action < 3) {
      NodeRef item = tree.create_node("", type::kObject);
      Value rank = Value::i64(static_cast<int64_t>(rng() % 100));
      tree.add_child(*item, *tree.create_node("rank", type::kI64, &rank));
      tree.add_child(parent, *item);
      uint64_t seen = s.highest_id.load(std::memory_order_relaxed);
      while (seen < item->id() && !s.highest_id.compare_exchange_weak(seen, item->id(), std::memory_order_relaxed)) {
      }
    } else if (action == 3) {
      if (NodeRef victim = parent.child_at(rng() % count)) {
        try {
          tree.remove_child(parent, *victim);
        } catch (const Error&) {  // another writer of the shared parent removed it first
        }
      }
    } else if (action == 4) {
      if (NodeRef old = parent.child_at(rng() % count)) {
        NodeRef fresh = tree.create_node(old->name(), type::kObject);
        try {
          tree.replace_child_by_id(parent, old->id(), *fresh);
        } catch (const Error&) {
        }
      }
    } else if (action == 5) {
      tree.sort_children(parent, "rank", rng() % 2 == 0);
    } else {
      if (NodeRef item = parent.child_at(rng() % count)) {
        if (NodeRef rank = item->child("rank")) tree.increment(*rank, Value::i64(1));
      }
    }
    s.writes.fetch_add(1, std::memory_order_relaxed);
  }
}

// Replays whatever the feed holds into the mirror; returns how many changes it took.
std::size_t drain(Tree& from, Tree& mirror) {
  std::vector<Change> changes = from.take_changes();
  for (const Change& change : changes) {
    apply_record(mirror, "{\"v\":" + std::to_string(change.version) + ",\"ops\":[" + change.record + "]}", {true, 0});
  }
  return changes.size();
}

}  // namespace

TEST(records_taken_while_writers_run_replay_into_an_equal_tree) {
  Shared s;
  Tree& tree = *s.tree;
  Tree* mirror = Tree::create();
  tree.set_feed(FeedLevel::kRecords);
  s.common = tree.create_node("common", type::kList);
  tree.add_child(tree.root(), *s.common);

  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) threads.emplace_back(writer, std::ref(s), i);
  std::atomic<std::size_t> replayed{0};
  std::thread consumer([&] {
    while (!s.stop.load(std::memory_order_relaxed)) replayed += drain(tree, *mirror);
  });
  std::thread snapshotter([&] {
    while (!s.stop.load(std::memory_order_relaxed)) {
      std::string body = tree.frozen([&] { return write_snapshot(tree); });
      Tree* loaded = Tree::create();
      load_snapshot(*loaded, body);
      CHECK(write_snapshot(*loaded) == body);  // a frozen tree is one cut: it loads back as it was
      loaded->release();
      s.snapshots.fetch_add(1, std::memory_order_relaxed);
    }
  });
  std::thread reader([&] {
    std::mt19937 rng(99);
    while (!s.stop.load(std::memory_order_relaxed)) {
      uint64_t high = s.highest_id.load(std::memory_order_relaxed);
      if (high == 0) continue;
      if (NodeRef node = tree.node_by_id(1 + rng() % high)) CHECK(node->id() <= high);
      s.lookups.fetch_add(1, std::memory_order_relaxed);
    }
  });

  std::this_thread::sleep_for(std::chrono::duration<double>(check::stress_seconds()));
  s.stop = true;
  for (std::thread& t : threads) t.join();
  consumer.join();
  snapshotter.join();
  reader.join();
  replayed += drain(tree, *mirror);

  CHECK(write_json(tree.root(), JsonFormat::kSnapshot) == write_json(mirror->root(), JsonFormat::kSnapshot));
  CHECK(mirror->size() == tree.size());
  CHECK(s.writes > 100 && s.snapshots > 0 && s.lookups > 0 && replayed > 100);
  std::printf("  %llu writes, %zu changes replayed, %llu frozen snapshots, %llu lookups by id\n",
              static_cast<unsigned long long>(s.writes.load()), replayed.load(),
              static_cast<unsigned long long>(s.snapshots.load()), static_cast<unsigned long long>(s.lookups.load()));
  s.common = {};
  tree.set_feed(FeedLevel::kOff);
  mirror->release();
  s.tree->release();
  CHECK(epoch::drain() == 0);
}

// The JS bindings resolve a Node's id on every call with node_by_id_pinned: lockless, under
// the caller's pin. A writer adds and removes batches of items (the index grows, and its
// deletions shift entries back past the probes of readers), while readers look up random
// ids under a pin and read what they find (freed memory would show under ASan), and look up
// anchors that are never removed: they must always be found, whatever a deletion moves.
TEST(lockless_lookups_by_id_race_removal_and_growth) {
  Tree* tree = Tree::create();
  constexpr int kAnchors = 64;
  std::vector<uint64_t> anchors;
  for (int i = 0; i < kAnchors; ++i) {
    NodeRef anchor = tree->create_node("a" + std::to_string(i), type::kI64);
    tree->add_child(tree->root(), *anchor);
    anchors.push_back(anchor->id());
  }
  NodeRef list = tree->create_node("items", type::kList);
  tree->add_child(tree->root(), *list);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> removals{0}, found{0}, missed{0};

  std::thread writer([&] {
    std::mt19937 rng(7);
    while (!stop.load(std::memory_order_relaxed)) {
      std::size_t count = list->child_count();
      if (count < 2000 && rng() % 3 != 0) {
        NodeRef item = tree->create_node("", type::kObject);
        Value v = Value::i64(static_cast<int64_t>(rng() % 1000));
        tree->add_child(*item, *tree->create_node("v", type::kI64, &v));
        tree->add_child(*list, *item);
      } else if (count > 0) {
        if (NodeRef victim = list->child_at(rng() % count)) tree->remove_child(*list, *victim);
        removals.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  auto reader = [&](unsigned seed) {
    std::mt19937 rng(seed);
    while (!stop.load(std::memory_order_relaxed)) {
      uint64_t high = tree->next_id();
      epoch::Guard pin;
      uint64_t id = 1 + rng() % high;
      if (Node* node = tree->node_by_id_pinned(id)) {
        CHECK(node->id() == id);
        volatile std::size_t touched = node->name().size() + node->child_count();
        (void)touched;
        if (Node* v = node->child_pinned("v")) CHECK(v->value().type == type::kI64);
        found.fetch_add(1, std::memory_order_relaxed);
      } else {
        missed.fetch_add(1, std::memory_order_relaxed);
      }
      uint64_t anchor = anchors[rng() % kAnchors];
      Node* kept = tree->node_by_id_pinned(anchor);
      CHECK(kept != nullptr && kept->id() == anchor);
    }
  };
  std::thread r1(reader, 11), r2(reader, 12);
  std::this_thread::sleep_for(std::chrono::duration<double>(check::stress_seconds()));
  stop = true;
  writer.join();
  r1.join();
  r2.join();
  CHECK(removals > 100 && found > 100 && missed > 0);
  std::printf("  %llu removals, %llu ids found and %llu missed under a pin\n", static_cast<unsigned long long>(removals.load()),
              static_cast<unsigned long long>(found.load()), static_cast<unsigned long long>(missed.load()));
  list = {};
  tree->release();
  CHECK(epoch::drain() == 0);
}

int main() { return check::run_all(); }
