// Single-threaded behaviour of the core: names, values and conversions, child lists,
// queries, copies, the change feed and JSON export.
#include <chrono>
#include <cmath>
#include <limits>

#include "check.h"
#include "grove/epoch.h"
#include "grove/json.h"
#include "grove/tree.h"

using namespace grove;

namespace {

NodeRef add(Tree* tree, Node& parent, std::string_view name, TypeId type, const Value* value = nullptr) {
  NodeRef node = tree->create_node(name, type, value);
  tree->add_child(parent, *node);
  return node;
}

NodeRef add_value(Tree* tree, Node& parent, std::string_view name, TypeId type, Value value) {
  return add(tree, parent, name, type, &value);
}

}  // namespace

TEST(name_hash_matches_nodix) {
  // Python: zlib.crc32(b"abc".ljust(32, b"\0")) ^ 0xFFFFFFFF, and the same unpadded for 40 bytes.
  CHECK(name_hash("abc") == 0xf01b97dau);
  CHECK(name_hash(std::string(40, 'x')) == 0x3be58e0fu);
}

TEST(invalid_names_are_refused) {
  TreeHolder t;
  CHECK_THROWS(t->create_node("a/b", type::kObject), ErrorCode::kInvalidArgument, "'/'");
  CHECK_THROWS(t->create_node(std::string(256, 'x'), type::kObject), ErrorCode::kInvalidArgument, "255");
  CHECK_THROWS(t->create_node("a\nb", type::kObject), ErrorCode::kInvalidArgument, "control character 0x0a");
  CHECK_THROWS(t->create_node("..", type::kObject), ErrorCode::kInvalidArgument, "'.' and '..'");
  CHECK_THROWS(t->create_node("\xff", type::kObject), ErrorCode::kInvalidArgument, "UTF-8");
  // C1 controls (U+0080 to U+009F) as well as C0 ones; U+00A0 is the first name character after them
  CHECK_THROWS(t->create_node("a\xC2\x85" "b", type::kObject), ErrorCode::kInvalidArgument, "C1 control character U+0085");
  CHECK_THROWS(t->create_node("\xC2\x80", type::kObject), ErrorCode::kInvalidArgument, "U+0080");
  CHECK_THROWS(t->create_node("x\xC2\x9F", type::kObject), ErrorCode::kInvalidArgument, "U+009F");
  CHECK(t->create_node("a\xC2\xA0" "b", type::kObject)->name() == "a\xC2\xA0" "b");
  CHECK_THROWS(t->root().find_path("a\xC2\x85" "b/c"), ErrorCode::kInvalidArgument, "C1 control character");
  CHECK(t->create_node(std::string(255, 'x'), type::kObject)->name().size() == 255);
  CHECK(t->create_node("ünïcødé ✓", type::kObject)->name() == "ünïcødé ✓");
  NodeRef unnamed = t->create_node("", type::kI64);
  CHECK(unnamed->name() == "#" + std::to_string(unnamed->id()));
}

TEST(paths) {
  TreeHolder t;
  NodeRef a = add(t.tree, t->root(), "a", type::kObject);
  NodeRef b = add(t.tree, *a, "b", type::kObject);
  NodeRef c = add_value(t.tree, *b, "c", type::kU8, Value::i64(7));
  CHECK(t->root().find_path("a/b/c").get() == c.get());
  CHECK(t->root().find_path("/a/b/c").get() == c.get());
  CHECK(t->root().find_path("").get() == &t->root());
  CHECK(!t->root().find_path("a/x/c"));
  CHECK_THROWS(t->root().find_path("a//c"), ErrorCode::kInvalidArgument, "empty name");
  CHECK_THROWS(t->root().find_path("a/b/"), ErrorCode::kInvalidArgument, "end with '/'");
  CHECK_THROWS(t->root().find_path("a/../c"), ErrorCode::kInvalidArgument, "'.' and '..'");
  CHECK(c->path() == "a/b/c");
  CHECK(c->parent().get() == b.get());
  CHECK(c->ancestor_of_type(type::kObject).get() == b.get());
  CHECK(!t->root().parent());
}

