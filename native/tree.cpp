#include "grove/tree.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <numeric>
#include <span>

#include "child_list.h"
#include "grove/epoch.h"
#include "grove/error.h"
#include "tiny_lock.h"

namespace grove {
namespace {

constexpr uint32_t kMinCapacity = 4;
constexpr uint32_t kMaxChildren = 1u << 31;

void retire_list(ChildList* list) {
  if (list) epoch::retire(list, [](void* p) { static_cast<ChildList*>(p)->release(); });
}

std::string quoted(const Node& node) {
  std::string out(1, '\'');  // appends, not operator+: GCC 12 warns falsely on the latter (bug 105329)
  out += node.name();
  out += '\'';
  return out;
}

void require_structured(const Node& node, const char* what) {
  if (!type_info(node.type()).structured) {
    fail(ErrorCode::kTypeMismatch, std::string("cannot ") + what + " " + type_name(node.type()) + " node " +
                                       quoted(node) + ": only object, list and application types hold children");
  }
}

__extension__ typedef __int128 Int128;

// Sort order for sort_children: comparable values by compare(); otherwise by kind
// (null, bool, numbers with NaN last, str, bytes), so that the order is total.
int kind_rank(const Value& v) {
  const TypeInfo& t = type_info(v.type);
  if (v.type == type::kNull) return 0;
  if (v.type == type::kBool) return 1;
  if (t.bits != 0) return t.is_float && std::isnan(t.bits == 32 ? v.as_f32() : v.as_f64()) ? 3 : 2;
  if (v.type == type::kStr) return 4;
  return 5;
}

bool sorts_before(const Value& a, const Value& b) {
  Ordering o = compare(a, b);
  if (o != Ordering::kUnordered) return o == Ordering::kLess;
  return kind_rank(a) < kind_rank(b);
}

}  // namespace

Tree::Tree() {
  // The root is named "" and can never be added under another node.
  root_ = NodeRef(new (::operator new(sizeof(Node))) Node(next_id_.fetch_add(1), "", type::kObject));
  root_->attached_.store(true, std::memory_order_relaxed);
}

Tree::~Tree() = default;

Tree* Tree::create() { return new Tree(); }

void Tree::retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

void Tree::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;  // pairs with other releasers
}

NodeRef Tree::create_node(std::string_view name, TypeId type, const Value* value) {
  const TypeInfo& info = type_info(type);
  uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  std::string generated;
  if (name.empty()) {
    generated = '#';
    generated += std::to_string(id);
    name = generated;
  } else {
    validate_name(name);
  }
  uint64_t word = 0;
  const std::string* blob = nullptr;
  if (value && value->type != type::kNull) {
    Value v = convert(*value, type);
    if (info.storage == Storage::kInline) word = v.bits;
    if (info.storage == Storage::kBlob) blob = new std::string(std::move(v.blob));
    if (info.storage == Storage::kArray) word = reinterpret_cast<uint64_t>(v.array.release());
  } else if (value && info.storage != Storage::kNone) {
    fail(ErrorCode::kTypeMismatch, "cannot set " + type_name(type) + " node '" + std::string(name) + "' to null");
  }
  Node* node = new (::operator new(sizeof(Node) + name.size())) Node(id, name, type);
  node->word_.store(blob ? reinterpret_cast<uint64_t>(blob) : word, std::memory_order_relaxed);
  return NodeRef(node);
}

void Tree::link_child(Node& parent, Node& child) {
  bool fresh = false;
  if (!child.attached_.compare_exchange_strong(fresh, true, std::memory_order_relaxed)) {
    fail(ErrorCode::kInvalidArgument, "node " + quoted(child) +
                                          " already has (or had) a parent; add a copy of it instead");
  }
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  if (count >= kMaxChildren) {
    child.attached_.store(false, std::memory_order_relaxed);
    fail(ErrorCode::kLimitExceeded, "node " + quoted(parent) + " already has the most children a node may have (2^31)");
  }
  if (!list || list->full()) {
    ChildList* grown = ChildList::copy_of(list, count, std::max(kMinCapacity, count * 2));
    parent.children_.store(grown, std::memory_order_release);  // pairs with readers' acquire loads
    retire_list(list);
    list = grown;
  }
  child.parent_.store(&parent, std::memory_order_release);  // published with the append below
  child.retain();
  list->append(&child);
}

uint64_t Tree::add_child(Node& parent, Node& child) {
  require_structured(parent, "add children to");
  TinyLockGuard lock(parent.lock_);
  link_child(parent, child);
  return commit(child, ChangeOp::kAdd, child);
}

