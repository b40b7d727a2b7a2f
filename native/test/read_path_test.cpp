// The read hot path: the sliced name hash agrees with Nodix's byte-at-a-time CRC for every
// length, and read_path / find_path find what they should while still refusing a
// malformed path whether or not its node exists (they validate only the name that misses).
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "grove/epoch.h"
#include "grove/tree.h"

using namespace grove;

namespace {

// Nodix's name hash as specified: reflected CRC-32 (0xEDB88320), no final XOR, over the
// name padded with NULs to 32 bytes, one byte at a time.
uint32_t reference_hash(std::string_view name) {
  uint32_t crc = 0xFFFFFFFFu;
  std::size_t padded = std::max<std::size_t>(name.size(), 32);
  for (std::size_t i = 0; i < padded; ++i) {
    uint32_t byte = i < name.size() ? static_cast<unsigned char>(name[i]) : 0u;
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return crc;
}

}  // namespace

TEST(name_hash_agrees_with_the_bytewise_crc_for_every_length) {
  std::mt19937 rng(7);
  for (std::size_t length = 0; length <= 255; ++length) {
    std::string name(length, '\0');
    for (char& c : name) c = static_cast<char>(rng());
    CHECK(name_hash(name) == reference_hash(name));
  }
  CHECK(name_hash("abc") == 0xf01b97dau);
}

TEST(read_path_reads_without_a_reference) {
  TreeHolder t;
  Tree& tree = *t.tree;
  Value seven = Value::i64(7), text = Value::str("hello");
  NodeRef a = tree.create_node("a", type::kObject);
  NodeRef b = tree.create_node("b", type::kObject);
  tree.add_child(tree.root(), *a);
  tree.add_child(*a, *b);
  tree.add_child(*b, *tree.create_node("n", type::kI64, &seven));
  tree.add_child(*b, *tree.create_node("s", type::kStr, &text));
  for (int i = 0; i < 40; ++i) tree.add_child(*a, *tree.create_node("k" + std::to_string(i), type::kObject));

  Node::PathRead n = tree.root().read_path("a/b/n");
  CHECK(n.found && n.type == type::kI64 && n.value.as_i64() == 7);
  Node::PathRead s = tree.root().read_path("/a/b/s");
  CHECK(s.found && s.value.blob == "hello");
  Node::PathRead structured = tree.root().read_path("a/b");
  CHECK(structured.found && structured.type == type::kObject && structured.value.type == type::kNull);
  CHECK(tree.root().read_path("a/k39").found);  // through the name index (40 children)
  CHECK(!tree.root().read_path("a/k40").found);
  CHECK(!tree.root().read_path("a/b/n/deeper").found);
  CHECK(tree.root().read_path("").found && tree.root().read_path("").type == type::kObject);
  CHECK(tree.root().find_path("a/b").get() == b.get());
}

TEST(siblings_are_told_apart_whatever_their_names_share) {
  TreeHolder t;
  Tree& tree = *t.tree;
  // Long names differing only in the middle share scan keys; the rest differ in one byte.
  std::vector<std::string> names;
  for (int i = 0; i < 15; ++i) names.push_back("a-long-common-prefix-" + std::to_string(i) + "-and-a-common-suffix");
  for (int i = 0; i < 15; ++i) names.push_back(std::string(1, static_cast<char>('a' + i)));
  for (int i = 0; i < 15; ++i) names.push_back("n" + std::to_string(i));
  for (std::size_t size : {15, 16, 45}) {  // scanned, just indexed, indexed
    NodeRef parent = tree.create_node("p" + std::to_string(size), type::kObject);
    tree.add_child(tree.root(), *parent);
    for (std::size_t i = 0; i < size; ++i) {
      Value v = Value::u64(i);
      tree.add_child(*parent, *tree.create_node(names[i], type::kU64, &v));
    }
    for (std::size_t i = 0; i < size; ++i) {
      NodeRef found = parent->child(names[i]);
      CHECK(found && found->value().bits == i);
    }
    CHECK(!parent->child("a-long-common-prefix-99-and-a-common-suffix"));
    CHECK(!parent->child("z"));
    tree.remove_child_at(*parent, 0);  // a rebuilt list keys its children again
    CHECK(!parent->child(names[0]) && parent->child(names[size - 1]));
  }
}

TEST(malformed_paths_are_refused_found_or_not) {
  TreeHolder t;
  Tree& tree = *t.tree;
  NodeRef a = tree.create_node("a", type::kObject);
  tree.add_child(tree.root(), *a);
  const Node& root = tree.root();
  CHECK_THROWS(root.read_path("a/"), ErrorCode::kInvalidArgument, "end with '/'");
  CHECK_THROWS(root.read_path("a//b"), ErrorCode::kInvalidArgument, "empty name");
  CHECK_THROWS(root.read_path("a/.."), ErrorCode::kInvalidArgument, "'.' and '..'");
  CHECK_THROWS(root.read_path("missing/x/../y"), ErrorCode::kInvalidArgument, "'.' and '..'");
  CHECK_THROWS(root.find_path("a/b\x01"), ErrorCode::kInvalidArgument, "control character");
  CHECK_THROWS(root.find_path("a/\xff"), ErrorCode::kInvalidArgument, "UTF-8");
  CHECK_THROWS(root.find_path(std::string(256, 'x')), ErrorCode::kInvalidArgument, "255");
  CHECK(!root.read_path("a/missing/more").found);
}

int main() { return check::run_all(); }
