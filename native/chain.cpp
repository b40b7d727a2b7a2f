#include "grove/chain.h"

#include <algorithm>
#include <array>
#include <vector>

#include "grove/sha256.h"

namespace grove::chain {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase58Alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base58_value(char c) {
  static const std::array<int8_t, 128> table = [] {
    std::array<int8_t, 128> t;
    t.fill(-1);
    for (int i = 0; i < 58; ++i) t[static_cast<unsigned char>(kBase58Alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  auto u = static_cast<unsigned char>(c);
  return u < 128 ? table[u] : -1;
}

// secp256k1's group order n and n/2 (SEC 2, 2.4.1), big-endian.
constexpr std::array<uint8_t, 32> kOrder{
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
constexpr std::array<uint8_t, 32> kHalfOrder{
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

// Compares a DER integer's big-endian magnitude with a 32-byte bound: <0, 0, >0.
int compare_magnitude(std::string_view integer, const std::array<uint8_t, 32>& bound) {
  while (!integer.empty() && integer.front() == 0) integer.remove_prefix(1);
  if (integer.size() != bound.size()) return integer.size() < bound.size() ? -1 : 1;
  for (std::size_t i = 0; i < bound.size(); ++i) {
    auto byte = static_cast<uint8_t>(integer[i]);
    if (byte != bound[i]) return byte < bound[i] ? -1 : 1;
  }
  return 0;
}

bool is_zero(std::string_view integer) {
  return std::all_of(integer.begin(), integer.end(), [](char c) { return c == 0; });
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    out += kHexDigits[u >> 4];
    out += kHexDigits[u & 15];
  }
  return out;
}

const char* parse_hex(std::string_view text, std::string& bytes) {
  if (text.size() % 2 != 0) return "an odd number of hex digits";
  bytes.clear();
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return "not hex digits";
    bytes += static_cast<char>(hi * 16 + lo);
  }
  return nullptr;
}

std::string to_base58(std::string_view bytes) {
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // Base-58 digits, least significant first: each byte multiplies by 256 and adds.
  std::vector<uint8_t> digits;
  digits.reserve(bytes.size() * 138 / 100 + 1);  // log(256) / log(58) < 1.38
  for (std::size_t i = zeros; i < bytes.size(); ++i) {
    uint32_t carry = static_cast<unsigned char>(bytes[i]);
    for (uint8_t& digit : digits) {
      carry += uint32_t{digit} << 8;
      digit = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    for (; carry > 0; carry /= 58) digits.push_back(static_cast<uint8_t>(carry % 58));
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out += kBase58Alphabet[*it];
  return out;
}

const char* parse_base58(std::string_view text, std::string& bytes) {
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // Bytes, least significant first: each digit multiplies by 58 and adds.
  std::vector<uint8_t> value;
  value.reserve(text.size() * 733 / 1000 + 1);  // log(58) / log(256) < 0.733
  for (std::size_t i = ones; i < text.size(); ++i) {
    int digit = base58_value(text[i]);
    if (digit < 0) return "a character outside the Base58 alphabet";
    uint32_t carry = static_cast<uint32_t>(digit);
    for (uint8_t& byte : value) {
      carry += uint32_t{byte} * 58;
      byte = static_cast<uint8_t>(carry);
      carry >>= 8;
    }
    for (; carry > 0; carry >>= 8) value.push_back(static_cast<uint8_t>(carry));
  }
  bytes.assign(ones, '\0');
  for (auto it = value.rbegin(); it != value.rend(); ++it) bytes += static_cast<char>(*it);
  return nullptr;
}

std::string to_base58check(std::string_view payload) {
  Digest check = sha256d(payload);
  std::string bytes(payload);
  bytes.append(reinterpret_cast<const char*>(check.data()), 4);
  return to_base58(bytes);
}

const char* parse_base58check(std::string_view text, std::string& payload) {
  std::string bytes;
  if (const char* problem = parse_base58(text, bytes)) return problem;
  if (bytes.size() < 4) return "too short for a Base58Check checksum";
  std::string_view body(bytes.data(), bytes.size() - 4);
  Digest check = sha256d(body);
  if (!std::equal(check.begin(), check.begin() + 4, bytes.end() - 4,
                  [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); })) {
    return "the Base58Check checksum does not match";
  }
  payload.assign(body);
  return nullptr;
}

const char* address_problem(std::string_view payload) {
  if (payload.size() != 21) return "an address is a version byte and a 20-byte hash";
  return nullptr;
}

std::string compact_size(uint64_t n) {
  std::string out;
  std::size_t width = n < 0xFD ? 0 : n <= 0xFFFF ? 2 : n <= 0xFFFFFFFF ? 4 : 8;
  out += static_cast<char>(width == 0 ? n : width == 2 ? 0xFD : width == 4 ? 0xFE : 0xFF);
  for (std::size_t i = 0; i < width; ++i) out += static_cast<char>(n >> (8 * i));
  return out;
}

const char* read_compact_size(std::string_view bytes, uint64_t& value, std::size_t& length) {
  if (bytes.empty()) return "no bytes";
  auto prefix = static_cast<uint8_t>(bytes[0]);
  std::size_t width = prefix < 0xFD ? 0 : prefix == 0xFD ? 2 : prefix == 0xFE ? 4 : 8;
  if (width == 0) {
    value = prefix;
    length = 1;
    return nullptr;
  }
  if (bytes.size() < 1 + width) return "truncated";
  value = 0;
  for (std::size_t i = 0; i < width; ++i) value |= uint64_t{static_cast<uint8_t>(bytes[1 + i])} << (8 * i);
  uint64_t smallest = width == 2 ? 0xFD : width == 4 ? 0x10000 : 0x100000000;
  if (value < smallest) return "non-canonical: a shorter encoding exists";
  length = 1 + width;
  return nullptr;
}

const char* der_signature_problem(std::string_view der) {
  // BIP66's IsValidSignatureEncoding, less the trailing sighash byte:
  // 0x30 [total length] 0x02 [R length] [R] 0x02 [S length] [S].
  auto at = [&](std::size_t i) { return static_cast<uint8_t>(der[i]); };
  std::size_t size = der.size();
  if (size < 8) return "shorter than the 8 bytes of the smallest DER signature";
  if (size > 72) return "longer than the 72 bytes of the largest DER signature";
  if (at(0) != 0x30) return "not a DER sequence (0x30)";
  if (at(1) != size - 2) return "the sequence length does not match";
  std::size_t r_length = at(3);
  if (5 + r_length >= size) return "R runs past the end";
  std::size_t s_length = at(5 + r_length);
  if (r_length + s_length + 6 != size) return "the lengths of R and S do not add up";
  if (at(2) != 0x02) return "R is not a DER integer (0x02)";
  if (r_length == 0) return "R is empty";
  if (at(4) & 0x80) return "R is negative";
  if (r_length > 1 && at(4) == 0x00 && !(at(5) & 0x80)) return "R has excess padding";
  if (at(4 + r_length) != 0x02) return "S is not a DER integer (0x02)";
  if (s_length == 0) return "S is empty";
  if (at(6 + r_length) & 0x80) return "S is negative";
  if (s_length > 1 && at(6 + r_length) == 0x00 && !(at(7 + r_length) & 0x80)) return "S has excess padding";
  std::string_view r = der.substr(4, r_length), s = der.substr(6 + r_length, s_length);
  if (is_zero(r) || is_zero(s)) return "R or S is zero";
  if (compare_magnitude(r, kOrder) >= 0) return "R is not below the curve order";
  if (compare_magnitude(s, kHalfOrder) > 0) return "S is high (above n/2; BIP62 and BIP146 require low S)";
  return nullptr;
}

const char* pubkey_problem(std::string_view key) {
  auto prefix = key.empty() ? 0 : static_cast<uint8_t>(key[0]);
  if (key.size() == 33 && (prefix == 0x02 || prefix == 0x03)) return nullptr;
  if (key.size() == 65 && prefix == 0x04) return nullptr;
  return "a public key is 33 bytes starting 0x02 or 0x03, or 65 bytes starting 0x04";
}

}  // namespace grove::chain
