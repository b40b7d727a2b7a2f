#include "grove/node.h"

#include <algorithm>
#include <array>
#include <string>

#include "child_list.h"
#include "grove/epoch.h"
#include "grove/error.h"

namespace grove {
namespace {

constexpr std::size_t kMaxNameBytes = 255;

}  // namespace

NodeRef::NodeRef(const NodeRef& other) noexcept : node_(other.node_) {
  if (node_) node_->retain();
}

NodeRef::~NodeRef() {
  if (node_) node_->release();
}

NodeRef NodeRef::share(Node* node) noexcept {
  if (node) node->retain();
  return NodeRef(node);
}

Snapshot& Snapshot::operator=(Snapshot&& other) noexcept {
  std::swap(list_, other.list_);
  std::swap(count_, other.count_);
  return *this;
}

Snapshot::~Snapshot() {
  if (list_) list_->release();
}

Node* Snapshot::at(std::size_t i) const noexcept { return list_->at(static_cast<uint32_t>(i)); }

Node::Node(uint64_t id, std::string_view name, TypeId type)
    : type_(type),
      name_hash_(grove::name_hash(name)),
      structured_(type_info(type).structured),
      id_(id),
      name_len_(static_cast<uint8_t>(name.size())) {
  std::copy(name.begin(), name.end(), name_);
}

Node::~Node() = default;

void Node::retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

void Node::release() const noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;  // pairs with other releasers
  // Nothing counted refers to this node any more, but pinned readers may still reach it,
  // also through its children's parent links: cut those, then free after a grace period.
  Node* self = const_cast<Node*>(this);
  if (ChildList* list = children_of(std::memory_order_acquire)) {
    for (uint32_t i = 0, n = list->count(); i < n; ++i) {
      Node* expected = self;
      list->at(i)->parent_.compare_exchange_strong(expected, nullptr, std::memory_order_release);
    }
  }
  epoch::retire(self, &Node::destroy);
}

void Node::destroy(void* p) {
  auto* node = static_cast<Node*>(p);
  if (ChildList* list = node->children_of(std::memory_order_relaxed)) list->release();
  if (type_info(node->type_).storage == Storage::kBlob) {
    delete reinterpret_cast<const std::string*>(node->word_.load(std::memory_order_relaxed));
  }
  if (type_info(node->type_).storage == Storage::kArray) {
    if (auto* array = reinterpret_cast<const ArrayData*>(node->word_.load(std::memory_order_relaxed))) array->release();
  }
  node->~Node();
  ::operator delete(node);
}

Value Node::value() const {
  const TypeInfo& t = type_info(type_);
  switch (t.storage) {
    case Storage::kNone:
      return Value::null();
    case Storage::kInline:
      return {type_, word_.load(std::memory_order_acquire), {}};  // pairs with Tree's release stores
    case Storage::kBlob: {
      epoch::Guard pin;
      auto* blob = reinterpret_cast<const std::string*>(word_.load(std::memory_order_acquire));
      return blob ? Value{type_, 0, *blob, {}} : zero_value(type_);
    }
    case Storage::kArray: {
      epoch::Guard pin;
      // Pairs with Tree's release store; the node's own reference outlives the pin.
      auto* array = reinterpret_cast<const ArrayData*>(word_.load(std::memory_order_acquire));
      return Value::array_of(type_, ArrayRef::share(array));
    }
  }
  return Value::null();
}

Value Node::value_as(TypeId type) const {
  if (type_info(type_).structured) {
    fail(ErrorCode::kTypeMismatch, "cannot read " + type_name(type_) + " node '" + std::string(name()) +
                                       "' as " + type_name(type) + ": it holds children, not a value");
  }
  return convert(value(), type);
}

std::size_t Node::child_count() const noexcept {
  epoch::Guard pin;
  ChildList* list = children_of(std::memory_order_acquire);  // pairs with Tree's publish
  return list ? list->count() : 0;
}

