#include "grove/tree.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <new>
#include <numeric>
#include <span>
#include <unordered_map>

#include "child_list.h"
#include "grove/epoch.h"
#include "grove/error.h"
#include "grove/json.h"
#include "grove/test_hooks.h"
#include "id_index.h"
#include "tiny_lock.h"

namespace grove {
namespace {

constexpr uint32_t kMinCapacity = 4;
constexpr uint32_t kMaxChildren = 1u << 31;

thread_local uint32_t t_writer = 0;

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

void require_leaf(const Node& node) {
  if (type_info(node.type()).storage == Storage::kNone) {
    fail(ErrorCode::kTypeMismatch, type_name(node.type()) + " node '" + std::string(node.name()) +
                                       "' holds no value; replace the node to change its type");
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

// The names of `names` from `from` on, joined by '/'.
std::string joined(const std::vector<std::string_view>& names, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i) {
    if (!out.empty()) out += '/';
    out += names[i];
  }
  return out;
}

// The id a name "#<digits>" would be generated for, or 0.
uint64_t generated_id(std::string_view name) {
  if (name.size() < 2 || name.size() > 17 || name[0] != '#' || name[1] == '0') return 0;
  uint64_t id = 0;
  auto [end, error] = std::from_chars(name.data() + 1, name.data() + name.size(), id);
  return error == std::errc() && end == name.data() + name.size() ? id : 0;
}

}  // namespace

// Raises a node's version to `version` (never lowers it): whichever writer stamps a shared
// ancestor last, versions only go up. Release pairs with Node::version()'s acquire.
void Tree::stamp(Node& node, uint64_t version) noexcept {
  uint64_t seen = node.version_.load(std::memory_order_relaxed);
  while (seen < version &&
         !node.version_.compare_exchange_weak(seen, version, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

void set_thread_writer(uint32_t tag) noexcept { t_writer = tag; }
uint32_t thread_writer() noexcept { return t_writer; }

Tree::Tree() : index_(new IdIndex) {
  // The root is named "" and can never be added under another node.
  root_ = NodeRef(new (::operator new(Node::allocation_bytes(0))) Node(kRootId, "", type::kObject));
  root_->attached_.store(true, std::memory_order_relaxed);
  root_->in_tree_.store(true, std::memory_order_relaxed);
  index_->insert({root_.get()});
  next_id_.store(kRootId + 1, std::memory_order_relaxed);
}

// The index holds its nodes uncounted; nothing reaches it once the last holder lets go.
Tree::~Tree() { delete index_; }

Tree* Tree::create() { return new Tree(); }

void Tree::retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

void Tree::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;  // pairs with other releasers
}

// --- identity ---------------------------------------------------------------------------

// Store recovery: the counter only ever grows, so a concurrent change keeps its version.
void Tree::advance_version(uint64_t at_least) noexcept {
  uint64_t seen = version_.load(std::memory_order_relaxed);
  while (seen < at_least &&
         !version_.compare_exchange_weak(seen, at_least, std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
}

void Tree::advance_ids(uint64_t next) noexcept {
  uint64_t seen = next_id_.load(std::memory_order_relaxed);
  while (seen < next && !next_id_.compare_exchange_weak(seen, next, std::memory_order_relaxed)) {
  }
}

void Tree::set_id_range(uint32_t range) {
  if (range > kMaxIdRange) {
    fail(ErrorCode::kLimitExceeded, "id range " + std::to_string(range) + " is past the last one (" +
                                        std::to_string(kMaxIdRange) + "): a cluster has at most that many stations");
  }
  id_range_.store(range, std::memory_order_relaxed);
  advance_ids(std::max<uint64_t>(kRootId + 1, uint64_t{range} << kIdRangeBits));
}

void Tree::note_id(uint64_t id) noexcept {
  if ((id >> kIdRangeBits) == id_range_.load(std::memory_order_relaxed)) advance_ids(id + 1);
}

NodeRef Tree::node_by_id(uint64_t id) const { return index_->find(id); }

Node* Tree::node_by_id_pinned(uint64_t id) const { return index_->find_pinned(id); }

std::size_t Tree::size() const { return index_->size(); }

NodeRef Tree::create_node(std::string_view name, TypeId type, const Value* value, uint64_t id) {
  const TypeInfo& info = type_info(type);
  if (id == 0) {
    id = next_id_.fetch_add(1, std::memory_order_relaxed);
  } else {
    note_id(id);
  }
  std::string generated;
  if (name.empty()) {
    generated = '#';
    generated += std::to_string(id);
    name = generated;
  } else {
    validate_name(name);
    // a name that looks generated moves the counter past it, so no generated name repeats it
    if (uint64_t taken = generated_id(name)) note_id(taken);
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
  Node* node = new (::operator new(Node::allocation_bytes(name.size()))) Node(id, name, type);
  node->word_.store(blob ? reinterpret_cast<uint64_t>(blob) : word, std::memory_order_relaxed);
  return NodeRef(node);
}

// --- linking and unlinking --------------------------------------------------------------

namespace {

// The nodes of a fresh subtree, which only the calling thread can reach.
void collect(Node& top, std::vector<Node*>& out) {
  std::vector<const Node*> pending{&top};
  while (!pending.empty()) {
    const Node* n = pending.back();
    pending.pop_back();
    out.push_back(const_cast<Node*>(n));
    Snapshot children = n->children();
    for (std::size_t i = 0; i < children.size(); ++i) pending.push_back(children.at(i));
  }
}

// Whether `node` is `top` or lies under it.
bool within(const Node& node, const Node& top) {
  for (NodeRef n = NodeRef::share(const_cast<Node*>(&node)); n; n = n->parent()) {
    if (n.get() == &top) return true;
  }
  return false;
}

}  // namespace

void Tree::link_child(Node& parent, Node& child, std::vector<Node*>* linked) {
  bool fresh = false;
  if (!child.attached_.compare_exchange_strong(fresh, true, std::memory_order_relaxed)) {
    fail(ErrorCode::kInvalidArgument, "node " + quoted(child) +
                                          " already has (or had) a parent; add a copy of it instead");
  }
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  if (count >= kMaxChildren) {
    child.attached_.store(false, std::memory_order_relaxed);
    fail(ErrorCode::kLimitExceeded, "node " + quoted(parent) + " already has the most children a node may have (2^31)");
  }
  // The parent's lock is held, and its flag changes only under it (unindex).
  if (parent.in_tree_.load(std::memory_order_relaxed)) {
    std::vector<Node*> nodes;
    collect(child, nodes);
    if (Node* holder = index_->insert(nodes)) {
      child.attached_.store(false, std::memory_order_relaxed);
      fail(ErrorCode::kInvalidArgument, "node " + quoted(child) + " cannot be added: an id under it is node " +
                                            std::to_string(holder->id()) + " " + quoted(*holder) +
                                            "'s, which is in the tree already");
    }
    // Published with the append below (its release store of the count).
    for (Node* n : nodes) n->in_tree_.store(true, std::memory_order_relaxed);
    if (linked) *linked = std::move(nodes);
  }
  if (!list || list->full()) {
    ChildList* grown = ChildList::copy_of(list, count, std::max(kMinCapacity, count * 2));
    parent.set_children(grown, std::memory_order_release);  // pairs with readers' acquire loads
    retire_list(list);
    list = grown;
  }
  child.parent_.store(&parent, std::memory_order_release);  // published with the append below
  child.retain();
  list->append(&child);
}

void Tree::unindex(Node& top) {
  std::vector<Node*> nodes;
  std::vector<Snapshot> held;  // keeps every collected node alive until its entry is gone
  std::vector<Node*> pending{&top};
  while (!pending.empty()) {
    Node* n = pending.back();
    pending.pop_back();
    Snapshot children;
    {
      // Pairs with link_child's check of the flag under this (its parent's) lock: a child
      // linked after the flag is cleared is never indexed, one linked before is seen here.
      TinyLockGuard lock(n->lock_);
      if (!n->in_tree_.load(std::memory_order_relaxed)) continue;  // another removal got here first
      n->in_tree_.store(false, std::memory_order_release);  // pairs with IdIndex::find's acquire
      children = n->children();
    }
    nodes.push_back(n);
    for (std::size_t i = 0; i < children.size(); ++i) pending.push_back(children.at(i));
    held.push_back(std::move(children));
  }
  index_->erase(nodes);
}

// --- the feed ---------------------------------------------------------------------------

namespace {

// A change's plain JSON of a node or a value, unless it is longer than the feed keeps (then
// `omitted`); the writer stops at the bound, so a huge subtree costs no more than it.
void set_event_json(std::string& out, bool& omitted, const Node& node) {
  std::optional<std::string> text = write_json_within(node, JsonFormat::kPlain, Tree::kMaxEventValueBytes);
  omitted = !text;
  if (text) out = std::move(*text);
}

void set_event_json(std::string& out, bool& omitted, std::string text) {
  omitted = text.size() > Tree::kMaxEventValueBytes;
  if (!omitted) out = std::move(text);
}

}  // namespace

Tree::Note Tree::note_added(const Node& parent, const Node& child, const Node& target, std::string path_suffix) const {
  Note note;
  note.path_suffix = std::move(path_suffix);
  set_event_json(note.value, note.value_omitted, target);
  if (feed() == FeedLevel::kRecords) {
    note.record = "{\"o\":\"add\",\"p\":" + std::to_string(parent.id()) + ",\"n\":";
    append_json(note.record, child, JsonFormat::kStore);
    note.record += '}';
  }
  return note;
}

uint64_t Tree::commit(Node& touched, ChangeOp op, uint64_t id, Note& note, uint64_t at) {
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
  // A subtree not under the root (being built, or leaving): no version, no feed.
  if (chain.back() != root_.get() || !touched.in_tree()) return version();
  uint64_t version;
  FeedLevel level = feed_.load(std::memory_order_acquire);
  if (level != FeedLevel::kOff) {
    Change change;
    change.op = op;
    change.id = id;
    change.writer = t_writer;
    for (std::size_t i = chain.size() - 1; i-- > 0;) {
      if (!change.path.empty()) change.path += '/';
      change.path += chain[i]->name();
    }
    if (!note.path_suffix.empty()) {
      if (!change.path.empty()) change.path += '/';
      change.path += note.path_suffix;
    }
    change.value = std::move(note.value);
    change.old_value = std::move(note.old_value);
    change.value_omitted = note.value_omitted;
    change.old_value_omitted = note.old_value_omitted;
    if (level == FeedLevel::kRecords) change.record = std::move(note.record);
    std::lock_guard lock(feed_mutex_);  // versions enter the feed in the order they are taken
    if (at != 0) {
      version = at;
      advance_version(at);
    } else {
      version = version_.fetch_add(1, std::memory_order_acq_rel) + 1;
    }
    change.version = version;
    changes_.push_back(std::move(change));
  } else if (at != 0) {
    version = at;
    advance_version(at);
  } else {
    version = version_.fetch_add(1, std::memory_order_acq_rel) + 1;
  }
  if (note.stamps) {
    for (Node* n : chain) stamp(*n, version);
  }
  return version;
}

void Tree::set_feed(FeedLevel level) {
  std::lock_guard lock(feed_mutex_);
  feed_.store(level, std::memory_order_release);  // pairs with commit()'s acquire load
  if (level == FeedLevel::kOff) changes_.clear();
}

std::vector<Change> Tree::take_changes() {
  std::vector<Change> taken;
  {
    std::lock_guard lock(feed_mutex_);
    taken.swap(changes_);
  }
  // The record op gets its version here, off the feed's lock: {"o":...} becomes {"v":V,"o":...}.
  for (Change& change : taken) {
    if (change.record.empty()) continue;
    std::string record = "{\"v\":" + std::to_string(change.version) + ",";
    record.append(change.record, 1);
    change.record = std::move(record);
  }
  return taken;
}

// --- structure --------------------------------------------------------------------------

uint64_t Tree::add_child(Node& parent, Node& child, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  require_structured(parent, "add children to");
  check_member_write(parent, child.name(), child.type(), true);
  Note note = feed() != FeedLevel::kOff && parent.in_tree() ? note_added(parent, child, child, {}) : Note{};
  std::vector<Node*> linked;
  TinyLockGuard lock(parent.lock_);
  link_child(parent, child, &linked);
  if (linked.empty()) return version();  // under a node being built
  uint64_t v = commit(child, ChangeOp::kAdd, child.id(), note, at);
  for (Node* n : linked) stamp(*n, v);
  return v;
}

uint64_t Tree::remove_child(Node& parent, const Node& child, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  check_member_removal(parent, child.name());
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (list->at(i) == &child) return remove_at_locked(parent, list, count, i, at);
  }
  fail(ErrorCode::kNotFound, "node " + quoted(child) + " is not a child of " + quoted(parent));
}

uint64_t Tree::remove_child_at(Node& parent, std::size_t index) {
  epoch::WriterScope writing(frozen_);
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  if (index >= count) {
    fail(ErrorCode::kNotFound, "no child at index " + std::to_string(index) + " of " + quoted(parent) + " (it has " +
                                   std::to_string(count) + ")");
  }
  check_member_removal(parent, list->at(static_cast<uint32_t>(index))->name());
  return remove_at_locked(parent, list, count, static_cast<uint32_t>(index), 0);
}

uint64_t Tree::remove_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index, uint64_t at) {
  NodeRef removed = NodeRef::share(list->at(index));
  const bool in_tree = parent.in_tree_.load(std::memory_order_relaxed);
  Note note;
  note.path_suffix = removed->name();
  if (in_tree && feed() != FeedLevel::kOff) {
    set_event_json(note.old_value, note.old_value_omitted, *removed);
    note.record = "{\"o\":\"del\",\"p\":" + std::to_string(parent.id()) + ",\"i\":" + std::to_string(removed->id()) + "}";
  }
  if (in_tree) unindex(*removed);
  parent.set_children(rebuilt_without(list, count, index, nullptr), std::memory_order_release);  // pairs with readers
  retire_list(list);
  Node* expected = &parent;
  removed->parent_.compare_exchange_strong(expected, nullptr, std::memory_order_release);
  if (!in_tree) return version();
  return commit(parent, ChangeOp::kRemove, removed->id(), note, at);
}

uint64_t Tree::replace_child_by_id(Node& parent, uint64_t id, Node& replacement, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  NodeRef replaced = parent.child_by_id(id);
  if (!replaced) fail(ErrorCode::kNotFound, "no child with id " + std::to_string(id) + " under " + quoted(parent));
  bool renamed = replaced->name() != replacement.name();
  if (renamed) check_member_removal(parent, replaced->name());
  check_member_write(parent, replacement.name(), replacement.type(), renamed);
  Note note = feed() != FeedLevel::kOff && parent.in_tree() ? note_added(parent, replacement, replacement, {}) : Note{};
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  uint32_t index = 0;
  while (index < count && list->at(index)->id() != id) ++index;
  if (index == count) fail(ErrorCode::kNotFound, "no child with id " + std::to_string(id) + " under " + quoted(parent));
  return replace_at_locked(parent, list, count, index, replacement, note, at);
}

uint64_t Tree::put_child(Node& parent, Node& child) {
  epoch::WriterScope writing(frozen_);
  require_structured(parent, "add children to");
  check_member_write(parent, child.name(), child.type(), false);
  Note note = feed() != FeedLevel::kOff && parent.in_tree() ? note_added(parent, child, child, {}) : Note{};
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  int64_t index = list ? list->find_name(child.name(), child.name_hash(), count) : -1;
  if (index >= 0) return replace_at_locked(parent, list, count, static_cast<uint32_t>(index), child, note, 0);
  std::vector<Node*> linked;
  link_child(parent, child, &linked);
  if (linked.empty()) return version();
  uint64_t v = commit(child, ChangeOp::kAdd, child.id(), note, 0);
  for (Node* n : linked) stamp(*n, v);
  return v;
}

uint64_t Tree::replace_at_locked(Node& parent, ChildList* list, uint32_t count, uint32_t index, Node& replacement,
                                 Note& note, uint64_t at) {
  bool fresh = false;
  if (!replacement.attached_.compare_exchange_strong(fresh, true, std::memory_order_relaxed)) {
    fail(ErrorCode::kInvalidArgument, "node " + quoted(replacement) +
                                          " already has (or had) a parent; use a copy of it instead");
  }
  NodeRef old_child = NodeRef::share(list->at(index));
  const bool in_tree = parent.in_tree_.load(std::memory_order_relaxed);
  std::vector<Node*> linked;
  if (in_tree) {
    collect(replacement, linked);
    // A subtree coming back (a snapshot applied again) may bring the ids of the one it
    // replaces; any other id already in the tree is refused before anything changes.
    for (Node* n : linked) {
      NodeRef holder = index_->find(n->id());
      if (holder && !within(*holder, *old_child)) {
        replacement.attached_.store(false, std::memory_order_relaxed);
        fail(ErrorCode::kInvalidArgument, "node " + quoted(replacement) + " cannot replace " + quoted(*old_child) +
                                              ": an id under it is node " + std::to_string(holder->id()) + " " +
                                              quoted(*holder) + "'s, which is in the tree already");
      }
    }
    if (!note.record.empty()) {
      note.record.replace(6, 3, "put");  // {"o":"add" -> {"o":"put"
      note.record.insert(note.record.size() - 1, ",\"r\":" + std::to_string(old_child->id()));
    }
    if (feed() != FeedLevel::kOff) set_event_json(note.old_value, note.old_value_omitted, *old_child);
    unindex(*old_child);
    index_->insert(linked);  // cannot fail: every id it holds was checked above
    for (Node* n : linked) n->in_tree_.store(true, std::memory_order_relaxed);  // published by the swap below
  }
  replacement.parent_.store(&parent, std::memory_order_release);
  parent.set_children(rebuilt_without(list, count, index, &replacement), std::memory_order_release);
  Node* expected = &parent;
  old_child->parent_.compare_exchange_strong(expected, nullptr, std::memory_order_release);
  retire_list(list);  // keeps old_child alive until readers of the old list are done
  if (!in_tree) return version();
  uint64_t v = commit(replacement, ChangeOp::kReplace, replacement.id(), note, at);
  for (Node* n : linked) stamp(*n, v);
  return v;
}

uint64_t Tree::sort_children(Node& parent, std::string_view member, bool descending, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  validate_name(member);
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  struct Key {
    bool present;
    Value value;
  };
  std::vector<Key> keys(count);
  {
    epoch::Guard pin;  // the members are read without references: other writers may remove them
    std::vector<const Node*> members;
    if (list) Node::members_of(*list, 0, count, member, members);
    for (uint32_t i = 0; i < count; ++i) {
      if (i + Node::kAhead < count && members[i + Node::kAhead]) __builtin_prefetch(members[i + Node::kAhead]);
      keys[i] = members[i] ? Key{true, members[i]->value()} : Key{false, {}};
    }
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
  std::vector<Node*> sorted(count);
  for (uint32_t i = 0; i < count; ++i) sorted[i] = list->at(order[i]);
  return reorder_locked(parent, list, sorted, at);
}

uint64_t Tree::reorder_children(Node& parent, const std::vector<uint64_t>& ids, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  uint32_t count = list ? list->count() : 0;
  if (ids.size() != count) {
    fail(ErrorCode::kInvalidArgument, "the order names " + std::to_string(ids.size()) + " children, and " + quoted(parent) +
                                          " has " + std::to_string(count));
  }
  std::unordered_map<uint64_t, Node*> by_id;
  for (uint32_t i = 0; i < count; ++i) by_id.emplace(list->at(i)->id(), list->at(i));
  std::vector<Node*> ordered;
  for (uint64_t id : ids) {
    auto found = by_id.find(id);
    if (found == by_id.end()) fail(ErrorCode::kInvalidArgument, "node " + std::to_string(id) + " is not a child of " + quoted(parent));
    ordered.push_back(found->second);
    by_id.erase(found);
  }
  return reorder_locked(parent, list, ordered, at);
}

uint64_t Tree::reorder_locked(Node& parent, ChildList* list, const std::vector<Node*>& ordered, uint64_t at) {
  Note note;
  // the order itself, not how it was reached: a sort reads members that other threads may
  // change meanwhile, so replaying "sort by m" could order them otherwise
  if (feed() == FeedLevel::kRecords && parent.in_tree()) {
    note.record = "{\"o\":\"sort\",\"i\":" + std::to_string(parent.id()) + ",\"order\":[";
    note.record.reserve(note.record.size() + ordered.size() * 21 + 2);  // an id is at most 20 digits, and a comma
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      if (i > 0) note.record += ',';
      char digits[20];
      note.record.append(digits, std::to_chars(digits, digits + sizeof digits, ordered[i]->id()).ptr);
    }
    note.record += "]}";
  }
  if (!ordered.empty()) {
    ChildList* sorted = ChildList::create(list->capacity());
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      if (i + Node::kAhead < ordered.size()) __builtin_prefetch(ordered[i + Node::kAhead]);  // reordered: each a cache miss
      ordered[i]->retain();
      sorted->append(ordered[i]);
    }
    parent.set_children(sorted, std::memory_order_release);  // pairs with readers' acquire loads
    retire_list(list);
  }
  return commit(parent, ChangeOp::kSort, parent.id(), note, at);
}

NodeRef Tree::copy_subtree(const Node& node) {
  epoch::WriterScope writing(frozen_);
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
      link_child(*item.copy_parent, *copy, nullptr);  // detached: nothing to index
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
  epoch::WriterScope writing(frozen_);
  require_structured(to, "copy children into");
  Snapshot children = from.children();
  // every copy must be allowed before the first is added
  for (std::size_t i = 0; i < children.size(); ++i) check_member_write(to, children.at(i)->name(), children.at(i)->type(), true);
  uint64_t version = this->version();
  for (std::size_t i = 0; i < children.size(); ++i) {
    NodeRef copy = copy_subtree(*children.at(i));
    version = add_child(to, *copy);
  }
  return version;
}

// --- writes through a path --------------------------------------------------------------

bool Tree::set_in_place(Node& parent, std::string_view name, const Value& value, TypeId type, uint64_t* version) {
  NodeRef existing = parent.child(name);
  if (!existing || type_info(existing->type()).storage == Storage::kNone) return false;
  if (existing->type() != type && type != 0) return false;
  try {
    *version = set_value(*existing, value);
    return true;
  } catch (const Error& e) {
    // without a type, a value that does not fit the leaf's type replaces the leaf
    if (e.code() != ErrorCode::kTypeMismatch || existing->type() == type) throw;
    return false;
  }
}

namespace {

// Where a path write lands: the deepest node of the path that exists, and the index of the
// first name missing below it (names.size() - 1 when only the last one may be missing).
struct Landing {
  NodeRef parent;
  std::size_t missing;
};

Landing walk_existing(Node& base, const std::vector<std::string_view>& names, std::size_t stop, std::string_view path,
                      const char* function) {
  NodeRef parent = NodeRef::share(&base);
  std::string walked;
  std::size_t i = 0;
  for (; i < stop; ++i) {
    NodeRef next = parent->child(names[i]);
    if (!next) break;
    if (!walked.empty()) walked += '/';
    walked += names[i];
    if (!type_info(next->type()).structured) {
      throw PathError(ErrorCode::kTypeMismatch, std::string(function) + "(): cannot create '" + std::string(path) +
                                                    "': '" + walked + "' is a leaf of type " + type_name(next->type()) +
                                                    ", which holds a value, not children",
                      std::string(path));
    }
    parent = std::move(next);
  }
  return {std::move(parent), i};
}

}  // namespace

uint64_t Tree::set_path(Node& base, std::string_view path, const Value* value, TypeId type,
                        const std::function<NodeRef()>& build) {
  GROVE_TEST_HOOK(before_write());
  std::vector<std::string_view> names = split_path(path);
  if (names.empty()) fail(ErrorCode::kInvalidArgument, "set(): the root cannot be replaced; set the paths under it");
  epoch::WriterScope writing(frozen_);
  for (;;) {
    Landing at = walk_existing(base, names, names.size() - 1, path, "set");
    if (at.missing == names.size() - 1) {
      uint64_t v = 0;
      if (value && set_in_place(*at.parent, names.back(), *value, type, &v)) return v;
      NodeRef built = build();
      return put_child(*at.parent, *built);
    }
    NodeRef leaf = build();
    uint64_t v = 0;
    if (add_under(*at.parent, names, at.missing, names.size() - 1, *leaf, &v)) return v;
  }
}

uint64_t Tree::put_path(Node& base, std::string_view path, Node& node) {
  std::vector<std::string_view> names = split_path(path);
  if (names.empty()) fail(ErrorCode::kInvalidArgument, "put(): the root cannot be replaced; put the paths under it");
  if (node.name() != names.back()) {
    fail(ErrorCode::kInvalidArgument, "put(): the node is named '" + std::string(node.name()) +
                                          "' but the path ends in '" + std::string(names.back()) + "'");
  }
  epoch::WriterScope writing(frozen_);
  for (;;) {
    Landing at = walk_existing(base, names, names.size() - 1, path, "put");
    if (at.missing == names.size() - 1) return put_child(*at.parent, node);
    uint64_t v = 0;
    if (add_under(*at.parent, names, at.missing, names.size() - 1, node, &v)) return v;
  }
}

uint64_t Tree::add_path(Node& base, std::string_view path, Node& child) {
  std::vector<std::string_view> names = split_path(path);
  epoch::WriterScope writing(frozen_);
  for (;;) {
    Landing at = walk_existing(base, names, names.size(), path, "add");
    if (at.missing == names.size()) return add_child(*at.parent, child);
    uint64_t v = 0;
    if (add_under(*at.parent, names, at.missing, names.size(), child, &v)) return v;
  }
}

uint64_t Tree::delete_path(Node& base, std::string_view path) {
  if (split_path(path).empty()) fail(ErrorCode::kInvalidArgument, "delete(): the root cannot be deleted");
  epoch::WriterScope writing(frozen_);
  NodeRef node = require_path(base, path);
  NodeRef parent = node->parent();
  if (!parent) throw PathError(ErrorCode::kNotFound, "delete(): '" + std::string(path) + "' was removed meanwhile", std::string(path));
  return remove_child(*parent, *node);
}

bool Tree::add_under(Node& parent, const std::vector<std::string_view>& names, std::size_t from, std::size_t to,
                     Node& leaf, uint64_t* version) {
  require_structured(parent, "add children to");
  check_member_write(parent, names[from], type::kObject, true);
  // The chain of objects names[from..to), built detached with the leaf at its bottom.
  std::vector<NodeRef> chain;
  for (std::size_t i = from; i < to; ++i) chain.push_back(create_node(names[i], type::kObject));
  Note note;
  if (feed() != FeedLevel::kOff && parent.in_tree()) {
    // the event is at the path written: the chain's names below its top, then the leaf's
    std::string suffix = joined(names, from + 1, to);
    if (!suffix.empty()) suffix += '/';
    suffix += leaf.name();
    note.path_suffix = std::move(suffix);
    set_event_json(note.value, note.value_omitted, leaf);
    if (feed() == FeedLevel::kRecords) {
      // the chain's record form, written around the leaf's: the chain is not linked yet
      note.record = "{\"o\":\"add\",\"p\":" + std::to_string(parent.id()) + ",\"n\":";
      for (const NodeRef& link : chain) {
        note.record += "{\"name\":";
        append_json_string(note.record, link->name());
        note.record += ",\"type\":\"object\",\"id\":" + std::to_string(link->id()) + ",\"children\":[";
      }
      append_json(note.record, leaf, JsonFormat::kStore);
      for (std::size_t i = 0; i < chain.size(); ++i) note.record += "]}";
      note.record += '}';
    }
  }
  TinyLockGuard lock(parent.lock_);
  ChildList* list = parent.children_of(std::memory_order_relaxed);
  if (list && list->find_name(chain.front()->name(), chain.front()->name_hash(), list->count()) >= 0) {
    return false;  // another writer made it meanwhile: the caller walks again
  }
  // Linked bottom up: every node below the top is private until the top is linked.
  Node* below = &leaf;
  for (std::size_t i = chain.size(); i-- > 0;) {
    link_child(*chain[i], *below, nullptr);
    below = chain[i].get();
  }
  std::vector<Node*> linked;
  link_child(parent, *chain.front(), &linked);
  if (linked.empty()) {
    *version = this->version();
    return true;
  }
  *version = commit(*chain.front(), ChangeOp::kAdd, chain.front()->id(), note, 0);
  for (Node* n : linked) stamp(*n, *version);
  return true;
}

// --- leaf values ------------------------------------------------------------------------

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

uint64_t Tree::write_value(Node& node, Value value, uint64_t at) {
  const FeedLevel level = feed();
  const bool noting = level != FeedLevel::kOff && node.in_tree();
  Value old = store_value(node, std::move(value), noting);
  Note note;
  if (noting) {
    Value now = node.value();  // the node's lock is held: what was just stored
    set_event_json(note.value, note.value_omitted, value_json(now, JsonFormat::kPlain));
    set_event_json(note.old_value, note.old_value_omitted, value_json(old, JsonFormat::kPlain));
    if (level == FeedLevel::kRecords) {
      note.record = "{\"o\":\"set\",\"i\":" + std::to_string(node.id()) + ",\"x\":" + value_json(now, JsonFormat::kTyped) + "}";
    }
  }
  return commit(node, ChangeOp::kSet, node.id(), note, at);
}

uint64_t Tree::set_value(Node& node, const Value& value, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  require_leaf(node);
  Value converted = convert(value, node.type_);
  TinyLockGuard lock(node.lock_);
  return write_value(node, std::move(converted), at);
}

Value Tree::increment(Node& node, const Value& by, uint64_t* version) {
  epoch::WriterScope writing(frozen_);
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
  uint64_t v = write_value(node, next, 0);
  if (version) *version = v;
  return next;
}

bool Tree::compare_and_set(Node& node, const Value& expected, const Value& desired, Value* current,
                           uint64_t* version) {
  epoch::WriterScope writing(frozen_);
  require_leaf(node);
  Value converted = convert(desired, node.type_);
  TinyLockGuard lock(node.lock_);
  Value now = node.value();
  bool equal = compare(now, expected) == Ordering::kEqual;
  if (equal) {
    uint64_t v = write_value(node, converted, 0);
    if (version) *version = v;
  }
  if (current) *current = equal ? converted : now;
  return equal;
}

bool Tree::set_if_zero(Node& node, const Value& desired, Value* current, uint64_t* version) {
  epoch::WriterScope writing(frozen_);
  require_leaf(node);
  Value converted = convert(desired, node.type_);
  TinyLockGuard lock(node.lock_);
  Value now = node.value();
  bool zero = now.is_zero();
  if (zero) {
    uint64_t v = write_value(node, converted, 0);
    if (version) *version = v;
  }
  if (current) *current = zero ? converted : now;
  return zero;
}

uint64_t Tree::update_value(Node& node, const std::function<Value(const Value&)>& update) {
  epoch::WriterScope writing(frozen_);
  require_leaf(node);
  TinyLockGuard lock(node.lock_);
  Value next = convert(update(node.value()), node.type_);
  return write_value(node, std::move(next), 0);
}

// --- nonces -----------------------------------------------------------------------------

uint64_t Tree::nonce_of(std::string_view key) const {
  std::lock_guard lock(nonces_mutex_);
  auto found = nonces_.find(key);
  return found == nonces_.end() ? 0 : found->second;
}

bool Tree::accept_nonce(std::string_view key, uint64_t nonce, std::string_view path, uint64_t at) {
  epoch::WriterScope writing(frozen_);
  if (key.empty()) fail(ErrorCode::kInvalidArgument, "a nonce needs the key it is of");
  // held through the commit, so that acceptances of one key enter the feed in the order taken
  std::lock_guard lock(nonces_mutex_);
  auto found = nonces_.find(key);
  if (found != nonces_.end() && found->second >= nonce) return false;
  nonces_.insert_or_assign(std::string(key), nonce);
  Note note;
  note.path_suffix = path;
  note.stamps = false;  // no node changed
  if (feed() == FeedLevel::kRecords) {
    note.record = "{\"o\":\"nonce\",\"k\":";
    append_json_string(note.record, key);
    note.record += ",\"n\":" + std::to_string(nonce) + "}";
  }
  commit(*root_, ChangeOp::kNonce, kRootId, note, at);
  return true;
}

std::string Tree::nonces_json() const {
  std::lock_guard lock(nonces_mutex_);
  std::string out = "{";
  for (const auto& [key, nonce] : nonces_) {
    if (out.size() > 1) out += ',';
    append_json_string(out, key);
    out += ':' + std::to_string(nonce);
  }
  return out + '}';
}

// --- schemas ----------------------------------------------------------------------------

namespace {

// Runs check() against parent's schema, if it has one, rethrowing with parent's path.
template <class Check>
void with_schema(TypeSchemas& schemas, const Node& parent, Check check) {
  if (!is_user_type(parent.type())) return;
  SchemaSnapshot snapshot = schemas.snapshot();
  const TypeSchema* schema = snapshot.find(parent.type());
  if (!schema) return;
  try {
    check(*schema);
  } catch (const Error& e) {
    std::string path = parent.path();
    throw PathError(e.code(), "'" + path + "': " + e.what(), path);
  }
}

}  // namespace

void Tree::check_member_write(const Node& parent, std::string_view name, TypeId type, bool adding) {
  with_schema(schemas_, parent, [&](const TypeSchema& schema) {
    schema.check_member(name, type);
    if (adding && schema.member(name) && parent.child(name)) {
      fail(ErrorCode::kTypeMismatch, "a " + schema.name + " has one member '" + std::string(name) +
                                         "' and this one has it already; set it instead");
    }
  });
}

void Tree::check_member_removal(const Node& parent, std::string_view name) {
  with_schema(schemas_, parent, [&](const TypeSchema& schema) { schema.check_removal(name); });
}

}  // namespace grove
