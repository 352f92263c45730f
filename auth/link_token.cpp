// auth/link_token.cpp — one-time link tokens and uidb64. Every input is length-bounded and parsed
// in its canonical form only, and the MAC is compared in constant time.
#include "auth/link_token.hpp"

#include <openssl/crypto.h>

#include <cassert>
#include <charconv>
#include <limits>

#include "auth/base64url.hpp"

namespace authd::auth {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kMacHexChars = 2 * HmacSha256::digest_size;
constexpr std::size_t kMaxTimestampChars = 13;  // base36 of INT64_MAX
constexpr std::size_t kMaxUserIdDigits = 19;    // decimal of INT64_MAX

HmacSha256 derive_key(std::string_view secret_key, LinkPurpose purpose) {
    const HmacSha256 master(secret_key);
    std::string label = "authd.link.";
    label.append(to_string(purpose));
    HmacSha256::Digest derived = master.mac(label);
    HmacSha256 key(std::string_view(reinterpret_cast<const char*>(derived.data()), derived.size()));
    OPENSSL_cleanse(derived.data(), derived.size());
    return key;
}

std::string base36(int64_t value) {
    assert(value >= 0);
    char buf[kMaxTimestampChars];
    std::size_t at = sizeof buf;
    auto v = static_cast<uint64_t>(value);
    do {
        buf[--at] = kBase36[v % 36];
        v /= 36;
    } while (v != 0);
    return std::string(buf + at, sizeof buf - at);
}

// Canonical lowercase base36 (no leading zeros except "0" itself) that fits int64.
std::optional<int64_t> parse_base36(std::string_view text) {
    if (text.empty() || text.size() > kMaxTimestampChars || (text.size() > 1 && text[0] == '0'))
        return std::nullopt;
    const auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t value = 0;
    for (const char c : text) {
        uint64_t digit;
        if (c >= '0' && c <= '9') {
            digit = static_cast<uint64_t>(c - '0');
        } else if (c >= 'a' && c <= 'z') {
            digit = static_cast<uint64_t>(c - 'a' + 10);
        } else {
            return std::nullopt;
        }
        if (value > (max - digit) / 36) return std::nullopt;
        value = value * 36 + digit;
    }
    return static_cast<int64_t>(value);
}

// Newline-terminated decimals and a length-prefixed user_state keep the MAC input unambiguous.
void append_field(HmacSha256::Stream& stream, int64_t value) {
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    stream.update(buf, static_cast<std::size_t>(result.ptr - buf));
    stream.update("\n", 1);
}

}  // namespace

std::string_view to_string(LinkPurpose purpose) {
    return purpose == LinkPurpose::verify_email ? "verify_email" : "reset_password";
}

std::string uidb64_encode(int64_t user_id) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, user_id);
    return base64url_encode(
        std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
}

std::optional<int64_t> uidb64_decode(std::string_view uidb64) {
    char digits[kMaxUserIdDigits];
    if (uidb64.size() > base64url_encoded_size(kMaxUserIdDigits)) return std::nullopt;
    const auto size = base64url_decode(uidb64, digits, sizeof digits);
    if (!size || *size == 0 || digits[0] == '0') return std::nullopt;
    for (std::size_t i = 0; i < *size; ++i) {
        if (digits[i] < '0' || digits[i] > '9')
            return std::nullopt;  // from_chars alone would take a '-'
    }
    int64_t value = 0;
    const auto result = std::from_chars(digits, digits + *size, value);
    if (result.ec != std::errc() || result.ptr != digits + *size)
        return std::nullopt;  // above INT64_MAX
    return value;
}

LinkTokens::LinkTokens(std::string_view secret_key, int64_t ttl_seconds)
    : ttl_seconds_(ttl_seconds) {
    assert(ttl_seconds >= 0);
    add_fallback_key(secret_key);
}

void LinkTokens::add_fallback_key(std::string_view old_secret_key) {
    keys_.push_back(Keys{derive_key(old_secret_key, LinkPurpose::verify_email),
                         derive_key(old_secret_key, LinkPurpose::reset_password)});
}

void LinkTokens::mac_hex(const Keys& keys, LinkPurpose purpose, int64_t user_id,
                         std::string_view user_state, int64_t timestamp, char* hex) {
    const HmacSha256& key =
        purpose == LinkPurpose::verify_email ? keys.verify_email : keys.reset_password;
    HmacSha256::Stream stream = key.begin();
    stream.update(to_string(purpose));
    stream.update("\n", 1);
    append_field(stream, user_id);
    append_field(stream, static_cast<int64_t>(user_state.size()));
    stream.update(user_state);
    stream.update("\n", 1);
    append_field(stream, timestamp);
    const HmacSha256::Digest digest = stream.finish();
    for (std::size_t i = 0; i < digest.size(); ++i) {
        hex[2 * i] = kHex[digest[i] >> 4];
        hex[2 * i + 1] = kHex[digest[i] & 15];
    }
}

std::string LinkTokens::make(LinkPurpose purpose, int64_t user_id, std::string_view user_state,
                             int64_t now) const {
    assert(user_id > 0 && now >= 0);
    std::string token = base36(now);
    token.push_back('-');
    const std::size_t mac_at = token.size();
    token.resize(mac_at + kMacHexChars);
    mac_hex(keys_.front(), purpose, user_id, user_state, now, token.data() + mac_at);
    return token;
}

bool LinkTokens::check(LinkPurpose purpose, int64_t user_id, std::string_view user_state,
                       std::string_view token, int64_t now) const {
    if (token.size() > max_token_size || user_id <= 0) return false;
    const std::size_t dash = token.find('-');
    if (dash == std::string_view::npos || token.size() - dash - 1 != kMacHexChars) return false;
    const auto timestamp = parse_base36(token.substr(0, dash));
    if (!timestamp || *timestamp > now || now - *timestamp > ttl_seconds_) return false;
    for (const Keys& keys : keys_) {
        char expected[kMacHexChars];
        mac_hex(keys, purpose, user_id, user_state, *timestamp, expected);
        if (CRYPTO_memcmp(expected, token.data() + dash + 1, kMacHexChars) == 0) return true;
    }
    return false;
}

}  // namespace authd::auth