uint64_t Node::subtree_size() const {
  epoch::Guard pin;  // one pin for the walk: every list loaded under it stays readable
  uint64_t count = 0;
  std::vector<const Node*> pending{this};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    ++count;
    ChildList* list = node->children_of(std::memory_order_acquire);
    for (uint32_t i = 0, n = list ? list->count() : 0; i < n; ++i) pending.push_back(list->at(i));
  }
  return count;
}

Snapshot Node::children() const {
  epoch::Guard pin;
  Snapshot snap;
  if (ChildList* list = children_of(std::memory_order_acquire)) {  // pairs with Tree's publish
    list->retain();  // safe: the node's own reference is dropped only after a grace period
    snap.list_ = list;
    snap.count_ = list->count();
  }
  return snap;
}

Node* Node::child_at_pinned(std::size_t index) const {
  ChildList* list = children_of(std::memory_order_acquire);  // pairs with Tree's publish
  if (!list || index >= list->count()) return nullptr;
  return list->at(static_cast<uint32_t>(index));
}

Node* Node::child_pinned(std::string_view name) const {
  ChildList* list = children_of(std::memory_order_acquire);  // pairs with Tree's publish
  return list ? list->child_named(name, list->count()) : nullptr;
}

NodeRef Node::child_at(std::size_t index) const {
  epoch::Guard pin;
  return NodeRef::share(child_at_pinned(index));
}

NodeRef Node::child(std::string_view name) const {
  epoch::Guard pin;
  return NodeRef::share(child_pinned(name));
}

NodeRef Node::child_of_type(TypeId query) const {
  epoch::Guard pin;
  ChildList* list = children_of(std::memory_order_acquire);
  for (uint32_t i = 0, n = list ? list->count() : 0; i < n; ++i) {
    if (type_matches(list->at(i)->type(), query)) return NodeRef::share(list->at(i));
  }
  return {};
}

NodeRef Node::child_by_id(uint64_t id) const {
  epoch::Guard pin;
  ChildList* list = children_of(std::memory_order_acquire);
  for (uint32_t i = 0, n = list ? list->count() : 0; i < n; ++i) {
    if (list->at(i)->id() == id) return NodeRef::share(list->at(i));
  }
  return {};
}

const Node* Node::walk(std::string_view path) const {
  // A name that matches a child is valid (it equals a name validated when the child was
  // made), so only the name that misses is validated, with the rest of the path: a
  // malformed path is an error whether or not its node exists, and a hit costs no check.
  path = without_root(path);
  const Node* node = this;
  while (!path.empty()) {
    std::size_t slash = 0;  // names are short: an inline scan beats a call to memchr
    while (slash < path.size() && path[slash] != '/') ++slash;
    std::string_view name = path.substr(0, slash);
    if (name.empty()) throw_bad_path("empty name between '/' separators");
    ChildList* list = node->children_of(std::memory_order_acquire);  // pairs with Tree's publish
    node = list ? list->child_named(name, list->count()) : nullptr;
    if (!node) {
      for_each_name(path, [](std::string_view) {});  // throws for a malformed rest
      return nullptr;
    }
    if (slash == path.size()) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) throw_bad_path("a path must not end with '/'");
  }
  return node;
}

NodeRef Node::find_path(std::string_view path) const {
  epoch::Guard pin;
  return NodeRef::share(const_cast<Node*>(walk(path)));
}

Node::PathRead Node::read_path(std::string_view path) const {
  epoch::Guard pin;  // keeps the node (and a blob value) readable without a reference
  const Node* node = walk(path);
  if (!node) return {};
  return {true, node->type_, node->value()};
}