namespace {

// A copy of `list`'s first `count` children with the one at `index` left out (or, when
// `replacement` is given, replaced by it), with the same room for appends.
ChildList* rebuilt_without(const ChildList* list, uint32_t count, uint32_t index, Node* replacement) {
  ChildList* rebuilt = ChildList::create(std::max(kMinCapacity, list->capacity()));
  for (uint32_t i = 0; i < count; ++i) {
    Node* child = i == index ? replacement : list->at(i);
    if (!child) continue;
    child->retain();
    rebuilt->append(child);
  }
  return rebuilt;
}

}  // namespace

uint64_t Tree::remove_child(Node& parent, const Node& child) {
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (list->at(i) == &child) return remove_at_locked(parent, list, count, i);
  }
  fail(ErrorCode::kNotFound, "node " + quoted(child) + " is not a child of " + quoted(parent));
}

uint64_t Tree::remove_child_at(Node& parent, std::size_t index) {
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  if (index >= count) {
    fail(ErrorCode::kNotFound, "no child at index " + std::to_string(index) + " of " + quoted(parent) + " (it has " +
                                   std::to_string(count) + ")");
  }
  return remove_at_locked(parent, list, count, static_cast<uint32_t>(index));
}

uint64_t Tree::remove_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index) {
  NodeRef removed = NodeRef::share(list->at(index));
  parent.children_.store(rebuilt_without(list, count, index, nullptr), std::memory_order_release);  // pairs with readers
  retire_list(list);
  Node* expected = &parent;
  removed->parent_.compare_exchange_strong(expected, nullptr, std::memory_order_release);
  return commit(parent, ChangeOp::kRemove, *removed);
}

uint64_t Tree::replace_child_by_id(Node& parent, uint64_t id, Node& replacement) {
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  uint32_t index = 0;
  while (index < count && list->at(index)->id() != id) ++index;
  if (index == count) fail(ErrorCode::kNotFound, "no child with id " + std::to_string(id) + " under " + quoted(parent));
  return replace_at_locked(parent, list, count, index, replacement);
}

uint64_t Tree::put_child(Node& parent, Node& child) {
  require_structured(parent, "add children to");
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  int64_t index = list ? list->find_name(child.name(), child.name_hash(), count) : -1;
  if (index >= 0) return replace_at_locked(parent, list, count, static_cast<uint32_t>(index), child);
  link_child(parent, child);
  return commit(child, ChangeOp::kAdd, child);
}

NodeRef Tree::ensure_child(Node& parent, std::string_view name, TypeId type) {
  if (NodeRef existing = parent.child(name)) return existing;
  require_structured(parent, "add children to");
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  if (Node* existing = list ? list->child_named(name, name_hash(name), list->count()) : nullptr) {
    return NodeRef::share(existing);  // another writer made it first
  }
  NodeRef created = create_node(name, type);
  link_child(parent, *created);
  commit(*created, ChangeOp::kAdd, *created);
  return created;
}

uint64_t Tree::replace_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index, Node& replacement) {
  bool fresh = false;
  if (!replacement.attached_.compare_exchange_strong(fresh, true, std::memory_order_relaxed)) {
    fail(ErrorCode::kInvalidArgument, "node " + quoted(replacement) +
                                          " already has (or had) a parent; use a copy of it instead");
  }
  NodeRef old_child = NodeRef::share(list->at(index));
  replacement.parent_.store(&parent, std::memory_order_release);
  parent.children_.store(rebuilt_without(list, count, index, &replacement), std::memory_order_release);
  Node* expected = &parent;
  old_child->parent_.compare_exchange_strong(expected, nullptr, std::memory_order_release);
  retire_list(list);  // keeps old_child alive until readers of the old list are done
  return commit(replacement, ChangeOp::kReplace, replacement, old_child.get());
}

uint64_t Tree::sort_children(Node& parent, std::string_view member, bool descending) {
  validate_name(member);
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_.load(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  struct Key {
    bool present;
    Value value;
  };
  std::vector<Key> keys(count);
  for (uint32_t i = 0; i < count; ++i) {
    NodeRef m = list->at(i)->child(member);
    keys[i] = m ? Key{true, m->value()} : Key{false, {}};
  }
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const Key& x = keys[a];
    const Key& y = keys[b];
    if (x.present != y.present) return x.present;  // children without the member go last
    if (!x.present) return false;
    return descending ? sorts_before(y.value, x.value) : sorts_before(x.value, y.value);
  });
  if (count > 0) {
    ChildList* sorted = ChildList::create(list->capacity());
    for (uint32_t i : order) {
      list->at(i)->retain();
      sorted->append(list->at(i));
    }
    parent.children_.store(sorted, std::memory_order_release);  // pairs with readers' acquire loads
    retire_list(list);
  }
  Change details;
  details.sort_member = member;
  details.sort_descending = descending;
  return commit(parent, ChangeOp::kSort, parent, nullptr, &details);
}

