// Typed values beyond the leaf basics: SIMD array views and kernels, exact conversion of
// a value to a type, content hashes, and application type schemas.
#include <algorithm>

#include "addon.h"
#include "grove/array_ops.h"
#include "grove/chain.h"
#include "grove/error.h"
#include "grove/json.h"
#include "grove/plot.h"
#include "grove/simd.h"
#include "js_values.h"

namespace grove::bindings {
namespace {

Value array_of(const NodeTarget& target, const char* function) {
  if (type_info(target.node.type()).storage != Storage::kArray) {
    fail(ErrorCode::kTypeMismatch, std::string(function) + "(): '" + target.node.path() + "' is a " +
                                       type_name(target.node.type()) +
                                       " node; it works on f32array, f64array, i32array, i16array and u8array nodes");
  }
  return target.node.value();  // holds the buffer: no pin is needed while the kernel runs
}

}  // namespace

// arrayView(node) → a TypedArray over the node's current buffer (zero-copy where allowed)
Napi::Value Addon::ArrayView(const Napi::CallbackInfo& info) {
  NodeTarget target = NodeOf(Args(info, "view", 1), 0);
  return array_views_.view(info.Env(), array_of(target, "view"));
}

// arrayReduce(node, op) → sum (0), min (1) or max (2) of the node's elements
Napi::Value Addon::ArrayReduce(const Napi::CallbackInfo& info) {
  Args args(info, "reduce", 1);
  uint64_t op = args.index(1, "op");
  NodeTarget target = NodeOf(args, 0);
  Value x = array_of(target, op == 0 ? "sum" : op == 1 ? "min" : "max");
  return value_to_js(info.Env(), op == 0 ? array_sum(x) : op == 1 ? array_min(x) : array_max(x));
}

// arrayDot(node, other) → the dot product of two arrays of one type and length
Napi::Value Addon::ArrayDot(const Napi::CallbackInfo& info) {
  Args args(info, "dot", 1);
  NodeTarget x = NodeOf(args, 0);
  NodeTarget y = NodeOf(args, 1);
  return value_to_js(info.Env(), array_dot(array_of(x, "dot"), array_of(y, "dot")));
}

// arrayScale(node, a) → version: the node's array becomes a * itself, in one step
Napi::Value Addon::ArrayScale(const Napi::CallbackInfo& info) {
  Args args(info, "scale", 1);
  Value a = args.value(1, "the factor");
  NodeTarget target = NodeOf(args, 0);
  array_of(target, "scale");
  return u64_to_js(info.Env(), target.tree.update_value(target.node, [&](const Value& y) { return array_scale(a, y); }));
}

// arrayAxpy(node, a, x) → version: the node's array y becomes a * x + y, in one step
Napi::Value Addon::ArrayAxpy(const Napi::CallbackInfo& info) {
  Args args(info, "axpy", 1);
  Value a = args.value(1, "the factor");
  NodeTarget y = NodeOf(args, 0);
  Value x = array_of(NodeOf(args, 2), "axpy");
  array_of(y, "axpy");
  return u64_to_js(info.Env(), y.tree.update_value(y.node, [&](const Value& current) { return array_axpy(a, x, current); }));
}

// arrayResize(node, length) → version: the first `length` elements, zero-filled past the end
Napi::Value Addon::ArrayResize(const Napi::CallbackInfo& info) {
  Args args(info, "resize", 1);
  uint64_t length = args.index(1, "the length");
  NodeTarget target = NodeOf(args, 0);
  array_of(target, "resize");
  return u64_to_js(info.Env(), target.tree.update_value(target.node, [&](const Value& x) { return array_resized(x, length); }));
}

// nodeEnvelope(node, from, to?, buckets) → { total, from, to, plotted, skipped, starts, low, high }
// (grove/plot.h; the three lists as Float64Arrays, NaN where a run holds no number)
Napi::Value Addon::NodeEnvelope(const Napi::CallbackInfo& info) {
  Args args(info, "plot", 1);
  uint64_t from = args.index(1, "from");
  uint64_t to = args.has(2) ? args.index(2, "to") : UINT64_MAX;
  // past the limit stays past it, for the core to refuse
  auto buckets = static_cast<uint32_t>(std::min<uint64_t>(args.index(3, "buckets"), uint64_t{kMaxEnvelopeBuckets} + 1));
  NodeTarget target = NodeOf(args, 0);
  Envelope envelope = envelope_of(target.node, from, to, buckets);
  Napi::Env env = info.Env();
  auto numbers = [&](auto&& values) {
    Napi::Float64Array out = Napi::Float64Array::New(env, values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<double>(values[i]);
    return out;
  };
  Napi::Object out = Napi::Object::New(env);
  out.Set("total", u64_to_js(env, envelope.total));
  out.Set("from", u64_to_js(env, envelope.from));
  out.Set("to", u64_to_js(env, envelope.to));
  out.Set("plotted", u64_to_js(env, envelope.plotted));
  out.Set("skipped", u64_to_js(env, envelope.skipped));
  out.Set("starts", numbers(envelope.starts));
  out.Set("low", numbers(envelope.low));
  out.Set("high", numbers(envelope.high));
  return out;
}

// arrayStats() → { buffers: array buffers alive in the process, views: this thread's zero-copy ArrayBuffers, isa }
Napi::Value Addon::ArrayStats(const Napi::CallbackInfo& info) {
  Napi::Object stats = Napi::Object::New(info.Env());
  stats.Set("buffers", Napi::Number::New(info.Env(), static_cast<double>(ArrayData::live())));
  stats.Set("views", Napi::Number::New(info.Env(), static_cast<double>(array_views_.live())));
  stats.Set("isa", Napi::String::New(info.Env(), simd::isa_name(simd::best_isa())));
  return stats;
}

// convertValue(value, typeId) → the value converted exactly to the type, as JavaScript
Napi::Value Addon::ConvertValue(const Napi::CallbackInfo& info) {
  Args args(info, "convert");
  Value value = args.value(0, "the value");
  TypeId type = args.type_id(1);
  if (type_info(type).structured) {
    fail(ErrorCode::kTypeMismatch, "convert(): " + type_name(type) + " nodes hold children, not a value");
  }
  return value_to_js(info.Env(), convert(value, type));
}

// nodeHash(node) → the content hash (grove/json.h) as 64 hex digits
Napi::Value Addon::NodeHash(const Napi::CallbackInfo& info) {
  NodeTarget target = NodeOf(Args(info, "hash", 1), 0);
  Digest digest = content_hash(target.node);
  std::string_view bytes(reinterpret_cast<const char*>(digest.data()), digest.size());
  return Napi::String::New(info.Env(), chain::to_hex(bytes));
}

// registerType(tree, id, name, members, open): members is [name, typeId, queryId, required, ...]
// (typeId 0: inferred); registers the member schema for every thread of the tree.
Napi::Value Addon::RegisterType(const Napi::CallbackInfo& info) {
  constexpr uint32_t kStride = 4;
  Args args(info, "registerType");
  TypeSchema schema{args.type_id(1), args.string(2, "the name"), {}, args.boolean(4, "open")};
  if (!info[3].IsArray()) args.fail_type(3, "the members", "an array");
  Napi::Array members = info[3].As<Napi::Array>();
  if (members.Length() % kStride != 0) fail(ErrorCode::kInvalidArgument, "registerType(): members come in fours");
  for (uint32_t i = 0; i < members.Length(); i += kStride) {
    Napi::Value name = members.Get(i), type = members.Get(i + 1), query = members.Get(i + 2), required = members.Get(i + 3);
    if (!name.IsString() || !type.IsNumber() || !query.IsNumber() || !required.IsBoolean()) {
      fail(ErrorCode::kInvalidArgument, "registerType(): member " + std::to_string(i / kStride) +
                                            " must be a name, a type id, a query id and a boolean");
    }
    std::string member = string_from_js(info.Env(), name, "registerType(): a member name");
    validate_name(member);
    auto id = static_cast<TypeId>(type.As<Napi::Number>().Int64Value());
    if (id != 0) type_info(id);  // refuses an unknown type id
    auto query_id = static_cast<TypeId>(query.As<Napi::Number>().Int64Value());
    schema.members.push_back({member, id, query_id, required.As<Napi::Boolean>()});
  }
  handles_.tree(args.handle(0)).tree.schemas().add(std::move(schema));
  return info.Env().Undefined();
}

}  // namespace grove::bindings
