// The geometry, array and chain types in the core: the type table, every conversion of
// grove/forms.h both ways (exact ones succeed, others fail naming both types), nodes
// holding them, their JSON, content hashes, and application type schemas.
#include <cmath>
#include <cstring>

#include "check.h"
#include "grove/array_ops.h"
#include "grove/chain.h"
#include "grove/epoch.h"
#include "grove/forms.h"
#include "grove/json.h"
#include "grove/tree.h"

using namespace grove;

namespace {

Value numbers(std::initializer_list<double> list) {
  ArrayRef a = ArrayRef::adopt(ArrayData::allocate(Element::kF64, list.size()));
  std::copy(list.begin(), list.end(), a->as<double>());
  return Value::array_of(type::kF64Array, std::move(a));
}

std::string text(const Value& v) { return convert(v, type::kStr).blob; }
std::string hex(const Value& v) { return chain::to_hex(convert(v, type::kBytes).blob); }
std::string bytes(std::string_view hex_digits) {
  std::string out;
  chain::parse_hex(hex_digits, out);
  return out;
}

const char* kGenesisHash = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
const char* kGenesisKey =
    "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f";
const char* kSignature =
    "3044022029db2d5f4e1dcc04e19266cce3cb135865784c62ab653b307f0e0bb744f5c2aa022000a97f5826912cac8b44d9f577a26f169a2f8db781f2ddb7de2bc886e93b6844";

}  // namespace

TEST(type_table) {
  for (std::string_view name : {"vec2", "vec3", "vec4uc", "mat3x3", "rect", "ipv4", "f32array", "f64array", "i32array",
                                "i16array", "u8array", "hash", "block_hash", "tx_hash", "pubkey", "address", "vint", "vstr",
                                "der_sig"}) {
    const TypeInfo* t = find_type(name);
    CHECK(t != nullptr && find_type(t->id) == t && type_name(t->id) == name);
  }
  CHECK(type_matches(type::kBlockHash, type::kHash) && type_matches(type::kTxHash, type::kHash));
  CHECK(type_matches(type::kBlockHash, type::kBlockHashQuery) && !type_matches(type::kTxHash, type::kBlockHashQuery));
  CHECK(!type_matches(type::kHash, type::kTxHashQuery));
  CHECK(type_matches(type::kI16Array, type::kAnyArray) && !type_matches(type::kVec3, type::kAnyArray));
  CHECK(find_type(0x03000040) == nullptr && find_type(0x0B000100) == nullptr);
}

TEST(vectors_convert_element_by_element) {
  Value v3 = convert(numbers({1, 2.5, -3}), type::kVec3);
  CHECK(v3.blob.size() == 12 && v3.describe() == "[1, 2.5, -3]");
  CHECK(convert(v3, type::kF32Array).array->as<float>()[1] == 2.5f);
  CHECK(convert(convert(v3, type::kF64Array), type::kVec3).blob == v3.blob);
  CHECK_THROWS(convert(numbers({0.1, 0, 0}), type::kVec3), ErrorCode::kTypeMismatch,
               "cannot convert f64array [0.1, 0, 0] to vec3: element 0 (0.1) is not exactly representable as f32");
  CHECK_THROWS(convert(numbers({1, 2}), type::kVec3), ErrorCode::kTypeMismatch, "it has 2 elements, a vec3 has 3");
  CHECK_THROWS(convert(v3, type::kVec2), ErrorCode::kTypeMismatch, "cannot convert vec3 [1, 2.5, -3] to vec2");
  CHECK(convert(numbers({1, 2}), type::kVec2).describe() == "[1, 2]");
  CHECK(convert(numbers({1, 0, 0, 0, 1, 0, 0, 0, 1}), type::kMat3x3).blob.size() == 36);
  Value rect = convert(numbers({-5, 10, 640, 480}), type::kRect);
  CHECK(convert(rect, type::kI32Array).array->as<int32_t>()[0] == -5);
  CHECK_THROWS(convert(numbers({0, 0, 1.5, 1}), type::kRect), ErrorCode::kTypeMismatch, "element 2 (1.5) is not an integer");
  CHECK_THROWS(convert(numbers({0, 0, 3e9, 1}), type::kRect), ErrorCode::kTypeMismatch, "out of range for i32");

  Value rgba = convert(numbers({255, 128, 0, 1}), type::kVec4uc);
  CHECK(rgba.bits == 0x010080FF && rgba.describe() == "[255, 128, 0, 1]");
  CHECK(hex(rgba) == "ff800001" && convert(Value::bytes(bytes("ff800001")), type::kVec4uc).bits == rgba.bits);
  CHECK_THROWS(convert(numbers({256, 0, 0, 0}), type::kVec4uc), ErrorCode::kTypeMismatch, "out of range for u8");
  CHECK_THROWS(convert(Value::bytes("abc"), type::kVec4uc), ErrorCode::kTypeMismatch, "exactly 4 bytes");
  CHECK_THROWS(convert(v3, type::kStr), ErrorCode::kTypeMismatch, "cannot convert vec3 [1, 2.5, -3] to str");
  CHECK_THROWS(convert(Value::f64(1), type::kVec2), ErrorCode::kTypeMismatch, "cannot convert f64 1 to vec2");
}

