// Token service: issuing access/refresh pairs for a login session, rotating refresh tokens
// with reuse detection, in-memory validation (the hot path), and spreading revocations and
// token-version bumps to every loop before the revoking request is answered.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "auth/services.hpp"
#include "core/task.hpp"
#include "store/types.hpp"

namespace authd::auth {

using core::Task;

struct TokenPair {
    std::string access;
    std::string refresh;
};

// The token version users created by authd start at. Version 0 is what Django's SimpleJWT
// tokens count as (they carry no tv): only imported users start there, and any bump
// (password change, deactivation, role change) kills their legacy tokens.
inline constexpr uint32_t first_token_version = 1;

enum class TokenCheck : uint8_t { valid, invalid, expired, wrong_type, revoked };

// Signature, header, expiry, type, revoked session and token version — no store, no lock,
// no allocation. `out` views into the loop's scratch buffer until the next call.
TokenCheck check_token(LoopContext& ctx, std::string_view token, TokenType expected, int64_t now,
                       ClaimsView& out);
std::string_view token_check_message(TokenCheck c);

// Creates a login session for `user` and signs its first pair. unavailable: the store failed;
// refused: the session id exists already (a given `sid`: a legacy refresh exchange, whose
// session lasts at least until `min_expires_at`).
Task<store::Result<TokenPair>> issue_tokens(Services& s, const store::User& user,
                                            std::string sid = {}, int64_t min_expires_at = 0);

enum class RefreshStatus : uint8_t { ok, invalid, store_unavailable };
struct RefreshOutcome {
    RefreshStatus status = RefreshStatus::invalid;
    TokenPair tokens;
};
// Validates and rotates a refresh token. A reused one revokes its whole session.
Task<RefreshOutcome> refresh_tokens(LoopContext& ctx, std::string refresh_token);

// Revokes one session on every loop of this instance (after the store recorded it).
Task<void> spread_revocation(Services& s, std::string sid, int64_t expires_at);
// Every loop learns the user's new token version (revoking their older tokens).
Task<void> spread_token_version(Services& s, int64_t user_id, uint32_t version);
// The user is gone: every loop forgets them, so all their tokens fail.
Task<void> spread_user_removal(Services& s, int64_t user_id);

}  // namespace authd::auth