NodeRef Tree::copy_subtree(const Node& node) {
  NodeRef top;
  struct Pending {
    NodeRef source;
    Node* copy_parent;  // null for the top
  };
  std::vector<Pending> stack{{NodeRef::share(const_cast<Node*>(&node)), nullptr}};
  while (!stack.empty()) {
    Pending item = std::move(stack.back());
    stack.pop_back();
    Value value = item.source->value();
    NodeRef copy = create_node(item.source->name(), item.source->type(), &value);
    if (item.copy_parent) {
      TinyLockGuard lock(item.copy_parent->lock_);
      link_child(*item.copy_parent, *copy);
    } else {
      top = copy;
    }
    Snapshot children = item.source->children();
    for (std::size_t i = children.size(); i-- > 0;) {  // reversed: the stack pops them in order
      stack.push_back({NodeRef::share(children.at(i)), copy.get()});
    }
  }
  return top;
}

uint64_t Tree::copy_children(const Node& from, Node& to) {
  require_structured(to, "copy children into");
  Snapshot children = from.children();
  uint64_t version = this->version();
  for (std::size_t i = 0; i < children.size(); ++i) {
    NodeRef copy = copy_subtree(*children.at(i));
    version = add_child(to, *copy);
  }
  return version;
}

namespace {

void require_leaf(const Node& node) {
  if (type_info(node.type()).storage == Storage::kNone) {
    fail(ErrorCode::kTypeMismatch, type_name(node.type()) + " node '" + std::string(node.name()) +
                                       "' holds no value; replace the node to change its type");
  }
}

}  // namespace

Value Tree::store_value(Node& node, Value value, bool keep_old) {
  if (type_info(node.type_).storage == Storage::kInline) {
    uint64_t old = node.word_.exchange(value.bits, std::memory_order_release);  // pairs with Node::value()'s acquire
    return {node.type_, old, {}};
  }
  if (type_info(node.type_).storage == Storage::kArray) {
    // Pairs with Node::value()'s acquire load: the buffer's elements are written before.
    uint64_t old = node.word_.exchange(reinterpret_cast<uint64_t>(value.array.release()), std::memory_order_acq_rel);
    auto* old_array = reinterpret_cast<ArrayData*>(old);
    if (!old_array) return Value::array_of(node.type_, {});
    Value replaced = Value::array_of(node.type_, keep_old ? ArrayRef::share(old_array) : ArrayRef());
    epoch::retire(old_array, [](void* p) { static_cast<ArrayData*>(p)->release(); });
    return replaced;
  }
  auto* blob = new std::string(std::move(value.blob));
  uint64_t old = node.word_.exchange(reinterpret_cast<uint64_t>(blob), std::memory_order_acq_rel);  // pairs with readers
  if (!old) return zero_value(node.type_);
  auto* old_blob = reinterpret_cast<std::string*>(old);
  Value replaced{node.type_, 0, keep_old ? *old_blob : std::string()};  // lock held: nobody else retires it
  epoch::retire(old_blob);
  return replaced;
}

uint64_t Tree::set_value(Node& node, const Value& value) {
  require_leaf(node);
  Value converted = convert(value, node.type_);
  TinyLockGuard lock(node.lock_);
  return write_value(node, std::move(converted));
}

Value Tree::increment(Node& node, const Value& by, uint64_t* version) {
  const TypeInfo& t = type_info(node.type_);
  if (t.bits == 0) {
    fail(ErrorCode::kTypeMismatch, "cannot increment " + type_name(node.type_) + " node " + quoted(node) +
                                       ": only integer and float nodes count");
  }
  TinyLockGuard lock(node.lock_);
  Value current = node.value();
  Value next;
  if (t.is_float) {
    double sum = convert(current, type::kF64).as_f64() + convert(by, type::kF64).as_f64();
    next = t.bits == 32 ? Value::f32(static_cast<float>(sum)) : Value::f64(sum);
  } else {
    const TypeInfo& by_type = type_info(by.type);
    Value delta = by_type.bits != 0 && !by_type.is_float ? by : convert(by, by.as_f64() < 0 ? type::kI64 : type::kU64);
    Int128 step = type_info(delta.type).is_signed ? Int128{delta.as_i64()} : Int128{delta.bits};
    Int128 base = t.is_signed ? Int128{current.as_i64()} : Int128{current.bits};
    Int128 lo = t.is_signed ? -(Int128{1} << (t.bits - 1)) : 0;
    Int128 hi = t.is_signed ? (Int128{1} << (t.bits - 1)) - 1 : (Int128{1} << t.bits) - 1;
    Int128 sum = base + step;
    if (sum < lo || sum > hi) {
      fail(ErrorCode::kTypeMismatch, "increment of " + type_name(node.type_) + " node " + quoted(node) + " by " +
                                         delta.describe() + " would overflow (it holds " + current.describe() + ")");
    }
    next = {node.type_, static_cast<uint64_t>(sum), {}};
  }
  uint64_t v = write_value(node, next);
  if (version) *version = v;
  return next;
}