TEST(arrays_convert_element_by_element) {
  Value doubles = numbers({1, -2, 300});
  Value i16 = convert(doubles, type::kI16Array);
  CHECK(i16.array->as<int16_t>()[2] == 300);
  CHECK(convert(i16, type::kF32Array).array->as<float>()[1] == -2);
  CHECK_THROWS(convert(doubles, type::kU8Array), ErrorCode::kTypeMismatch, "element 1 (-2) is out of range for u8");
  Value nan = convert(numbers({NAN, INFINITY}), type::kF32Array);
  CHECK(std::isnan(nan.array->as<float>()[0]) && std::isinf(nan.array->as<float>()[1]));
  CHECK_THROWS(convert(numbers({NAN}), type::kI32Array), ErrorCode::kTypeMismatch, "not a finite number");
  CHECK_THROWS(convert(numbers({1e39}), type::kF32Array), ErrorCode::kTypeMismatch, "out of range for f32");
  Value u8 = convert(Value::bytes(std::string("\x01\x02\xff", 3)), type::kU8Array);
  CHECK(u8.array->length() == 3 && u8.array->as<uint8_t>()[2] == 255 && convert(u8, type::kBytes).blob == std::string("\x01\x02\xff", 3));
  CHECK_THROWS(convert(Value::bytes("ab"), type::kF32Array), ErrorCode::kTypeMismatch, "cannot convert bytes 2 bytes to f32array");
  CHECK(!convert(Value::array_of(type::kF64Array, {}), type::kI32Array).array);
  CHECK(reinterpret_cast<uintptr_t>(i16.array->data()) % 64 == 0);
}

