// Node reads: properties, values, navigation and snapshots. None of them locks: the core
// pins the epoch inside each call.
#include "addon.h"
#include "js_errors.h"
#include "js_values.h"

namespace grove::bindings {
namespace {

// A path argument as UTF-8 in a stack buffer. napi_get_value_string_utf16 copies the
// string's code units as they are, which costs less than V8's UTF-8 encoder; ASCII (nearly
// every path) is then narrowed in a loop, and anything else encoded here. read() is false
// for a path that might not fit, holds a lone surrogate (the general path refuses it) or is
// no string.
class PathBuffer {
 public:
  bool read(napi_env env, napi_value value) {
    std::size_t count = 0;
    if (napi_get_value_string_utf16(env, value, units_, kUnits, &count) != napi_ok || count + 1 >= kUnits) return false;
    std::size_t i = 0;
    for (; i < count && units_[i] < 0x80; ++i) bytes_[i] = static_cast<char>(units_[i]);
    size_ = i;
    for (; i < count; ++i) {
      uint32_t c = units_[i];
      bool high = c >= 0xD800 && c <= 0xDBFF, low = c >= 0xDC00 && c <= 0xDFFF;
      if (high && i + 1 < count && units_[i + 1] >= 0xDC00 && units_[i + 1] <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (units_[++i] - 0xDC00);
      } else if (high || low) {
        return false;
      }
      put(c);
    }
    return true;
  }
  std::string_view view() const { return {bytes_, size_}; }

