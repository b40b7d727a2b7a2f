// Readers walk a list while writers append to it, remove from it, replace in it and sort
// it, and other writers rewrite leaf values. Every node a reader reaches must be intact:
// its name, its members and its values agree. Run under ThreadSanitizer and
// AddressSanitizer (native/test/run.sh) this shows the read paths free of races and
// use-after-free, and the final drain shows nothing leaks.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "check.h"
#include "grove/epoch.h"
#include "grove/tree.h"

using namespace grove;

namespace {

constexpr int kReaders = 4;
constexpr uint32_t kTargetSize = 300;


NodeRef make_item(Tree& tree, uint64_t k) {
  NodeRef item = tree.create_node("i" + std::to_string(k), type::kObject);
  Value seq = Value::u64(k), tag = Value::str("tag-" + std::to_string(k));
  tree.add_child(*item, *tree.create_node("seq", type::kU64, &seq));
  tree.add_child(*item, *tree.create_node("tag", type::kStr, &tag));
  return item;
}

// An item is intact when its members agree with its name.
bool intact(const Node& item) {
  if (item.name().size() < 2 || item.name()[0] != 'i') return false;
  uint64_t k = std::stoull(std::string(item.name().substr(1)));
  NodeRef seq = item.child("seq"), tag = item.child("tag");
  return seq && tag && seq->value().bits == k && tag->value().blob == "tag-" + std::to_string(k);
}

struct Shared {
  Tree* tree = Tree::create();
  NodeRef items, counter, text;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_item{0};
  std::atomic<uint64_t> reads{0}, writes{0}, increments{0};
};

void structure_writer(Shared& s, unsigned seed) {
  std::mt19937 rng(seed);
  Tree& tree = *s.tree;
  for (uint64_t op = 0; !s.stop.load(std::memory_order_relaxed); ++op) {
    std::size_t count = s.items->child_count();
    int action = static_cast<int>(rng() % 10);
    if (count < kTargetSize || action < 4) {
      tree.add_child(*s.items, *make_item(tree, s.next_item.fetch_add(1)));
    } else if (action < 7) {
      try {
        tree.remove_child_at(*s.items, rng() % count);
      } catch (const Error&) {  // another writer shrank the list first
      }
    } else if (action < 9) {
      NodeRef victim = s.items->child_at(rng() % count);
      try {
        if (victim) tree.replace_child_by_id(*s.items, victim->id(), *make_item(tree, s.next_item.fetch_add(1)));
      } catch (const Error&) {  // already removed by the other writer
      }
    } else {
      tree.sort_children(*s.items, "seq", rng() % 2 == 0);
    }
    s.writes.fetch_add(1, std::memory_order_relaxed);
  }
}

void value_writer(Shared& s, unsigned seed) {
  std::mt19937 rng(seed);
  while (!s.stop.load(std::memory_order_relaxed)) {
    s.tree->set_value(*s.text, Value::str(std::string(1 + rng() % 200, static_cast<char>('a' + rng() % 26))));
    s.tree->increment(*s.counter, Value::i64(1));
    s.increments.fetch_add(1, std::memory_order_relaxed);
  }
}

void reader(Shared& s, unsigned seed) {
  std::mt19937 rng(seed);
  Snapshot held;  // kept across iterations, as a JS iterator would keep it
  uint64_t last_counter = 0;
  while (!s.stop.load(std::memory_order_relaxed)) {
    Snapshot snap = s.items->children();
    for (std::size_t i = 0; i < snap.size(); ++i) CHECK(intact(*snap.at(i)));
    for (std::size_t i = 0; i < held.size(); ++i) CHECK(intact(*held.at(i)));
    if (snap.size() > 0) {
      const Node& probe = *snap.at(rng() % snap.size());
      NodeRef by_name = s.items->child(probe.name());
      CHECK(!by_name || by_name->name() == probe.name());
      NodeRef by_path = s.tree->root().find_path("items/" + std::string(probe.name()) + "/seq");
      CHECK(!by_path || by_path->parent()->name() == probe.name());
      NodeRef parent = probe.parent();
      CHECK(!parent || parent.get() == s.items.get());
      for (const NodeRef& found : s.items->find({"seq", Compare::kGe, Value::u64(0), false, type::kAny, 8})) {
        CHECK(intact(*found));
      }
    }
    std::string text = s.text->value().blob;
    CHECK(!text.empty() && text.find_first_not_of(text[0]) == std::string::npos);  // never torn
    uint64_t counter = s.counter->value().bits;
    CHECK(counter >= last_counter);
    last_counter = counter;
    if (rng() % 8 == 0) held = std::move(snap);
    s.reads.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

TEST(readers_against_writers) {
  Shared s;
  Tree& tree = *s.tree;
  Value zero = Value::u64(0), text = Value::str("sss");
  s.items = tree.create_node("items", type::kList);
  s.counter = tree.create_node("counter", type::kU64, &zero);
  s.text = tree.create_node("text", type::kStr, &text);
  tree.add_child(tree.root(), *s.items);
  tree.add_child(tree.root(), *s.counter);
  tree.add_child(tree.root(), *s.text);

  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, std::ref(s), 100 + i);
  threads.emplace_back(structure_writer, std::ref(s), 1);
  threads.emplace_back(structure_writer, std::ref(s), 2);
  threads.emplace_back(value_writer, std::ref(s), 3);
  std::this_thread::sleep_for(std::chrono::duration<double>(check::stress_seconds()));
  s.stop = true;
  for (std::thread& t : threads) t.join();

  CHECK(s.counter->value().bits == s.increments.load());
  CHECK(s.reads.load() > 0 && s.writes.load() > 0);
  std::printf("  %llu reads, %llu structural writes, %llu value writes\n",
              static_cast<unsigned long long>(s.reads.load()), static_cast<unsigned long long>(s.writes.load()),
              static_cast<unsigned long long>(s.increments.load()));
  s.items = s.counter = s.text = NodeRef();
  s.tree->release();
  CHECK(epoch::drain() == 0);
}

int main() { return check::run_all(); }