TEST(conversions_are_exact_or_fail) {
  CHECK(convert(Value::i64(255), type::kU8).bits == 255);
  CHECK_THROWS(convert(Value::i64(300), type::kU8), ErrorCode::kTypeMismatch, "i64 300 to u8: out of range 0..255");
  CHECK_THROWS(convert(Value::i64(-1), type::kU32), ErrorCode::kTypeMismatch, "out of range");
  CHECK_THROWS(convert(Value::f64(1.5), type::kI32), ErrorCode::kTypeMismatch, "not an integer");
  CHECK(convert(Value::f64(-3), type::kI8).as_i64() == -3);
  CHECK(convert(Value::i64(1LL << 53), type::kF64).as_f64() == 9007199254740992.0);
  CHECK_THROWS(convert(Value::i64((1LL << 53) + 1), type::kF64), ErrorCode::kTypeMismatch, "not exactly representable");
  CHECK_THROWS(convert(Value::u64(UINT64_MAX), type::kI64), ErrorCode::kTypeMismatch, "out of range");
  CHECK(convert(Value::u64(UINT64_MAX), type::kU64).bits == UINT64_MAX);
  CHECK_THROWS(convert(Value::f64(18446744073709551616.0), type::kU64), ErrorCode::kTypeMismatch, "out of range");
  CHECK(convert(Value::f64(0.5), type::kF32).as_f32() == 0.5f);
  CHECK_THROWS(convert(Value::f64(0.1), type::kF32), ErrorCode::kTypeMismatch, "not exactly representable");
  CHECK(std::isnan(convert(Value::f64(NAN), type::kF32).as_f32()));
  CHECK(convert(Value::f32(0.1f), type::kF64).as_f64() == static_cast<double>(0.1f));
  CHECK_THROWS(convert(Value::str("12"), type::kI64), ErrorCode::kTypeMismatch, "not a number");
  CHECK_THROWS(convert(Value::boolean(true), type::kI64), ErrorCode::kTypeMismatch, "bool true to i64");
  CHECK(convert(Value::str("hi"), type::kBytes).blob == "hi");
  CHECK_THROWS(convert(Value::bytes("hi"), type::kStr), ErrorCode::kTypeMismatch, "bytes");
  CHECK_THROWS(convert(Value::i64(1), type::kObject), ErrorCode::kTypeMismatch, "hold children");
}

TEST(leaf_values) {
  TreeHolder t;
  NodeRef n = add_value(t.tree, t->root(), "n", type::kU8, Value::i64(5));
  CHECK(n->value().bits == 5);
  CHECK_THROWS(t->set_value(*n, Value::i64(300)), ErrorCode::kTypeMismatch, "out of range");
  CHECK(n->value().bits == 5);
  t->set_value(*n, Value::f64(200));
  CHECK(n->value_as(type::kI64).as_i64() == 200);
  CHECK_THROWS(n->value_as(type::kI8), ErrorCode::kTypeMismatch, "u8 200 to i8");
  NodeRef s = add_value(t.tree, t->root(), "s", type::kStr, Value::str("hello"));
  CHECK(s->value().blob == "hello");
  t->set_value(*s, Value::str("world"));
  CHECK(s->value().blob == "world");
  CHECK_THROWS(t->set_value(t->root(), Value::i64(1)), ErrorCode::kTypeMismatch, "holds no value");
  Value null_value;
  CHECK_THROWS(t->create_node("x", type::kI64, &null_value), ErrorCode::kTypeMismatch, "to null");
  CHECK_THROWS(t->create_node("x", 0x05000001), ErrorCode::kInvalidArgument, "unknown type");
  CHECK_THROWS(t->add_child(*n, *t->create_node("y", type::kI64)), ErrorCode::kTypeMismatch, "add children to u8");
}

