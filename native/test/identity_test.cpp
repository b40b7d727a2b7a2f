// Node identity (grove/record.h): the index of nodes by id, records made by the feed and
// replayed exactly into another tree, snapshots with ids and versions, id ranges, and every
// typed value read back exactly from the record form.
#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "grove/json.h"
#include "grove/record.h"
#include "grove/tree.h"

using namespace grove;

namespace {

NodeRef add_value(Tree& tree, Node& parent, std::string_view name, TypeId type, Value value) {
  NodeRef node = tree.create_node(name, type, &value);
  tree.add_child(parent, *node);
  return node;
}

// Replays every record the feed holds into `into`, as a log or a replica would.
void replay(Tree& from, Tree& into, bool keep_versions) {
  for (Change& change : from.take_changes()) {
    std::string record = "{\"v\":" + std::to_string(change.version) + ",\"origin\":\"t\",\"ops\":[" + change.record + "]}";
    apply_record(into, record, {keep_versions, 0});
  }
}

}  // namespace

TEST(nodes_are_found_by_id_while_in_the_tree) {
  TreeHolder t;
  Tree& tree = *t.tree;
  CHECK(tree.node_by_id(Tree::kRootId).get() == &tree.root());
  NodeRef a = tree.create_node("a", type::kObject);
  NodeRef leaf = add_value(tree, *a, "n", type::kU8, Value::u64(1));
  CHECK(!tree.node_by_id(a->id()) && !a->in_tree());  // detached: not in the tree yet
  tree.add_child(tree.root(), *a);
  CHECK(tree.node_by_id(leaf->id()).get() == leaf.get() && leaf->in_tree() && tree.size() == 3);
  tree.remove_child(tree.root(), *a);
  CHECK(!tree.node_by_id(a->id()) && !tree.node_by_id(leaf->id()) && !leaf->in_tree() && tree.size() == 1);
}

TEST(an_id_in_the_tree_is_not_given_twice) {
  TreeHolder t;
  Tree& tree = *t.tree;
  NodeRef a = tree.create_node("a", type::kObject);
  tree.add_child(tree.root(), *a);
  NodeRef twin = tree.create_node("twin", type::kObject, nullptr, a->id());
  CHECK_THROWS(tree.add_child(tree.root(), *twin), ErrorCode::kInvalidArgument, "in the tree already");
  CHECK(tree.root().child_count() == 1 && tree.node_by_id(a->id()).get() == a.get());
  // a subtree brought back with the ids of the one it replaces takes their place
  NodeRef again = tree.create_node("a", type::kObject, nullptr, a->id());
  tree.replace_child_by_id(tree.root(), a->id(), *again);
  CHECK(tree.node_by_id(a->id()).get() == again.get() && !a->in_tree());
}

TEST(records_replay_exactly_with_ids_and_versions) {
  TreeHolder source, mirror;
  Tree& tree = *source.tree;
  tree.set_feed(FeedLevel::kRecords);
  NodeRef list = tree.create_node("list", type::kList);
  tree.add_child(tree.root(), *list);
  for (int i = 0; i < 5; ++i) {
    NodeRef item = tree.create_node("", type::kObject);
    add_value(tree, *item, "rank", type::kI32, Value::i64(5 - i));
    add_value(tree, *item, "x", type::kStr, Value::str("same name"));
    add_value(tree, *item, "x", type::kF32, Value::f32(0.1f));
    tree.add_child(*list, *item);
  }
  tree.sort_children(*list, "rank", false);
  Value path_value = Value::u64(UINT64_MAX);
  tree.set_path(tree.root(), "deep/er/still", &path_value, type::kU64, [&] { return tree.create_node("still", type::kU64, &path_value); });
  NodeRef first_x = list->child_at(0)->child("x");
  tree.set_value(*first_x, Value::str("patched the first of two"));
  tree.remove_child_at(*list, 3);
  NodeRef replacement = tree.create_node("deep", type::kHash);
  tree.put_child(tree.root(), *replacement);
  replay(tree, *mirror.tree, true);
  CHECK(write_json(tree.root(), JsonFormat::kSnapshot) == write_json(mirror->root(), JsonFormat::kSnapshot));
  CHECK(mirror->version() == tree.version());
  // applied as a replica does (its own versions), the same nodes under the same ids
  tree.add_child(tree.root(), *tree.create_node("later", type::kNull));
  TreeHolder replica_of_all;
  load_snapshot(*replica_of_all.tree, write_snapshot(*mirror.tree));
  replay(tree, *replica_of_all.tree, false);
  CHECK(write_json(tree.root(), JsonFormat::kStore) == write_json(replica_of_all->root(), JsonFormat::kStore));
}

TEST(a_record_that_cannot_apply_names_itself_and_its_op) {
  TreeHolder t;
  CHECK_THROWS(apply_record(*t.tree, R"({"v":7,"ops":[{"v":7,"o":"set","i":99,"x":1}]})"), ErrorCode::kInvalidArgument,
               "the record of version 7 cannot apply: op 0 (set): node 99 is not in the tree");
  CHECK_THROWS(apply_record(*t.tree, R"({"v":8,"ops":[{"v":8,"o":"del","p":1,"i":1}]})"), ErrorCode::kInvalidArgument,
               "op 0 (del)");
  CHECK_THROWS(apply_record(*t.tree, R"({"v":9,"ops":[{"v":9,"o":"add","p":1,"n":{"name":"a","type":"u8","id":5,"value":300}}]})"),
               ErrorCode::kInvalidArgument, "out of range");
  CHECK(t->root().child_count() == 0);
}

