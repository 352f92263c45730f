// Mail addresses as they go into SMTP envelopes and message headers: strict validation (no
// control characters, so no header injection) and IDNA punycode for non-ASCII domains.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authd::auth {

inline constexpr size_t kMailAddressMaxLength = 254;  // RFC 5321 path limit, after punycode

// An addr-spec ready for "RCPT TO:<...>" and a To/From header: pure ASCII. Accepts a
// dot-atom local part of RFC 5322 atext and a domain of letter/digit/hyphen labels (a single
// label such as "localhost" too); non-ASCII domain labels are lower-cased and punycoded
// ("bücher.de" -> "xn--bcher-kva.de"). Refuses (nullopt) anything else: CR, LF, NUL or any
// other control character, spaces, quotes, angle brackets, commas, a non-ASCII local part,
// invalid UTF-8, empty labels, and results longer than kMailAddressMaxLength.
std::optional<std::string> normalize_mail_address(std::string_view address);

// A mailbox from configuration (AUTHD_EMAIL_FROM): "addr@host" or "Display Name <addr@host>".
struct Mailbox {
    std::string display;  // may be empty; printable text (no control characters)
    std::string address;  // normalized as by normalize_mail_address
};
std::optional<Mailbox> parse_mailbox(std::string_view text);

// Punycode (RFC 3492) of one label's code points, without the "xn--" prefix; nullopt on
// overflow. Exposed for tests.
std::optional<std::string> punycode_encode(std::u32string_view label);

}  // namespace authd::auth