TEST(atomic_leaf_operations) {
  TreeHolder t;
  NodeRef c = add_value(t.tree, t->root(), "c", type::kU8, Value::i64(250));
  CHECK(t->increment(*c, Value::i64(5)).bits == 255);
  CHECK_THROWS(t->increment(*c, Value::i64(1)), ErrorCode::kTypeMismatch, "overflow");
  CHECK(t->increment(*c, Value::f64(-55)).bits == 200);
  Value current;
  CHECK(!t->compare_and_set(*c, Value::i64(1), Value::i64(2), &current));
  CHECK(current.bits == 200);
  CHECK(t->compare_and_set(*c, Value::f64(200), Value::i64(2), &current));
  CHECK(current.bits == 2);
  NodeRef z = add(t.tree, t->root(), "z", type::kI64);
  CHECK(t->set_if_zero(*z, Value::i64(9), &current) && current.as_i64() == 9);
  CHECK(!t->set_if_zero(*z, Value::i64(10), &current) && current.as_i64() == 9);
  NodeRef f = add_value(t.tree, t->root(), "f", type::kF64, Value::f64(0.5));
  CHECK(t->increment(*f, Value::f64(0.25)).as_f64() == 0.75);
  CHECK_THROWS(t->increment(t->root(), Value::i64(1)), ErrorCode::kTypeMismatch, "cannot increment object");
}

TEST(children_by_name_index_type_and_id) {
  TreeHolder t;
  NodeRef list = add(t.tree, t->root(), "list", type::kList);
  for (int i = 0; i < 1000; ++i) add_value(t.tree, *list, "k" + std::to_string(i % 500), type::kI64, Value::i64(i));
  CHECK(list->child_count() == 1000);
  CHECK(list->child("k7")->value().as_i64() == 7);  // first match of a repeated name
  CHECK(list->child("k499")->value().as_i64() == 499);
  CHECK(!list->child("k500"));
  CHECK(list->child_at(999)->value().as_i64() == 999);
  CHECK(!list->child_at(1000));
  NodeRef third = list->child_at(2);
  CHECK(list->child_by_id(third->id()).get() == third.get());
  add_value(t.tree, *list, "s", type::kStr, Value::str("x"));
  CHECK(list->child_of_type(type::kStr)->name() == "s");
  CHECK(list->child_of_type(type::kInteger)->name() == "k0");
  CHECK(!list->child_of_type(type::kF32));
}

TEST(remove_replace_and_snapshots) {
  TreeHolder t;
  NodeRef list = add(t.tree, t->root(), "list", type::kList);
  for (int i = 0; i < 10; ++i) add_value(t.tree, *list, "c" + std::to_string(i), type::kI64, Value::i64(i));
  Snapshot before = list->children();
  NodeRef c3 = list->child("c3");
  t->remove_child(*list, *c3);
  CHECK(list->child_count() == 9 && !list->child("c3"));
  CHECK(!c3->parent());
  CHECK(before.size() == 10 && before.at(3) == c3.get());  // the old snapshot is intact
  CHECK_THROWS(t->remove_child(*list, *c3), ErrorCode::kNotFound, "is not a child");
  CHECK_THROWS(t->add_child(*list, *c3), ErrorCode::kInvalidArgument, "add a copy");
  t->remove_child_at(*list, 0);
  CHECK(list->child_at(0)->name() == "c1");
  CHECK_THROWS(t->remove_child_at(*list, 100), ErrorCode::kNotFound, "index 100");
  NodeRef c5 = list->child("c5");
  Value text = Value::str("new");
  NodeRef replacement = t->create_node("r", type::kStr, &text);
  t->replace_child_by_id(*list, c5->id(), *replacement);
  CHECK(list->child_at(3)->name() == "r" && !list->child("c5") && !c5->parent());
  CHECK(replacement->parent().get() == list.get());
  CHECK_THROWS(t->replace_child_by_id(*list, 999999, *t->create_node("q", type::kNull)), ErrorCode::kNotFound, "id 999999");
}