void Node::members_of(const ChildList& list, uint32_t from, uint32_t to, std::string_view member, std::vector<const Node*>& out) {
  const uint32_t hash = grove::name_hash(member);
  out.resize(to - from);
  for (uint32_t i = from; i < to; ++i) {
    if (i + kAhead < to) __builtin_prefetch(list.at(i + kAhead));
    if (i + kAhead / 2 < to) {
      if (ChildList* ahead = list.at(i + kAhead / 2)->children_of(std::memory_order_acquire)) __builtin_prefetch(ahead);
    }
    ChildList* members = list.at(i)->children_of(std::memory_order_acquire);  // pairs with Tree's publish
    out[i - from] = members ? members->child_named(member, hash, members->count()) : nullptr;
  }
}

std::vector<NodeRef> Node::find(const MemberQuery& query) const {
  std::vector<NodeRef> found;
  epoch::Guard pin;
  ChildList* list = children_of(std::memory_order_acquire);
  uint32_t n = list ? list->count() : 0;
  // members read a block at a time, so that a limit reached early stops the reading too
  constexpr uint32_t kBlock = 256;
  std::vector<const Node*> members;
  for (uint32_t i = 0; i < n && found.size() < query.limit; ++i) {
    if (i % kBlock == 0) members_of(*list, i, std::min(n, i + kBlock), query.member, members);
    Node* child = list->at(i);
    if (!type_matches(child->type(), query.child_type)) continue;
    const Node* member = members[i % kBlock];
    if (!member) continue;
    Value actual = query.by_count ? Value::u64(member->child_count()) : member->value();
    Ordering order = compare(actual, query.operand);
    bool match = false;
    switch (query.op) {
      case Compare::kEq: match = order == Ordering::kEqual; break;
      case Compare::kNe: match = order != Ordering::kEqual; break;
      case Compare::kLt: match = order == Ordering::kLess; break;
      case Compare::kGt: match = order == Ordering::kGreater; break;
      case Compare::kLe: match = order == Ordering::kLess || order == Ordering::kEqual; break;
      case Compare::kGe: match = order == Ordering::kGreater || order == Ordering::kEqual; break;
    }
    if (match) found.push_back(NodeRef::share(child));
  }
  return found;
}

NodeRef Node::parent() const {
  epoch::Guard pin;
  return NodeRef(try_retain(parent_.load(std::memory_order_acquire)));  // pairs with Tree's link
}

NodeRef Node::ancestor_of_type(TypeId query) const {
  epoch::Guard pin;
  for (Node* n = parent_.load(std::memory_order_acquire); n; n = n->parent_.load(std::memory_order_acquire)) {
    if (type_matches(n->type(), query)) return NodeRef(try_retain(n));
  }
  return {};
}

std::string Node::path() const {
  epoch::Guard pin;
  std::vector<std::string_view> names;
  for (const Node* n = this; n->parent_.load(std::memory_order_acquire); n = n->parent_.load(std::memory_order_acquire)) {
    names.push_back(n->name());
  }
  std::string out;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

Node* Node::try_retain(Node* node) noexcept {
  if (!node) return nullptr;
  uint32_t refs = node->refs_.load(std::memory_order_relaxed);
  while (refs != 0 && !node->refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_relaxed)) {
  }
  return refs != 0 ? node : nullptr;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto lead = static_cast<unsigned char>(s[i]);
    std::size_t len = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? lead : lead & (0xFF >> (len + 1));
    for (std::size_t k = 1; k < len; ++k) {
      auto cont = static_cast<unsigned char>(s[i + k]);
      if ((cont & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cont & 0x3F);
    }
    bool overlong_or_surrogate = len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF));
    if (overlong_or_surrogate || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    i += len;
  }
  return true;
}