 private:
  void put(uint32_t c) {
    auto byte = [this](uint32_t b) { bytes_[size_++] = static_cast<char>(b); };
    if (c < 0x80) {
      byte(c);
    } else if (c < 0x800) {
      byte(0xC0 | c >> 6), byte(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      byte(0xE0 | c >> 12), byte(0x80 | (c >> 6 & 0x3F)), byte(0x80 | (c & 0x3F));
    } else {
      byte(0xF0 | c >> 18), byte(0x80 | (c >> 12 & 0x3F)), byte(0x80 | (c >> 6 & 0x3F)), byte(0x80 | (c & 0x3F));
    }
  }

  static constexpr std::size_t kUnits = 256;
  char16_t units_[kUnits];
  char bytes_[3 * kUnits];  // a unit takes at most 3 bytes (a surrogate pair, 4 for 2 units)
  std::size_t size_ = 0;
};

}  // namespace

// nodeId(node) → number (BigInt beyond 2^53)
Napi::Value Addon::NodeId(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  return u64_to_js(info.Env(), NodeOf(Args(info, "id", 1), 0, &pin).node.id());
}

// nodeName(node) → string
Napi::Value Addon::NodeName(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  std::string_view name = NodeOf(Args(info, "name", 1), 0, &pin).node.name();
  return Napi::String::New(info.Env(), name.data(), name.size());
}

// nodeType(node) → type id
Napi::Value Addon::NodeType(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  return Napi::Number::New(info.Env(), NodeOf(Args(info, "type", 1), 0, &pin).node.type());
}

// nodeVersion(node) → the version that last changed the node or anything under it
Napi::Value Addon::NodeVersion(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  return u64_to_js(info.Env(), NodeOf(Args(info, "version", 1), 0, &pin).node.version());
}

// nodePath(node) → names from the root joined by '/'
Napi::Value Addon::NodePath(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  return Napi::String::New(info.Env(), NodeOf(Args(info, "path", 1), 0, &pin).node.path());
}

// childCount(node) → number
Napi::Value Addon::ChildCount(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  std::size_t count = NodeOf(Args(info, "childCount", 1), 0, &pin).node.child_count();
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

// value(node) → the leaf value (null for structured nodes)
Napi::Value Addon::GetValue(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  return value_to_js(info.Env(), NodeOf(Args(info, "value", 1), 0, &pin).node.value());
}

// valueAs(node, typeId) → the value converted exactly, or TypeMismatch
Napi::Value Addon::ValueAs(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "as", 1);
  TypeId type = args.type_id(1);
  type_info(type);  // refuses an unknown type id with InvalidArgument
  return value_to_js(info.Env(), NodeOf(args, 0, &pin).node.value_as(type));
}

// valueAt(node, path) → the leaf value at `path`, in one call
Napi::Value Addon::ValueAt(const Napi::CallbackInfo& info) {
  Args args(info, "value", 1);
  std::string path = args.string(1, "the path");
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  return ReadValueAt(info.Env(), NodeOf(args, 0, &pin).node, path);
}

// The hottest reads skip node-addon-api's dispatch: `fast` reads the raw arguments and
// returns the result, or null for anything out of the ordinary (a wrong argument, a path
// that might not fit), which goes to `slow`, which decodes and reports errors like every
// other function.
template <std::size_t N, class Fast>
napi_value Addon::RawRead(napi_env env, napi_callback_info info, Fast fast, Method slow) {
  std::size_t argc = N;
  napi_value argv[N];
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);  // missing arguments read as undefined
  auto* self = static_cast<Addon*>(data);
  try {
    double tree = 0, ref = 0;
    if (napi_get_value_double(env, argv[0], &tree) == napi_ok && napi_get_value_double(env, argv[1], &ref) == napi_ok) {
      epoch::Guard pin;  // the node, looked up by id, stays readable for the call
      if (napi_value result = fast(*self, argv, [&] { return self->NodeOf(tree, ref, &pin); })) return result;
    }
    return (self->*slow)(Napi::CallbackInfo(env, info));
  } catch (...) {
    self->ThrowCurrentException(Napi::Env(env));
    return nullptr;
  }
}

// valueAt(tree, node, path), the hottest read of all: the path decoded into a stack buffer
// (no length query, no std::string).
napi_value Addon::ValueAtFast(napi_env env, napi_callback_info info) {
  return RawRead<3>(env, info, [env](Addon& self, napi_value* argv, auto target) -> napi_value {
    PathBuffer path;
    if (!path.read(env, argv[2])) return nullptr;
    return self.ReadValueAt(Napi::Env(env), target().node, path.view());
  }, &Addon::ValueAt);
}

// childAt(tree, node, index), the hop of every walk by index.
napi_value Addon::ChildAtFast(napi_env env, napi_callback_info info) {
  return RawRead<3>(env, info, [env](Addon& self, napi_value* argv, auto target) -> napi_value {
    double index = -1;
    if (napi_get_value_double(env, argv[2], &index) != napi_ok || !(index >= 0 && index < 4294967296.0) ||
        static_cast<double>(static_cast<uint32_t>(index)) != index) {
      return nullptr;
    }
    NodeTarget node = target();
    return self.NodeOrUndefined(Napi::Env(env), node.tree_slot, node.node.child_at_pinned(static_cast<uint32_t>(index)));
  }, &Addon::ChildAt);
}

// lookup(tree, node, path, required), what tree.node(path) calls: the path as valueAt's.
napi_value Addon::LookupFast(napi_env env, napi_callback_info info) {
  return RawRead<4>(env, info, [env](Addon& self, napi_value* argv, auto target) -> napi_value {
    bool required = false;
    PathBuffer path;
    if (napi_get_value_bool(env, argv[3], &required) != napi_ok || !path.read(env, argv[2])) return nullptr;
    return self.FoundOrUndefined(Napi::Env(env), target(), path.view(), required);
  }, &Addon::Lookup);
}

Napi::Value Addon::ReadValueAt(Napi::Env env, const Node& base, std::string_view path) {
  Node::PathRead read = base.read_path(path);
  if (!read.found) {
    NodeRef node = require_path(base, path);  // throws, saying which name is missing
    read = {true, node->type(), node->value()};  // unless the node appeared meanwhile
  }
  if (read.value.type == type::kNull && type_info(read.type).structured) {  // only a node without a value can be
    throw PathError(ErrorCode::kTypeMismatch, "'" + std::string(path) + "' is a node of type " +
                                                  type_name(read.type) +
                                                  ": it holds children, not a value; read it with get()",
                    std::string(path));
  }
  return value_to_js(env, read.value);
}

// lookup(node, path, required) → node handle, or undefined (NotFound when required)
Napi::Value Addon::Lookup(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "lookup", 1);
  std::string path = args.string(1, "the path");
  bool required = args.has(2) && args.boolean(2, "required");
  return FoundOrUndefined(info.Env(), NodeOf(args, 0, &pin), path, required);
}