TEST(snapshots_keep_ids_versions_and_the_next_id) {
  TreeHolder t, loaded;
  Tree& tree = *t.tree;
  for (int i = 0; i < 10; ++i) tree.add_child(tree.root(), *tree.create_node("", type::kObject));
  tree.remove_child_at(tree.root(), 9);  // its id must not be given again
  std::string body = write_snapshot(tree);
  load_snapshot(*loaded.tree, body);
  loaded->advance_ids(tree.next_id());
  CHECK(write_snapshot(*loaded.tree) == body);
  CHECK(loaded->node_by_id(tree.root().child_at(4)->id())->name() == tree.root().child_at(4)->name());
  NodeRef fresh = loaded->create_node("", type::kObject);
  CHECK(fresh->id() >= tree.next_id());
  CHECK_THROWS(load_snapshot(*loaded.tree, body), ErrorCode::kInvalidArgument, "empty tree");
}

TEST(ids_come_from_the_tree_range_and_past_generated_names) {
  TreeHolder t;
  Tree& tree = *t.tree;
  tree.set_id_range(3);
  CHECK(tree.create_node("", type::kObject)->id() == (uint64_t{3} << Tree::kIdRangeBits));
  uint64_t ahead = (uint64_t{3} << Tree::kIdRangeBits) + 100;
  tree.create_node("#" + std::to_string(ahead), type::kObject);  // a name that looks generated
  CHECK(tree.create_node("", type::kObject)->id() == ahead + 1);
  tree.create_node("other", type::kObject, nullptr, (uint64_t{4} << Tree::kIdRangeBits) + 7);  // another range's
  CHECK(tree.create_node("", type::kObject)->id() == ahead + 2);
  CHECK_THROWS(tree.set_id_range(Tree::kMaxIdRange + 1), ErrorCode::kLimitExceeded, "at most");
}

TEST(every_type_reads_back_exactly_from_the_record_form) {
  TreeHolder t, back;
  Tree& tree = *t.tree;
  NodeRef doc = tree.create_node("doc", type::kObject);
  struct Leaf {
    const char* name;
    TypeId type;
    Value value;
  };
  std::vector<Leaf> leaves = {
      {"u64", type::kU64, Value::u64(UINT64_MAX)}, {"i64", type::kI64, Value::i64(INT64_MIN)},
      {"f32", type::kF32, Value::f32(0.1f)},       {"nan", type::kF64, Value::f64(std::nan(""))},
      {"nz", type::kF64, Value::f64(-0.0)},         {"inf", type::kF64, Value::f64(-INFINITY)},
      {"s", type::kStr, Value::str("a\"\\\n\x01 \xe2\x82\xac \xf0\x9f\x8c\xb3")},
      {"b", type::kBytes, Value::bytes(std::string("\0\xff\x10z", 4))},
      {"h", type::kBlockHash, convert(Value::str(std::string(63, '0') + "1"), type::kBlockHash)},
      {"ip", type::kIpv4, convert(Value::str("10.0.0.255"), type::kIpv4)},
      {"v", type::kVint, Value::u64(0xfffff)},
  };
  for (const Leaf& leaf : leaves) add_value(tree, *doc, leaf.name, leaf.type, leaf.value);
  NodeRef vec = tree.create_node("vec", type::kVec3);
  tree.add_child(*doc, *vec);
  tree.update_value(*vec, [](const Value&) {
    ArrayRef numbers = ArrayRef::adopt(ArrayData::allocate(Element::kF32, 3));
    numbers->as<float>()[0] = 0.1f, numbers->as<float>()[1] = -0.0f, numbers->as<float>()[2] = 3e38f;
    return Value::array_of(type::kF32Array, std::move(numbers));
  });
  NodeRef app = tree.create_node("app", 0x10000001);
  tree.add_child(*doc, *app);
  tree.add_child(tree.root(), *doc);
  NodeRef copy = read_subtree(*back.tree, write_json(*doc, JsonFormat::kStore));
  CHECK(write_json(*copy, JsonFormat::kStore) == write_json(*doc, JsonFormat::kStore));
  CHECK(copy->child("nan")->value().bits == doc->child("nan")->value().bits);
  CHECK(copy->child("nz")->value().bits == doc->child("nz")->value().bits);
}

TEST(nonces_are_accepted_once_and_kept_by_records_and_snapshots) {
  TreeHolder t, mirror, loaded;
  Tree& tree = *t.tree;
  tree.set_feed(FeedLevel::kRecords);
  CHECK(tree.accept_nonce("key", 5, "owned") && !tree.accept_nonce("key", 5, "owned") && !tree.accept_nonce("key", 4, "owned"));
  CHECK(tree.accept_nonce("key", 9, "owned") && tree.nonce_of("key") == 9 && tree.nonce_of("other") == 0);
  uint64_t root_version = tree.root().version();
  std::vector<Change> changes = tree.take_changes();
  CHECK(changes.size() == 2 && changes[1].op == ChangeOp::kNonce && changes[1].path == "owned" && tree.root().version() == root_version);
  for (const Change& change : changes) apply_record(*mirror.tree, "{\"v\":" + std::to_string(change.version) + ",\"ops\":[" + change.record + "]}");
  CHECK(mirror->nonce_of("key") == 9);
  load_snapshot(*loaded.tree, write_snapshot(tree));
  CHECK(loaded->nonce_of("key") == 9 && !loaded->accept_nonce("key", 9, "owned"));
}

int main() {
  int result = check::run_all();
  CHECK(epoch::drain() == 0);
  return result == 0 && check::failures == 0 ? 0 : 1;
}
