// auth/base64url.hpp — unpadded base64url (RFC 4648 §5) as JWTs and Django's urlsafe_base64_encode
// use it. The buffer variants never allocate; decoding is strict so every byte string has exactly
// one accepted text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authd::auth {

// Length of the unpadded encoding of `size` bytes.
constexpr std::size_t base64url_encoded_size(std::size_t size) {
    return size / 3 * 4 + (size % 3 == 0 ? 0 : size % 3 + 1);
}

// Bytes that decoding `length` characters yields (an upper bound when length % 4 == 1, which never
// decodes).
constexpr std::size_t base64url_decoded_size(std::size_t length) {
    return length / 4 * 3 + (length % 4 == 0 ? 0 : length % 4 - 1);
}

// Writes base64url_encoded_size(size) characters to `out` (no padding, no terminator); returns that
// count.
std::size_t base64url_encode(const void* data, std::size_t size, char* out);

// Decodes into `out`; returns the number of bytes written, or nullopt when `text` holds padding, a
// character outside [A-Za-z0-9_-], a length of 4k+1, non-zero unused trailing bits, or would not
// fit in `capacity`.
std::optional<std::size_t> base64url_decode(std::string_view text, void* out, std::size_t capacity);

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace authd::auth
