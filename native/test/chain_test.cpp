// Bitcoin's encodings against vectors from their standards and reference implementations:
// FIPS 180-4 (SHA-256), Bitcoin Core's base58_encode_decode.json and base58_keys_*.json,
// the protocol's CompactSize ranges, and BIP66's DER rules as bitcoinjs/bip66 tests them.
#include <string>

#include "check.h"
#include "grove/chain.h"
#include "grove/sha256.h"

using namespace grove;
using namespace grove::chain;

namespace {

std::string bytes_of(std::string_view hex) {
  std::string out;
  CHECK(parse_hex(hex, out) == nullptr);
  return out;
}

std::string hex_of(const Digest& d) { return to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())); }

std::string reversed_hex(const Digest& d) {
  std::string bytes(reinterpret_cast<const char*>(d.data()), d.size());
  return to_hex(std::string(bytes.rbegin(), bytes.rend()));
}

}  // namespace

TEST(sha256_fips_180_4_vectors) {
  CHECK(hex_of(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 million;
  std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(thousand);
  CHECK(hex_of(million.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Updates split at every offset give the same digest as one update.
  std::string text(200, 'x');
  for (std::size_t split = 0; split <= text.size(); split += 7) {
    Sha256 h;
    h.update(text.substr(0, split));
    h.update(text.substr(split));
    CHECK(h.finish() == sha256(text));
  }
}

TEST(sha256d_of_the_genesis_block_header) {
  std::string header = bytes_of(
      "01000000" "0000000000000000000000000000000000000000000000000000000000000000"
      "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a" "29ab5f49" "ffff001d" "1dac2b7c");
  CHECK(header.size() == 80);
  CHECK(reversed_hex(sha256d(header)) == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
}

TEST(hex) {
  CHECK(to_hex(std::string("\x00\x7f\x80\xff", 4)) == "007f80ff");
  std::string out;
  CHECK(parse_hex("00aBcD", out) == nullptr && out == std::string("\x00\xab\xcd", 3));
  CHECK(parse_hex("abc", out) != nullptr);
  CHECK(parse_hex("zz", out) != nullptr);
}

TEST(base58_bitcoin_core_vectors) {
  const char* vectors[][2] = {
      {"", ""},
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
      {"572e4794", "3EFU7m"},
      {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
      {"10c8511e", "Rt5zm"},
      {"00000000000000000000", "1111111111"},
      {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
       "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
      {"271F359E", "zzzzy"},
      {"271F359F", "zzzzz"},
      {"271F35A0", "211111"},
      {"271F35A1", "211112"},
  };
  for (auto& [hex, text] : vectors) {
    std::string bytes = bytes_of(hex), decoded;
    CHECK(to_base58(bytes) == text);
    CHECK(parse_base58(text, decoded) == nullptr && decoded == bytes);
  }
  std::string out;
  CHECK(parse_base58("0OIl", out) != nullptr);  // not in the alphabet
}

TEST(base58check_addresses) {
  // Bitcoin Core base58_keys_valid.json: address, hash160, version (0x00 pubkey, 0x05
  // script, 0x6F and 0xC4 their testnet forms).
  struct Vector {
    const char* address;
    const char* hash;
    uint8_t version;
  } vectors[] = {
      {"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i", "65a16059864a2fdbc7c99a4723a8395bc6f188eb", 0x00},
      {"3CMNFxN1oHBc4R1EpboAL5yzHGgE611Xou", "74f209f6ea907e2ea48f74fae05782ae8a665257", 0x05},
      {"mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVs", "53c0307d6851aa0ce7825ba883c6bd9ad242b486", 0x6F},
      {"2N2JD6wb56AfK4tfmM6PwdVmoYk2dCKf4Br", "6349a418fc4578d10a372b54b45c280cc8c4382f", 0xC4},
      {"1Ax4gZtb7gAit2TivwejZHYtNNLT18PUXJ", "6d23156cbbdcc82a5a47eee4c2c7c583c18b6bf4", 0x00},
      {"3QjYXhTkvuj8qPaXHTTWb5wjXhdsLAAWVy", "fcc5460dd6e2487c7d75b1963625da0e8f4c5975", 0x05},
  };
  for (const Vector& v : vectors) {
    std::string payload;
    CHECK(parse_base58check(v.address, payload) == nullptr);
    CHECK(payload == std::string(1, static_cast<char>(v.version)) + bytes_of(v.hash));
    CHECK(address_problem(payload) == nullptr);
    CHECK(to_base58check(payload) == v.address);
  }
  // Bitcoin Core base58_keys_invalid.json (a sample): none is an address, of any version.
  for (const char* text : {"", "x", "37qgekLpCCHrQuSjvX3fs496FWTGsHFHizjJAs6NPcR47aefnnCWECAhHV6E3g4YN7u7Yuwod5Y",
                           "dzb7VV1Ui55BARxv7ATxAtCUeJsANKovDGWFVgpTbhq9gvPqP3yv", "461QQ2sYWxU7H2PV4oBwJGNch8XVTYYbZxU"}) {
    std::string payload;
    CHECK(parse_base58check(text, payload) != nullptr || address_problem(payload) != nullptr);
  }
  // Others there are invalid only for Bitcoin: a version byte of another chain (0xFE, 0x59, 0xC3).
  for (const char* text : {"2mbZwFXF6cxShaCo2czTRB62WTx9LxhTtpP", "dB7cwYdcPSgiyAwKWL3JwCVwSk6epU2txw",
                           "2MnmgiRH4eGLyLc9eAqStzk7dFgBjFtUCtu"}) {
    std::string payload;
    CHECK(parse_base58check(text, payload) == nullptr);
    CHECK(address_problem(payload) == nullptr);
  }
  // A private key (base58_keys_valid.json) is Base58Check, but not an address.
  std::string key;
  CHECK(parse_base58check("5Kd3NBUAdUnhyzenEwVLy9pBKxSwXvE9FMPyR4UKZvpe6E3AgLr", key) == nullptr);
  CHECK(address_problem(key) != nullptr);
  // One changed character breaks the checksum.
  std::string payload;
  CHECK(std::string(parse_base58check("1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62j", payload)).find("checksum") != std::string::npos);
}

TEST(compact_size_edges_and_non_canonical_forms) {
  struct Vector {
    uint64_t value;
    const char* hex;
  } vectors[] = {
      {0, "00"},
      {0xFC, "fc"},
      {0xFD, "fdfd00"},
      {0xFFFF, "fdffff"},
      {0x10000, "fe00000100"},
      {0xFFFFFFFF, "feffffffff"},
      {0x100000000, "ff0000000001000000"},
      {UINT64_MAX, "ffffffffffffffffff"},
  };
  for (const Vector& v : vectors) {
    CHECK(to_hex(compact_size(v.value)) == v.hex);
    uint64_t value = 0;
    std::size_t length = 0;
    CHECK(read_compact_size(bytes_of(v.hex), value, length) == nullptr && value == v.value && length == compact_size(v.value).size());
  }
  for (const char* hex : {"fdfc00", "fd0000", "feffff0000", "fe00000000", "ffffffffff00000000", "ff0000000000000000"}) {
    uint64_t value = 0;
    std::size_t length = 0;
    const char* problem = read_compact_size(bytes_of(hex), value, length);
    CHECK(problem != nullptr && std::string(problem).find("non-canonical") != std::string::npos);
  }
  for (const char* hex : {"", "fd00", "fe000001", "ff00000000010000"}) {
    uint64_t value = 0;
    std::size_t length = 0;
    CHECK(read_compact_size(bytes_of(hex), value, length) != nullptr);
  }
}

TEST(der_signatures_bip66_and_low_s) {
  // bitcoinjs/bip66 fixtures.json "valid": strict DER. All but one have a low S; that one
  // has a 33-byte S, above n/2 (and above n).
  const char* strict_low_s[] = {
      "3044022029db2d5f4e1dcc04e19266cce3cb135865784c62ab653b307f0e0bb744f5c2aa022000a97f5826912cac8b44d9f577a26f169a2f8db781f2ddb7de2bc886e93b6844",
      "304302201ea1fdff81b3a271659df4aad19bc4ef83def389131a36358fe64b245632e777021f29e164658be9ce810921bf81d6b86694785a79ea1e52dbfa5105148d1f0bc1",
      "304402201b19519b38ca1e6813cd25649ad36be8bc6a6f2ad9758089c429acd9ce0b572f02203bf32193c8a3a3de1f847cd6e6eebf43c96df1ffa4d7fe920f8f71708920c65f",
      "3044022000c8da1836747d05a6a3d2c395825edce827147d15909e66939a5037d5916e6f022017823c2da62f539d7f8e1e186eaea7a401ab3c077dcfc44aeaf3e13fac99bdbc",
      "3042021e2ff2609c8dc0392d3731a2c6312841e09c76f10b83e2b52604dc84886dd502200090ac80e787c063618192bc04758e6666d0179c377fb2f3d6105d58000f33ac",
      "3041021d00feb1a12c27e5fe261acc64c0923add082573883e0800d8e4080fa9bb02202e7aeb97f4046ea3be60d2896a19c8dc269ab5eb2de968912cd52a076a0a42e9",
      "303e021d00c1d545da2e4edfbc65e9267d3c0a6fdda41793d0fd945f15acbcf0dd021d009acffda3ca5e7c349c35ba606f0a8f1ec7815b653b51695ca9ee69a6",
  };
  for (const char* hex : strict_low_s) CHECK(der_signature_problem(bytes_of(hex)) == nullptr);
  const char* high_s =
      "3042021d00feb1a12c27e5fe261acc64c0923add082573883e0800d8e4080fa9bb02212e7aeb97f4046ea3be60d2896a19c8dc269ab5eb2de968912cd52a076a0a42e925";
  CHECK(std::string(der_signature_problem(bytes_of(high_s))).find("high") != std::string::npos);
  // fixtures.json "invalid.decode": not strict DER.
  for (const char* hex : {"ffffffffffffff",
                          "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                          "00ffff0400ffffff020400ffffff", "30ff020400ffffff020400ffffff", "300c030400ffffff030400ffffff0000",
                          "300cff0400ffffff020400ffffff", "300c020200ffffff020400ffffff", "30080200020400ffffff",
                          "3008020400ffffff0200", "300c02dd00ffffff020400ffffff", "300c020400ffffff02dd00ffffff",
                          "300c020480000000020400ffffff", "300c020400ffffff020480000000", "300c02040000ffff020400ffffff",
                          "300c020400ffffff02040000ffff"}) {
    CHECK(der_signature_problem(bytes_of(hex)) != nullptr);
  }
}

TEST(public_key_encodings) {
  std::string genesis_key = bytes_of(
      "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f");
  CHECK(pubkey_problem(genesis_key) == nullptr);
  CHECK(pubkey_problem(std::string(1, '\x02') + std::string(32, '\x01')) == nullptr);
  CHECK(pubkey_problem(std::string(1, '\x04') + std::string(32, '\x01')) != nullptr);
  CHECK(pubkey_problem(std::string(1, '\x05') + std::string(64, '\x01')) != nullptr);
  CHECK(pubkey_problem("") != nullptr);
}

int main() { return check::run_all(); }