bool Tree::compare_and_set(Node& node, const Value& expected, const Value& desired, Value* current,
                           uint64_t* version) {
  require_leaf(node);
  Value converted = convert(desired, node.type_);
  TinyLockGuard lock(node.lock_);
  Value now = node.value();
  bool equal = compare(now, expected) == Ordering::kEqual;
  if (equal) {
    uint64_t v = write_value(node, converted);
    if (version) *version = v;
  }
  if (current) *current = equal ? converted : now;
  return equal;
}

bool Tree::set_if_zero(Node& node, const Value& desired, Value* current, uint64_t* version) {
  require_leaf(node);
  Value converted = convert(desired, node.type_);
  TinyLockGuard lock(node.lock_);
  Value now = node.value();
  bool zero = now.is_zero();
  if (zero) {
    uint64_t v = write_value(node, converted);
    if (version) *version = v;
  }
  if (current) *current = zero ? converted : now;
  return zero;
}

uint64_t Tree::update_value(Node& node, const std::function<Value(const Value&)>& update) {
  require_leaf(node);
  TinyLockGuard lock(node.lock_);
  Value next = convert(update(node.value()), node.type_);
  return write_value(node, std::move(next));
}

void Tree::set_feed(bool on) {
  std::lock_guard lock(feed_mutex_);
  feed_on_.store(on, std::memory_order_release);  // pairs with commit()'s acquire load
  if (!on) feed_.clear();
}

std::vector<Change> Tree::take_changes() {
  std::lock_guard lock(feed_mutex_);
  return std::exchange(feed_, {});
}

uint64_t Tree::write_value(Node& node, Value value) {
  bool feed = feed_on_.load(std::memory_order_acquire);
  Value old = store_value(node, std::move(value), feed);
  if (!feed) return commit(node, ChangeOp::kSet, node);
  Change details;
  details.value = node.value();
  details.old_value = std::move(old);
  return commit(node, ChangeOp::kSet, node, nullptr, &details);
}

uint64_t Tree::commit(Node& touched, ChangeOp op, Node& subject, Node* replaced, Change* details) {
  epoch::Guard pin;
  // Touched and its ancestors, up to the top; on the stack for the common depths.
  Node* inline_chain[32];
  std::vector<Node*> deep_chain;
  std::span<Node*> chain;
  std::size_t depth = 0;
  for (Node* n = &touched; n; n = n->parent_.load(std::memory_order_acquire), ++depth) {
    if (depth < std::size(inline_chain)) {
      inline_chain[depth] = n;
    } else {
      if (deep_chain.empty()) deep_chain.assign(std::begin(inline_chain), std::end(inline_chain));
      deep_chain.push_back(n);
    }
  }
  chain = deep_chain.empty() ? std::span<Node*>(inline_chain, depth) : std::span<Node*>(deep_chain);
  // A subtree not under the root is still being built: it takes no version, enters no feed.
  if (chain.back() != root_.get()) return version();
  uint64_t version;
  if (feed_on_.load(std::memory_order_acquire)) {
    Change change = details ? std::move(*details) : Change{};
    change.op = op;
    change.node = NodeRef::share(&subject);
    change.replaced = NodeRef::share(replaced);
    for (std::size_t i = chain.size() - 1; i-- > 0;) {
      if (!change.path.empty()) change.path += '/';
      change.path += chain[i]->name();
    }
    if (op == ChangeOp::kRemove) {
      if (!change.path.empty()) change.path += '/';
      change.path += subject.name();
    }
    std::lock_guard lock(feed_mutex_);  // versions enter the feed in the order they are taken
    version = version_.fetch_add(1, std::memory_order_acq_rel) + 1;
    change.version = version;
    feed_.push_back(std::move(change));
  } else {
    version = version_.fetch_add(1, std::memory_order_acq_rel) + 1;
  }
  // Versions only go up, whichever writer stamps a shared ancestor last.
  for (Node* n : chain) {
    uint64_t seen = n->version_.load(std::memory_order_relaxed);
    while (seen < version &&
           !n->version_.compare_exchange_weak(seen, version, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }
  return version;
}

// Store recovery: the counter only ever grows, so a concurrent change keeps its version.
void Tree::advance_version(uint64_t at_least) noexcept {
  uint64_t seen = version_.load(std::memory_order_relaxed);
  while (seen < at_least &&
         !version_.compare_exchange_weak(seen, at_least, std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
}

}  // namespace grove