TEST(chain_types_convert_through_text_and_bytes) {
  // Hashes: text in display order (block and tx hashes reversed, as Bitcoin shows them).
  Value block = convert(Value::str(kGenesisHash), type::kBlockHash);
  CHECK(text(block) == kGenesisHash);
  CHECK(hex(block) == "6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000");
  Value plain = convert(block, type::kHash);
  CHECK(text(plain) == "6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000");
  CHECK(convert(plain, type::kTxHash).blob == block.blob);
  CHECK(text(convert(Value::str("AA" + std::string(62, '0')), type::kHash)) == "aa" + std::string(62, '0'));
  CHECK_THROWS(convert(Value::str("abc"), type::kHash), ErrorCode::kTypeMismatch, "cannot convert str \"abc\" to hash: a hash is 64 hex digits");
  CHECK_THROWS(convert(Value::str(std::string(63, '0') + "g"), type::kHash), ErrorCode::kTypeMismatch, "not hex digits");
  CHECK_THROWS(convert(Value::bytes("short"), type::kHash), ErrorCode::kTypeMismatch, "a hash is 32 bytes");
  CHECK_THROWS(convert(block, type::kU64), ErrorCode::kTypeMismatch, "cannot convert block_hash");
  CHECK(compare(block, Value::str(kGenesisHash)) == Ordering::kEqual);  // a str compares in the hash's type
  CHECK(compare(Value::str(std::string(64, 'f')), block) == Ordering::kGreater);
  CHECK(compare(block, Value::str("not a hash")) == Ordering::kUnordered);

  Value key = convert(Value::str(kGenesisKey), type::kPubkey);
  CHECK(key.blob.size() == 65 && text(key) == kGenesisKey && hex(key) == kGenesisKey);
  CHECK_THROWS(convert(Value::str("05" + std::string(64, '1')), type::kPubkey), ErrorCode::kTypeMismatch, "a public key is 33 bytes");
  CHECK(convert(Value::str(""), type::kPubkey).blob.empty());

  Value address = convert(Value::str("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), type::kAddress);
  CHECK(hex(address) == "0062e907b15cbf27d5425399ebf6f0fb50ebb88f18");
  CHECK(text(convert(Value::bytes(bytes("0062e907b15cbf27d5425399ebf6f0fb50ebb88f18")), type::kAddress)) ==
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
  CHECK_THROWS(convert(Value::str("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), type::kAddress), ErrorCode::kTypeMismatch, "checksum");
  // any version byte: Nodix's own is 0x19
  CHECK(text(convert(Value::bytes(bytes("19ed6a8b8fd2abd3c2d6d9d0fd3b4ad48bc43e9ca3")), type::kAddress)) == "BS6RQ4qn13TNn3dyEDbTFp3U7ahqPMoFuU");
  CHECK_THROWS(convert(Value::bytes(bytes("0062e907b15cbf27d5425399ebf6f0fb50ebb88f")), type::kAddress), ErrorCode::kTypeMismatch,
               "a version byte and a 20-byte hash");

  Value sig = convert(Value::str(kSignature), type::kDerSig);
  CHECK(text(sig) == kSignature && hex(sig) == kSignature);
  CHECK_THROWS(convert(Value::bytes(bytes("300c020400ffffff02040000ffff")), type::kDerSig), ErrorCode::kTypeMismatch,
               "S has excess padding");

  for (uint64_t n : {uint64_t{0}, uint64_t{0xFC}, uint64_t{0xFD}, uint64_t{0xFFFF}, uint64_t{0x10000}, uint64_t{0xFFFFFFFF},
                     uint64_t{0x100000000}}) {
    Value vint = convert(Value::u64(n), type::kVint);
    CHECK(convert(vint, type::kU64).bits == n);
    CHECK(convert(convert(vint, type::kBytes), type::kVint).bits == n);
  }
  CHECK(hex(convert(Value::u64(0xFD), type::kVint)) == "fdfd00");
  CHECK_THROWS(convert(Value::bytes(bytes("fdfc00")), type::kVint), ErrorCode::kTypeMismatch, "non-canonical");
  CHECK_THROWS(convert(Value::bytes(bytes("0100")), type::kVint), ErrorCode::kTypeMismatch, "bytes follow the CompactSize");
  CHECK_THROWS(convert(Value::i64(-1), type::kVint), ErrorCode::kTypeMismatch, "cannot convert i64 -1 to vint: out of range");
  CHECK(convert(convert(Value::u64(7), type::kVint), type::kF64).as_f64() == 7);

  Value vstr = convert(Value::str("/Satoshi:0.7.2/"), type::kVstr);
  CHECK(hex(vstr) == "0f2f5361746f7368693a302e372e322f" && text(vstr) == "/Satoshi:0.7.2/");
  CHECK(convert(Value::bytes(bytes("0f2f5361746f7368693a302e372e322f")), type::kVstr).blob == "/Satoshi:0.7.2/");
  CHECK_THROWS(convert(Value::bytes(bytes("0361")), type::kVstr), ErrorCode::kTypeMismatch, "the length says 3 bytes, 1 follow");
  CHECK_THROWS(convert(Value::bytes(bytes("01ff")), type::kVstr), ErrorCode::kTypeMismatch, "not valid UTF-8");
}

TEST(ipv4_converts_with_text_bytes_and_integers) {
  Value ip = convert(Value::str("192.168.0.1"), type::kIpv4);
  CHECK(ip.bits == 0xC0A80001 && text(ip) == "192.168.0.1" && hex(ip) == "c0a80001");
  CHECK(convert(ip, type::kU32).bits == 0xC0A80001 && convert(ip, type::kI64).as_i64() == 0xC0A80001);
  CHECK(convert(Value::i64(0x7F000001), type::kIpv4).describe() == "\"127.0.0.1\"");
  CHECK(convert(Value::bytes(bytes("0a000001")), type::kIpv4).bits == 0x0A000001);
  for (const char* bad : {"256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.", "a.b.c.d", " 1.2.3.4"}) {
    CHECK_THROWS(convert(Value::str(bad), type::kIpv4), ErrorCode::kTypeMismatch, "dotted quad");
  }
  CHECK_THROWS(convert(Value::i64(-1), type::kIpv4), ErrorCode::kTypeMismatch, "not an integer in 0..4294967295");
  CHECK_THROWS(convert(ip, type::kI16), ErrorCode::kTypeMismatch, "cannot convert ipv4 \"192.168.0.1\" to i16: out of range");
}

TEST(nodes_hold_the_new_types) {
  TreeHolder t;
  Value key = Value::str(kGenesisKey);
  NodeRef pk = t->create_node("pk", type::kPubkey, &key);
  t->add_child(t->root(), *pk);
  CHECK(text(pk->value()) == kGenesisKey);
  NodeRef h = t->create_node("h", type::kTxHash);
  t->add_child(t->root(), *h);
  CHECK(h->value().blob == std::string(32, '\0') && h->value().is_zero());  // the zero hash until set
  t->set_value(*h, Value::str(kGenesisHash));
  CHECK(text(h->value()) == kGenesisHash && !h->value().is_zero());
  NodeRef v = t->create_node("v", type::kVec3);
  t->add_child(t->root(), *v);
  CHECK(v->value().describe() == "[0, 0, 0]");
  Value current;
  CHECK(t->set_if_zero(*v, numbers({1, 2, 3}), &current) && current.describe() == "[1, 2, 3]");
  CHECK(!t->set_if_zero(*v, numbers({4, 5, 6}), &current));
  CHECK(t->compare_and_set(*v, numbers({1, 2, 3}), numbers({7, 8, 9}), &current) && current.describe() == "[7, 8, 9]");

  NodeRef a = t->create_node("a", type::kF32Array);
  t->add_child(t->root(), *a);
  CHECK(!a->value().array && a->value().is_zero());
  t->set_value(*a, numbers({1, 2, 3}));
  Value before = a->value();
  t->update_value(*a, [](const Value& x) { return array_resized(x, 5); });
  CHECK(a->value().array->length() == 5 && before.array->length() == 3);  // the old buffer lives while held
  CHECK_THROWS(t->set_value(*a, Value::str("x")), ErrorCode::kTypeMismatch, "cannot convert str \"x\" to f32array");
  NodeRef copy = t->copy_subtree(*a);
  CHECK(copy->value().array.get() == a->value().array.get());  // immutable buffers are shared, not copied
  NodeRef n = t->create_node("n", type::kVint);
  t->add_child(t->root(), *n);
  CHECK(t->increment(*n, Value::i64(0x10000)).bits == 0x10000);
}

TEST(json_export_of_the_new_types) {
  TreeHolder t;
  auto set = [&](std::string_view name, TypeId type, Value v) {
    NodeRef node = t->create_node(name, type, &v);
    t->add_child(t->root(), *node);
  };
  set("v", type::kVec3, numbers({0.5, -0.0, 3}));
  set("c", type::kVec4uc, numbers({1, 2, 3, 4}));
  set("ip", type::kIpv4, Value::str("10.0.0.1"));
  set("a", type::kF32Array, numbers({NAN, INFINITY, 0.1f}));
  set("i", type::kI16Array, numbers({-1, 2}));
  set("h", type::kBlockHash, Value::str(kGenesisHash));
  set("addr", type::kAddress, Value::str("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
  set("n", type::kVint, Value::u64(uint64_t{1} << 60));
  set("s", type::kVstr, Value::str("hi"));
  set("e", type::kF64Array, Value::array_of(type::kF64Array, {}));
  std::string plain = write_json(t->root(), JsonFormat::kPlain);
  CHECK(plain == std::string("{\"v\":[0.5,-0,3],\"c\":[1,2,3,4],\"ip\":\"10.0.0.1\",\"a\":[\"NaN\",\"Infinity\",0.1],\"i\":[-1,2],") +
                     "\"h\":\"" + kGenesisHash + "\",\"addr\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\",\"n\":\"1152921504606846976\"," +
                     "\"s\":\"hi\",\"e\":[]}");
  std::string typed = write_json(t->root(), JsonFormat::kTyped);
  CHECK(typed.find("{\"name\":\"v\",\"type\":\"vec3\",\"value\":[0.5,\"-0\",3]}") != std::string::npos);
  CHECK(typed.find("{\"name\":\"a\",\"type\":\"f32array\",\"value\":[\"NaN\",\"Infinity\",0.1]}") != std::string::npos);
  NodeRef app = t->create_node("app", 0x10000001);
  t->add_child(t->root(), *app);
  CHECK(write_json(*app, JsonFormat::kTyped) == "{\"name\":\"app\",\"type\":\"0x10000001\",\"children\":[]}");
}

TEST(content_hash_is_of_the_typed_json_with_the_name_emptied) {
  TreeHolder t;
  NodeRef a = t->create_node("a", type::kObject);
  t->add_child(t->root(), *a);
  ArrayRef zeros = ArrayRef::adopt(ArrayData::allocate(Element::kF32, 100000));
  std::memset(zeros->data(), 0, zeros->bytes());
  Value big = Value::array_of(type::kF32Array, std::move(zeros));
  NodeRef arr = t->create_node("arr", type::kF32Array, &big);
  t->add_child(*a, *arr);
  std::string typed = write_json(*a, JsonFormat::kTyped);
  std::string unnamed = "{\"name\":\"\"" + typed.substr(std::strlen("{\"name\":\"a\""));
  CHECK(content_hash(*a) == sha256(unnamed));  // streamed in pieces, the same digest
  NodeRef b = t->copy_subtree(*a);
  CHECK(content_hash(*b) == content_hash(*a));  // the name is not hashed, ids are not written
  t->update_value(*arr, [](const Value& x) { return array_resized(x, 99999); });
  CHECK(content_hash(*b) != content_hash(*a));
}

TEST(schemas_hold_members_to_their_types) {
  TreeHolder t;
  TypeSchema point{0x10000002, "point", {{"x", type::kF64, type::kF64, true}, {"tag", 0, type::kAny, false}}, false};
  t->schemas().add(point);
  t->schemas().add(point);  // the same again: another thread registering the same type
  CHECK_THROWS(t->schemas().add({0x10000002, "other", {}, true}), ErrorCode::kInvalidArgument, "conflicts with the registered type point");
  CHECK_THROWS(t->schemas().add({0x10000003, "point", {}, true}), ErrorCode::kInvalidArgument, "conflicts");
  CHECK_THROWS(t->schemas().add({type::kObject, "o", {}, true}), ErrorCode::kInvalidArgument, "not an application type id");
  SchemaSnapshot schemas = t->schemas().snapshot();
  const TypeSchema* s = schemas.find(0x10000002);
  CHECK(s != nullptr && schemas.find(0x10000009) == nullptr);
  s->check_member("x", type::kF64);
  s->check_member("tag", type::kStr);
  CHECK_THROWS(s->check_member("x", type::kStr), ErrorCode::kTypeMismatch, "member 'x' of a point must be f64, not str");
  CHECK_THROWS(s->check_member("y", type::kF64), ErrorCode::kTypeMismatch, "a point has no member 'y'; its members are x, tag");
  CHECK_THROWS(s->check_removal("x"), ErrorCode::kTypeMismatch, "member 'x' of a point is required");
  s->check_removal("tag");
  CHECK_THROWS(s->check_complete({"tag"}), ErrorCode::kTypeMismatch, "a point needs its member 'x'");
  t->schemas().add({0x10000004, "later", {}, true});
  CHECK(schemas.find(0x10000004) == nullptr);  // a snapshot keeps the table it took
  CHECK(t->schemas().snapshot().find(0x10000004) != nullptr);
}

int main() { return check::run_all(); }
