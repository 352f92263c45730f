// auth/link_token.hpp — stateless one-time link tokens for e-mail verification and password reset,
// in the manner of Django's PasswordResetTokenGenerator, plus the uidb64 path segment that names
// the user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac_sha256.hpp"

namespace authd::auth {

enum class LinkPurpose : uint8_t { verify_email, reset_password };

std::string_view to_string(LinkPurpose purpose);  // "verify_email" / "reset_password"

// Django's urlsafe_base64_encode(force_bytes(pk)): the decimal id, base64url without padding.
std::string uidb64_encode(int64_t user_id);
// Strict inverse: canonical base64url of a positive decimal without leading zeros that fits int64.
std::optional<int64_t> uidb64_decode(std::string_view uidb64);

// Token text: "<issue time, Unix seconds in base36>-<64 lowercase hex HMAC-SHA256>". The MAC key is
// HMAC(secret_key, "authd.link.<purpose>") and the MAC covers purpose, user id, user_state and the
// time. user_state is whatever the caller derives from the user that must change once the link has
// been used (e.g. password hash + last login for resets, email + verified flag for verification):
// that change is what makes a token single-use without storing it.
class LinkTokens {
  public:
    static constexpr std::size_t max_token_size = 96;  // longer input is refused before any work

    LinkTokens(std::string_view secret_key, int64_t ttl_seconds);

    // AUTHD_SECRET_KEY_FALLBACKS: links made with an older secret keep checking until they expire.
    void add_fallback_key(std::string_view old_secret_key);

    std::string make(LinkPurpose purpose, int64_t user_id, std::string_view user_state,
                     int64_t now) const;

    // True only for a token made for this purpose, user and user_state, with now - ttl <= time <=
    // now.
    bool check(LinkPurpose purpose, int64_t user_id, std::string_view user_state,
               std::string_view token, int64_t now) const;

  private:
    // Writes the 64 hex chars of the MAC to `hex`.
    struct Keys {
        HmacSha256 verify_email;
        HmacSha256 reset_password;
    };
    static void mac_hex(const Keys& keys, LinkPurpose purpose, int64_t user_id,
                        std::string_view user_state, int64_t timestamp, char* hex);

    std::vector<Keys> keys_;  // [0] signs and checks; the fallbacks only check
    int64_t ttl_seconds_;     // >= 0
};

}  // namespace authd::auth