TEST(find_and_sort_by_member) {
  TreeHolder t;
  NodeRef people = add(t.tree, t->root(), "people", type::kList);
  const char* names[] = {"bob", "alice", "carol", "dave"};
  int ages[] = {40, 30, 50, 30};
  for (int i = 0; i < 4; ++i) {
    NodeRef p = add(t.tree, *people, names[i], type::kObject);
    add_value(t.tree, *p, "age", type::kU8, Value::i64(ages[i]));
    add_value(t.tree, *p, "name", type::kStr, Value::str(names[i]));
    NodeRef pets = add(t.tree, *p, "pets", type::kList);
    for (int k = 0; k < i; ++k) add(t.tree, *pets, "", type::kNull);
  }
  add(t.tree, *people, "nobody", type::kObject);  // no members at all
  auto names_of = [](const std::vector<NodeRef>& nodes) {
    std::string s;
    for (const NodeRef& n : nodes) s += std::string(n->name()) + ",";
    return s;
  };
  CHECK(names_of(people->find({"age", Compare::kEq, Value::f64(30)})) == "alice,dave,");
  CHECK(names_of(people->find({"age", Compare::kGe, Value::i64(40)})) == "bob,carol,");
  CHECK(names_of(people->find({"age", Compare::kNe, Value::i64(30)})) == "bob,carol,");
  CHECK(names_of(people->find({"name", Compare::kLt, Value::str("c")})) == "bob,alice,");
  CHECK(names_of(people->find({"pets", Compare::kGt, Value::i64(1), true})) == "carol,dave,");
  CHECK(names_of(people->find({"age", Compare::kLe, Value::i64(40), false, type::kAny, 2})) == "bob,alice,");
  t->sort_children(*people, "age", false);
  CHECK(names_of({people->child_at(0), people->child_at(1), people->child_at(2), people->child_at(3),
                  people->child_at(4)}) == "alice,dave,bob,carol,nobody,");
  t->sort_children(*people, "name", true);
  CHECK(names_of({people->child_at(0), people->child_at(1), people->child_at(4)}) == "dave,carol,nobody,");
  CHECK(people->child("bob"));  // the name index follows the new order
}

// A sort's order against compare() itself: each kind of keys (integers of mixed widths and
// signs, f32 and f64 with NaN and infinities, strings of any bytes, a mix of everything),
// some children without the member; ascending and descending, stable.
TEST(sort_orders_each_kind_as_compare_does) {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&seed] {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
  };
  auto rank = [](const Value& v) {
    if (v.type == type::kNull) return 0;
    if (v.type == type::kBool) return 1;
    const TypeInfo& t = type_info(v.type);
    if (t.bits != 0) return t.is_float && std::isnan(t.bits == 32 ? v.as_f32() : v.as_f64()) ? 3 : 2;
    return v.type == type::kStr ? 4 : 5;
  };
  auto before = [&](const Value& a, const Value& b) {
    Ordering o = compare(a, b);
    return o == Ordering::kUnordered ? rank(a) < rank(b) : o == Ordering::kLess;
  };
  const double specials[] = {std::nan(""), -0.0, 0.0, std::numeric_limits<double>::infinity(), -1e300, 1e-300};
  auto random_key = [&](int kind) -> std::pair<TypeId, Value> {
    int pick = kind == 3 ? static_cast<int>(next() % 6) : kind;
    switch (pick) {
      case 0: {
        switch (next() % 4) {
          case 0: return {type::kI8, Value::i64(static_cast<int8_t>(next()))};
          case 1: return {type::kI64, Value::i64(static_cast<int64_t>(next()) >> (next() % 60))};
          case 2: return {type::kU64, Value::u64(next() % 3 == 0 ? UINT64_MAX - next() % 3 : next() >> (next() % 60))};
          default: return {type::kU32, Value::u64(next() % 1000)};
        }
      }
      case 1: {
        double d = next() % 4 == 0 ? specials[next() % 6] : static_cast<double>(static_cast<int64_t>(next()) >> 40) / 7.0;
        if (next() % 2 == 0) return {type::kF32, Value::f32(static_cast<float>(d))};
        return {type::kF64, Value::f64(d)};
      }
      case 2: {
        const char* pieces[] = {"a", "z", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80"};  // UTF-8 of a, z, DEL, é, 😀
        std::string text;
        for (uint64_t n = next() % 4; n > 0; --n) text += pieces[next() % 5];
        return {type::kStr, Value::str(text)};
      }
      case 3: return {type::kNull, Value::null()};
      case 4: return {type::kBool, Value::boolean(next() % 2 == 0)};
      default: return {type::kBytes, Value::bytes(std::string(next() % 3, static_cast<char>(next())))};
    }
  };
  for (int kind = 0; kind < 4; ++kind) {
    for (bool descending : {false, true}) {
      TreeHolder t;
      NodeRef list = add(t.tree, t->root(), "list", type::kList);
      for (int i = 0; i < 2000; ++i) {
        NodeRef child = add(t.tree, *list, "", type::kObject);
        add_value(t.tree, *child, "i", type::kI64, Value::i64(i));
        if (next() % 10 == 0) continue;  // no member: last either way
        auto [type, value] = random_key(kind);
        add_value(t.tree, *list->child_at(i), "k", type, value);
      }
      t->sort_children(*list, "k", descending);
      for (uint32_t i = 1; i < list->child_count(); ++i) {
        NodeRef a = list->child_at(i - 1), b = list->child_at(i);
        NodeRef ka = a->child("k"), kb = b->child("k");
        CHECK(ka || !kb);  // those without the member last
        if (!ka || !kb) continue;
        Value x = descending ? kb->value() : ka->value(), y = descending ? ka->value() : kb->value();
        CHECK(!before(y, x));
        if (!before(x, y)) CHECK(a->child("i")->value().as_i64() < b->child("i")->value().as_i64());  // stable
      }
    }
  }
}

