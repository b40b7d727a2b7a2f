#include "draft.h"

#include <cmath>

#include "grove/error.h"
#include "js_values.h"

namespace grove::bindings {
namespace {

constexpr int kMaxDepth = 64;  // the path depth limit; also stops cyclic objects

TypeId inferred_type(const Value& v) {
  if (v.type != type::kF64) return v.type;
  double d = v.as_f64();
  bool integral = std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
  return integral ? type::kI64 : type::kF64;
}

}  // namespace

std::string DraftReader::where() const {
  std::string out = "value";
  for (const std::string& key : keys_) out += key;
  return out;
}

Draft DraftReader::read(napi_value value, std::string name, TypeId type) {
  Draft draft;
  draft.name = std::move(name);
  keys_.clear();
  read_into(draft, value, type, 0);
  return draft;
}

void DraftReader::read_into(Draft& draft, napi_value value, TypeId type, int depth) {
  if (depth > kMaxDepth) {
    fail(ErrorCode::kLimitExceeded, std::string(function_) + "(): " + where() + " nests deeper than " +
                                        std::to_string(kMaxDepth) + " levels (is it cyclic?)");
  }
  napi_valuetype js_type = napi_undefined;
  napi_typeof(env_, value, &js_type);
  bool array = false;
  napi_is_array(env_, value, &array);
  bool container = array || (js_type == napi_object && js_type_name(env_, value) == "object");

  if (type != 0) {
    draft.type = type;
    if (!type_info(type).structured) {
      if (container && !(array && type_info(type).element != Element::kNone)) {
        fail(ErrorCode::kTypeMismatch, std::string(function_) + "(): " + where() + " is an " +
                                           (array ? "array" : "object") + ", but " + type_name(type) +
                                           " nodes hold a single value");
      }
      if (js_type != napi_undefined) draft.value = value_from_js(env_, value, std::string(function_) + "(): " + where());
      return;
    }
    if (js_type == napi_undefined) return;
    if (!container) {
      fail(ErrorCode::kTypeMismatch, std::string(function_) + "(): " + type_name(type) +
                                         " nodes hold children, so the value must be an object or an array, got " +
                                         js_type_name(env_, value));
    }
    read_children(draft, value, array, depth);
    return;
  }

  if (js_type == napi_undefined) {
    fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): " + where() +
                                          " is undefined; give a value (null for an empty node), or delete the node");
  }
  if (!container) {
    Value leaf = value_from_js(env_, value, std::string(function_) + "(): " + where());
    draft.type = inferred_type(leaf);
    draft.inferred = true;
    if (leaf.type != type::kNull) draft.value = std::move(leaf);
    return;
  }
  draft.type = array ? type::kList : type::kObject;
  draft.inferred = true;
  read_children(draft, value, array, depth);
}

void DraftReader::read_children(Draft& draft, napi_value value, bool array, int depth) {
  draft.filled = true;
  Napi::Object object(env_, value);
  if (array) {
    uint32_t length = Napi::Array(env_, value).Length();
    draft.children.resize(length);
    for (uint32_t i = 0; i < length; ++i) {
      keys_.push_back(std::string("[").append(std::to_string(i)).append("]"));
      read_into(draft.children[i], object.Get(i), 0, depth + 1);
      keys_.pop_back();
    }
    return;
  }
  napi_value prototype;
  napi_get_prototype(env_, value, &prototype);
  bool plain = false;
  napi_strict_equals(env_, prototype, object_prototype_, &plain);
  napi_valuetype prototype_type = napi_undefined;
  napi_typeof(env_, prototype, &prototype_type);
  if (!plain && prototype_type != napi_null) {
    fail(ErrorCode::kInvalidArgument, std::string(function_) + "(): " + where() +
                                          " is not a plain object (a class instance, Date, Map, ...); "
                                          "give plain objects, arrays and leaf values");
  }
  napi_value names;
  napi_get_all_property_names(env_, value, napi_key_own_only,
                              static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                              napi_key_numbers_to_strings, &names);
  Napi::Array keys(env_, names);
  uint32_t length = keys.Length();
  draft.children.resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    Napi::Value key = keys.Get(i);
    std::string name = string_from_js(env_, key, std::string(function_) + "(): a key of " + where());
    keys_.push_back(std::string(".").append(name));
    try {
      validate_name(name);
    } catch (const Error& e) {
      fail(e.code(), std::string(function_) + "(): key " + where() + ": " + e.what());
    }
    draft.children[i].name = name;
    read_into(draft.children[i], object.Get(key), 0, depth + 1);
    keys_.pop_back();
  }
}

namespace {

// A member whose type was inferred, given the type its schema names instead.
void coerce(Draft& member, TypeId type) {
  const TypeInfo& target = type_info(type);
  if (member.value) {
    member.value = convert(*member.value, type);
  } else if (member.type == type::kList && target.element != Element::kNone) {
    // An array of numbers read as a list: its items become the vector's numbers.
    std::size_t count = member.children.size();
    ArrayRef numbers = count == 0 ? ArrayRef() : ArrayRef::adopt(ArrayData::allocate(Element::kF64, count));
    for (std::size_t i = 0; i < count; ++i) {
      const Draft& item = member.children[i];
      if (!item.value) {
        fail(ErrorCode::kTypeMismatch, "a " + type_name(type) + " holds numbers, not " + type_name(item.type) + "s");
      }
      numbers->as<double>()[i] = convert(*item.value, type::kF64).as_f64();
    }
    member.value = convert(Value::array_of(type::kF64Array, std::move(numbers)), type);
    member.children.clear();
  } else if (!target.structured || member.type != type::kObject) {
    return;  // no coercion: the schema check names the mismatch
  }
  member.type = type;
  member.inferred = false;
}

void apply_schemas(const SchemaSnapshot& schemas, Draft& draft) {
  const TypeSchema* schema = is_user_type(draft.type) ? schemas.find(draft.type) : nullptr;
  if (schema) {
    std::vector<std::string_view> names;
    for (Draft& member : draft.children) {
      const MemberSchema* m = schema->member(member.name);
      if (m && m->type != 0 && member.inferred && member.type != m->type) {
        try {
          coerce(member, m->type);
        } catch (const Error& e) {
          fail(e.code(), "member '" + member.name + "' of a " + schema->name + ": " + e.what());
        }
      }
      schema->check_member(member.name, member.type);
      names.push_back(member.name);
    }
    if (draft.filled) schema->check_complete(names);
  }
  for (Draft& child : draft.children) apply_schemas(schemas, child);
}

NodeRef build_checked(Tree& tree, const Draft& draft) {
  NodeRef node = tree.create_node(draft.name, draft.type, draft.value ? &*draft.value : nullptr);
  for (const Draft& child : draft.children) {
    NodeRef built = build_checked(tree, child);
    tree.add_child(*node, *built);
  }
  return node;
}

}  // namespace

NodeRef build(Tree& tree, Draft& draft) {
  apply_schemas(tree.schemas().snapshot(), draft);
  return build_checked(tree, draft);
}

}  // namespace grove::bindings
