// Bitcoin's encodings, as the chain types store, show and check them: hex, Base58 and
// Base58Check, CompactSize, strict DER signatures (BIP66) with low S, public keys.
//
// Each parser returns nullptr on success or a short text saying what is wrong (for the
// error message of a refused conversion), and writes its result to an out parameter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace grove::chain {

// Lowercase hex of bytes; bytes of an even number of hex digits (either case).
std::string to_hex(std::string_view bytes);
const char* parse_hex(std::string_view text, std::string& bytes);

// Base58 with Bitcoin's alphabet; each leading zero byte is a leading '1'.
std::string to_base58(std::string_view bytes);
const char* parse_base58(std::string_view text, std::string& bytes);

// Base58Check: the payload followed by the first 4 bytes of its sha256d, in Base58.
std::string to_base58check(std::string_view payload);
const char* parse_base58check(std::string_view text, std::string& payload);

// An address payload: a version byte and a 20-byte hash160. Any version byte is taken, as
// every chain picks its own (Bitcoin 0x00 P2PKH, 0x05 P2SH, 0x6F and 0xC4 their testnet
// forms; Nodix 0x19).
const char* address_problem(std::string_view payload);

// CompactSize: one byte below 0xFD, else 0xFD, 0xFE or 0xFF and a 2, 4 or 8-byte
// little-endian integer. read_compact_size refuses a prefix longer than the value needs.
std::string compact_size(uint64_t n);
const char* read_compact_size(std::string_view bytes, uint64_t& value, std::size_t& length);

// A signature as BIP66 requires it (without the sighash byte): strict DER with minimal,
// positive R and S; and, as BIP62 and BIP146 require, 0 < R < n and 0 < S <= n/2.
const char* der_signature_problem(std::string_view der);

// A SEC1 public key: 33 bytes starting 0x02 or 0x03, or 65 bytes starting 0x04. The
// encoding is checked, not that the point lies on the curve (signature checks do that).
const char* pubkey_problem(std::string_view key);

}  // namespace grove::chain
