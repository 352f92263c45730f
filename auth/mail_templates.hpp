// The text of authd's two mails (API.md §7): email verification and password reset, each as
// plain text with the full link alone on its own line, plus an HTML alternative.
#pragma once
#include <string_view>

#include "store/types.hpp"

namespace authd::auth {

inline constexpr std::string_view kVerificationSubject = "Verify your email address";
inline constexpr std::string_view kResetSubject = "Reset your password";

// An OutboxMail ready for Store::enqueue_mail (id, attempts and next_attempt_us left at 0).
// `username` goes only into the bodies (HTML-escaped in the HTML one); control characters in
// username or link are dropped so the link always stays one line.
store::OutboxMail verification_mail(std::string_view to, std::string_view username,
                                    std::string_view link);
store::OutboxMail reset_mail(std::string_view to, std::string_view username, std::string_view link);

}  // namespace authd::auth