TEST(copies_are_deep_and_new) {
  TreeHolder t;
  NodeRef a = add(t.tree, t->root(), "a", type::kObject);
  NodeRef b = add(t.tree, *a, "b", type::kList);
  add_value(t.tree, *b, "x", type::kStr, Value::str("text"));
  NodeRef copy = t->copy_subtree(*a);
  CHECK(copy->id() != a->id() && copy->name() == "a" && !copy->parent());
  CHECK(copy->find_path("b/x")->value().blob == "text");
  CHECK(copy->find_path("b/x")->id() != a->find_path("b/x")->id());
  NodeRef dst = add(t.tree, t->root(), "dst", type::kObject);
  t->copy_children(*a, *dst);
  CHECK(dst->find_path("b/x")->value().blob == "text");
  t->set_value(*dst->find_path("b/x"), Value::str("changed"));
  CHECK(a->find_path("b/x")->value().blob == "text");
}

TEST(versions_and_change_feed) {
  TreeHolder t;
  t->set_feed(FeedLevel::kRecords);
  NodeRef a = add(t.tree, t->root(), "a", type::kObject);
  NodeRef n = add_value(t.tree, *a, "n", type::kI64, Value::i64(1));
  uint64_t v = t->set_value(*n, Value::i64(2));
  CHECK(v == t->version() && n->version() == v && a->version() == v && t->root().version() == v);
  t->remove_child(*a, *n);
  std::vector<Change> changes = t->take_changes();
  CHECK(changes.size() == 4);
  CHECK(changes[0].op == ChangeOp::kAdd && changes[0].path == "a");
  CHECK(changes[2].op == ChangeOp::kSet && changes[2].path == "a/n" && changes[2].version == v);
  CHECK(changes[2].value == "2" && changes[2].old_value == "1");
  CHECK(changes[2].record == "{\"v\":" + std::to_string(v) + ",\"o\":\"set\",\"i\":" + std::to_string(n->id()) + ",\"x\":2}");
  CHECK(changes[3].record == "{\"v\":" + std::to_string(v + 1) + ",\"o\":\"del\",\"p\":" + std::to_string(a->id()) + ",\"i\":" +
                                 std::to_string(n->id()) + "}");
  CHECK(changes[3].op == ChangeOp::kRemove && changes[3].path == "a/n");
  for (std::size_t i = 1; i < changes.size(); ++i) CHECK(changes[i].version == changes[i - 1].version + 1);
  CHECK(t->take_changes().empty());

  // A detached subtree being built takes no versions; putting it in place is one change.
  uint64_t before = t->version();
  NodeRef fresh = t->create_node("a", type::kObject);
  add_value(t.tree, *fresh, "x", type::kI64, Value::i64(1));
  CHECK(t->version() == before);
  t->replace_child_by_id(t->root(), a->id(), *fresh);
  changes = t->take_changes();
  CHECK(changes.size() == 1 && changes[0].op == ChangeOp::kReplace && changes[0].path == "a");
  CHECK(changes[0].id == fresh->id() && changes[0].value == "{\"x\":1}" && changes[0].old_value == "{}");
  CHECK(changes[0].record.find("\"o\":\"put\"") != std::string::npos &&
        changes[0].record.find(",\"r\":" + std::to_string(a->id()) + "}") != std::string::npos);
  t->sort_children(*fresh, "x", true);
  changes = t->take_changes();
  CHECK(changes.size() == 1 && changes[0].op == ChangeOp::kSort &&
        changes[0].record.find("\"order\":[") != std::string::npos);
}