void validate_name(std::string_view name) {
  if (name.empty()) fail(ErrorCode::kInvalidArgument, "invalid name: a name must not be empty");
  if (name.size() > kMaxNameBytes) {
    fail(ErrorCode::kInvalidArgument, "invalid name: " + std::to_string(name.size()) +
                                          " bytes is longer than the limit of 255 bytes");
  }
  if (name == "." || name == "..") {
    fail(ErrorCode::kInvalidArgument, "invalid name '" + std::string(name) + "': '.' and '..' are not names");
  }
  auto hex = [](unsigned byte, const char* digits = "0123456789abcdef") { return std::string{digits[byte >> 4], digits[byte & 15]}; };
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto u = static_cast<unsigned char>(name[i]);
    if (u == '/') fail(ErrorCode::kInvalidArgument, "invalid name '" + std::string(name) + "': '/' separates names in a path");
    if (u < 0x20 || u == 0x7F) fail(ErrorCode::kInvalidArgument, "invalid name: control character 0x" + hex(u) + " is not allowed");
    // C1 controls, U+0080 to U+009F, are 0xC2 0x80 to 0xC2 0x9F in UTF-8
    auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
    if (u == 0xC2 && next >= 0x80 && next <= 0x9F) {
      fail(ErrorCode::kInvalidArgument, "invalid name: C1 control character U+00" + hex(next, "0123456789ABCDEF") + " is not allowed");
    }
  }
  if (!valid_utf8(name)) fail(ErrorCode::kInvalidArgument, "invalid name: not valid UTF-8");
}

namespace {

std::string quoted(std::string_view name) { return std::string("'").append(name).append("'"); }

}  // namespace

NodeRef require_path(const Node& base, std::string_view path) {
  if (NodeRef found = base.find_path(path)) return found;
  // Walk again to say which name is missing (the tree may have changed since; any answer
  // the walk gives was true a moment ago).
  std::string walked;
  NodeRef node = NodeRef::share(const_cast<Node*>(&base));
  for (std::string_view name : split_path(path)) {
    NodeRef next = node->child(name);
    if (!next) {
      std::string under = !walked.empty()       ? quoted(walked)
                          : base.name().empty() ? std::string("the root")
                                                : quoted(base.name());
      throw PathError(ErrorCode::kNotFound, "no node at '" + std::string(path) + "': " + under + " has no child '" +
                                                std::string(name) + "'",
                      std::string(path));
    }
    if (!walked.empty()) walked += '/';
    walked += name;
    node = std::move(next);
  }
  throw PathError(ErrorCode::kNotFound, "no node at '" + std::string(path) + "'", std::string(path));
}

void throw_bad_path(const char* why) { fail(ErrorCode::kInvalidArgument, std::string("invalid path: ") + why); }

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> names;
  for_each_name(path, [&](std::string_view name) { names.push_back(name); });
  return names;
}

namespace {

// Slicing-by-8 tables for the reflected CRC-32 polynomial 0xEDB88320: table[0] is the
// classic byte table, table[k] advances a byte through k more zero bytes, so that eight
// bytes fold into the CRC with eight independent lookups instead of a chain of eight.
constexpr std::array<std::array<uint32_t, 256>, 8> kCrcTables = [] {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}();

// Folds 8 bytes (a little-endian word) into the CRC with eight independent lookups.
uint32_t crc_step(uint32_t crc, uint64_t word) {
  const auto& t = kCrcTables;
  uint32_t low = static_cast<uint32_t>(word) ^ crc, high = static_cast<uint32_t>(word >> 32);
  return t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^
         t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^ t[1][(high >> 16) & 0xFF] ^ t[0][high >> 24];
}

}  // namespace

uint32_t name_hash(std::string_view name) {
  constexpr std::size_t kPadded = 32;  // Nodix hashes names padded with NULs to 32 bytes
  const auto* bytes = reinterpret_cast<const unsigned char*>(name.data());
  std::size_t size = name.size();
  uint32_t crc = 0xFFFFFFFFu;
  std::size_t at = 0;
  for (; at + 8 <= std::max(size, kPadded); at += 8) crc = crc_step(crc, padded_le64(bytes + at, at < size ? size - at : 0));
  for (; at < size; ++at) crc = kCrcTables[0][(crc ^ bytes[at]) & 0xFF] ^ (crc >> 8);  // the tail of a long name
  return crc;  // no final XOR, as in Nodix
}

}  // namespace grove