Napi::Value Addon::FoundOrUndefined(Napi::Env env, const NodeTarget& target, std::string_view path, bool required) {
  Node* node = target.node.find_path_pinned(path);
  NodeRef appeared;  // unless the node appeared meanwhile, require_path throws, saying which name is missing
  if (!node && required) node = (appeared = require_path(target.node, path)).get();
  return NodeOrUndefined(env, target.tree_slot, node);
}

// parent(node) → node handle or undefined
Napi::Value Addon::Parent(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  NodeTarget target = NodeOf(Args(info, "parent", 1), 0, &pin);
  return NodeOrUndefined(info.Env(), target.tree_slot, target.node.parent().get());
}

// ancestor(node, typeId) → the nearest ancestor of the type, or undefined
Napi::Value Addon::Ancestor(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "ancestor", 1);
  TypeId type = args.type_id(1);
  NodeTarget target = NodeOf(args, 0, &pin);
  return NodeOrUndefined(info.Env(), target.tree_slot, target.node.ancestor_of_type(type).get());
}

// childByName(node, name) → the first child of that name, or undefined
Napi::Value Addon::ChildByName(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "child", 1);
  std::string name = args.string(1, "the name");
  NodeTarget target = NodeOf(args, 0, &pin);
  return NodeOrUndefined(info.Env(), target.tree_slot, target.node.child_pinned(name));
}

// childAt(node, index) → node handle or undefined
Napi::Value Addon::ChildAt(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "child", 1);
  uint64_t index = args.index(1, "the index");
  NodeTarget target = NodeOf(args, 0, &pin);
  return NodeOrUndefined(info.Env(), target.tree_slot, target.node.child_at_pinned(index));
}

// childOfType(node, typeId) → the first child matching the type, or undefined
Napi::Value Addon::ChildOfType(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "childOfType", 1);
  TypeId type = args.type_id(1);
  NodeTarget target = NodeOf(args, 0, &pin);
  return NodeOrUndefined(info.Env(), target.tree_slot, target.node.child_of_type(type).get());
}

// childById(node, id) → node handle or undefined
Napi::Value Addon::ChildById(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Args args(info, "childById", 1);
  uint64_t id = args.id(1);
  NodeTarget target = NodeOf(args, 0, &pin);
  return NodeOrUndefined(info.Env(), target.tree_slot, target.node.child_by_id(id).get());
}

// children(node) → [node handle, ...] as the list was at the call
Napi::Value Addon::Children(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Napi::Env env = info.Env();
  NodeTarget target = NodeOf(Args(info, "children", 1), 0, &pin);
  Snapshot snapshot = target.node.children();
  Napi::Array out = Napi::Array::New(env, snapshot.size());
  for (uint32_t i = 0; i < snapshot.size(); ++i) {
    out.Set(i, Napi::Number::New(env, RefOf(target.tree_slot, *snapshot.at(i))));
  }
  return out;
}

// listChildren(node, offset, limit) → [total, name, typeId, id, childCount, version, name, ...]:
// one page of a child list described in one call, without a handle per child.
Napi::Value Addon::ListChildren(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Napi::Env env = info.Env();
  Args args(info, "listChildren", 1);
  uint64_t offset = args.index(1, "offset");
  uint64_t limit = args.index(2, "limit");
  NodeTarget target = NodeOf(args, 0, &pin);
  Snapshot snapshot = target.node.children();
  uint64_t end = std::min<uint64_t>(snapshot.size(), offset + std::min<uint64_t>(limit, snapshot.size()));
  Napi::Array out = Napi::Array::New(env);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(snapshot.size())));
  uint32_t at = 1;
  for (uint64_t i = offset; i < end; ++i) {
    const Node& child = *snapshot.at(i);
    out.Set(at++, Napi::String::New(env, child.name().data(), child.name().size()));
    out.Set(at++, Napi::Number::New(env, child.type()));
    out.Set(at++, u64_to_js(env, child.id()));
    out.Set(at++, Napi::Number::New(env, static_cast<double>(child.child_count())));
    out.Set(at++, u64_to_js(env, child.version()));
  }
  return out;
}

