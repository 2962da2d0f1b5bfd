// AES-256-GCM envelope for TikTok tokens at rest.
//
// Layout (version 1):  0x01 | key id (4) | IV (12) | ciphertext | tag (16)
// The header (version + key id) and the caller's context string are authenticated
// data: a ciphertext moved to another row (other context) or re-labelled with another
// key id fails authentication instead of decrypting to garbage.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tthub::crypto {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr size_t kKeyIdSize = 4;
inline constexpr size_t kIvSize = 12;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kHeaderSize = 1 + kKeyIdSize;
inline constexpr size_t kMinEnvelopeSize = kHeaderSize + kIvSize + kTagSize;

// A key and its public fingerprint. Trivially destructible on purpose: keys live in
// static storage of the backend, and Postgres' exit() runs static destructors.
struct Key {
  std::array<uint8_t, 32> bytes;
  std::array<uint8_t, kKeyIdSize> id;  // first bytes of SHA-256("tthub key id" || key)
};

// Parses 64 hex characters (surrounding ASCII whitespace allowed, e.g. a trailing
// newline in a key file). On failure returns false and sets *why; the message never
// contains the input.
bool parse_hex_key(std::string_view text, Key *out, std::string *why);

// Encrypts with a fresh random IV. Throws tthub::Error on an OpenSSL failure.
std::vector<uint8_t> encrypt(const Key &key, std::string_view plaintext, std::string_view context);

// Decrypts with whichever of the given keys the envelope names (previous may be null).
// Any mismatch throws tthub::Error with SQLSTATE TH001 and the message
// "token ciphertext failed authentication"; the detail says which check failed.
std::string decrypt(const Key &current, const Key *previous, const uint8_t *data, size_t size,
                    std::string_view context);

// The key id recorded in an envelope, or false when it is too short to have one.
bool envelope_key_id(const uint8_t *data, size_t size, std::array<uint8_t, kKeyIdSize> *id);

}  // namespace tthub::crypto