TEST(json_export) {
  TreeHolder t;
  NodeRef doc = add(t.tree, t->root(), "doc", type::kObject);
  add_value(t.tree, *doc, "s", type::kStr, Value::str("a\"b\n\x01"));
  add_value(t.tree, *doc, "big", type::kU64, Value::u64(UINT64_MAX));
  add_value(t.tree, *doc, "small", type::kI64, Value::i64(-5));
  add_value(t.tree, *doc, "f", type::kF32, Value::f32(0.1f));
  add_value(t.tree, *doc, "nan", type::kF64, Value::f64(NAN));
  add_value(t.tree, *doc, "nz", type::kF64, Value::f64(-0.0));
  add_value(t.tree, *doc, "b", type::kBytes, Value::bytes("hi!?"));
  add_value(t.tree, *doc, "s", type::kStr, Value::str("shadowed"));
  NodeRef list = add(t.tree, *doc, "l", type::kList);
  add_value(t.tree, *list, "", type::kBool, Value::boolean(true));
  add(t.tree, *list, "", type::kNull);
  add(t.tree, *list, "", type::kObject);
  CHECK(write_json(*doc, JsonFormat::kPlain) ==
        R"({"s":"a\"b\n\u0001","big":"18446744073709551615","small":-5,"f":0.1,"nan":"NaN","nz":-0,"b":"aGkhPw==","l":[true,null,{}]})");
  std::string typed = write_json(*list, JsonFormat::kTyped);
  std::string id = std::to_string(list->child_at(0)->id());
  CHECK(typed.find(R"({"name":"l","type":"list","children":[{"name":"#)" + id + R"(","type":"bool","value":true})") == 0);
  CHECK(write_json(*doc->child("nz"), JsonFormat::kTyped) == R"({"name":"nz","type":"f64","value":"-0"})");
  CHECK(write_json(*list, JsonFormat::kPlain, 0) == R"([true,null,true])");
  CHECK(write_json(*doc, JsonFormat::kPlain, 0).ends_with(R"("l":true})"));
  CHECK(write_json(*doc, JsonFormat::kTyped, 0).ends_with(R"({"name":"l","type":"list","childCount":3}]})"));
  CHECK(doc->subtree_size() == 13 && t->root().subtree_size() == 14);
  std::string whole = write_json(*doc, JsonFormat::kPlain);
  CHECK(write_json_within(*doc, JsonFormat::kPlain, whole.size()) == whole);
  CHECK(!write_json_within(*doc, JsonFormat::kPlain, whole.size() - 1));
}

TEST(changes_leave_out_values_over_the_bound) {
  TreeHolder t;
  t->set_feed(FeedLevel::kEvents);
  NodeRef big = add(t.tree, t->root(), "big", type::kObject);
  for (int i = 0; i < 2000; ++i) add_value(t.tree, *big, "k" + std::to_string(i), type::kStr, Value::str(std::string(1000, 'x')));
  t->take_changes();
  t->remove_child(t->root(), *big);
  std::vector<Change> changes = t->take_changes();
  CHECK(changes.size() == 1 && changes[0].old_value_omitted && changes[0].old_value.empty() && !changes[0].value_omitted);
}

TEST(large_lists_build_in_linear_time) {
  TreeHolder t;
  auto build = [&](int n) {
    NodeRef list = add(t.tree, t->root(), "l" + std::to_string(n), type::kList);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) add_value(t.tree, *list, "k" + std::to_string(i), type::kI64, Value::i64(i));
    CHECK(list->child("k" + std::to_string(n - 1))->value().as_i64() == n - 1);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double small = build(100000), large = build(1000000);
  std::printf("  append 100k: %.3f s, 1M: %.3f s (ratio %.1f)\n", small, large, large / small);
}

int main() {
  int result = check::run_all();
  CHECK(epoch::drain() == 0);
  return result == 0 && check::failures == 0 ? 0 : 1;
}