// subtreeSize(node) → the number of nodes at and under it
Napi::Value Addon::SubtreeSize(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  NodeTarget target = NodeOf(Args(info, "subtreeSize", 1), 0, &pin);
  return Napi::Number::New(info.Env(), static_cast<double>(target.node.subtree_size()));
}

// find(node, member, op, value, byCount, typeId, limit) → [node handle, ...]
// op: 0 =, 1 !=, 2 <, 3 >, 4 <=, 5 >=; limit: a count, or -1 for no limit.
Napi::Value Addon::Find(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  Napi::Env env = info.Env();
  Args args(info, "find", 1);
  std::string member = args.string(1, "member");
  uint64_t op = args.index(2, "op");
  if (op > static_cast<uint64_t>(Compare::kGe)) fail(ErrorCode::kInvalidArgument, "find(): op must be 0..5");
  Value operand = args.value(3, "value");
  bool by_count = args.boolean(4, "byCount");
  TypeId type = args.type_id(5);
  bool unlimited = Napi::Value(info.Env(), args[6]).IsNumber() && Napi::Value(info.Env(), args[6]).As<Napi::Number>().DoubleValue() == -1;
  std::size_t limit = unlimited ? SIZE_MAX : args.index(6, "limit");
  NodeTarget target = NodeOf(args, 0, &pin);
  MemberQuery query{member, static_cast<Compare>(op), std::move(operand), by_count, type, limit};
  std::vector<NodeRef> found = target.node.find(query);
  Napi::Array out = Napi::Array::New(env, found.size());
  for (uint32_t i = 0; i < found.size(); ++i) {
    out.Set(i, Napi::Number::New(env, RefOf(target.tree_slot, *found[i])));
  }
  return out;
}

// snapshot(node) → snapshot handle: the child list as it is now, kept until released
Napi::Value Addon::TakeSnapshot(const Napi::CallbackInfo& info) {
  epoch::Guard pin;  // the node, looked up by id, stays readable for the call
  NodeTarget target = NodeOf(Args(info, "snapshot", 1), 0, &pin);
  return Napi::Number::New(info.Env(), handles_.add_snapshot(target.tree_slot, target.node.children()));
}

// snapshotSize(snapshot) → number of children
Napi::Value Addon::SnapshotSize(const Napi::CallbackInfo& info) {
  const Snapshot& snapshot = handles_.snapshot(Args(info, "snapshotSize").handle(0)).snapshot;
  return Napi::Number::New(info.Env(), static_cast<double>(snapshot.size()));
}

// snapshotBatch(snapshot, from, backward, refs) → names joined by '/' (which no name holds;
// '' when none are left): from index `from` on, going back with `backward`, the references
// of as many children as `refs` (a Float64Array) holds or are left, and their names. One call
// per batch of a child iteration, and one string: a string per name cost more than the rest.
Napi::Value Addon::SnapshotBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "snapshotBatch");
  uint64_t from = args.index(1, "from");
  bool backward = args.boolean(2, "backward");
  napi_typedarray_type kind;
  std::size_t capacity = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, args[3], &kind, &capacity, &data, nullptr, nullptr) != napi_ok ||
      kind != napi_float64_array) {
    args.fail_type(3, "refs", "a Float64Array");
  }
  SnapshotTarget target = handles_.snapshot(args.handle(0));
  std::size_t size = target.snapshot.size();
  std::size_t count = from >= size ? 0 : std::min<std::size_t>(capacity, backward ? from + 1 : size - from);
  // The children first: RefOf may add handles, which can move the table's slots (the
  // snapshot among them; the children stay where they are, held by its list).
  // Prefetched as they are collected: the reads below then wait for a batch of cache
  // misses at once, not for each child's in turn.
  std::vector<Node*> children(count);
  for (std::size_t k = 0; k < count; ++k) {
    children[k] = target.snapshot.at(backward ? from - k : from + k);
    __builtin_prefetch(children[k]);
  }
  auto* refs = static_cast<double*>(data);
  std::string names;
  for (std::size_t k = 0; k < count; ++k) {
    refs[k] = RefOf(target.tree_slot, *children[k]);
    if (k != 0) names += '/';
    names += children[k]->name();
  }
  return Napi::String::New(env, names);
}

}  // namespace grove::bindings
