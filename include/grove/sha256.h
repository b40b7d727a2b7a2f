// SHA-256 (FIPS 180-4), for Base58Check checksums and content hashes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace grove {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // The digest of everything updated so far; the object is spent afterwards.
  Digest finish();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t total_ = 0;  // bytes
};

Digest sha256(std::string_view bytes);
// SHA-256 of SHA-256, Bitcoin's hash of headers, transactions and checksums.
Digest sha256d(std::string_view bytes);

}  // namespace grove
