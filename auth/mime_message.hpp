// RFC 5322 / MIME message bytes for one outbox mail: fixed headers, a validated To address,
// an RFC 2047 subject, and quoted-printable text (and HTML) parts with CRLF line endings.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/types.hpp"

namespace authd::auth {

struct MimeMessage {
    std::string bytes;          // the whole message, CRLF line endings, ends with CRLF
    std::string envelope_from;  // bare addresses for MAIL FROM / RCPT TO (ASCII, validated)
    std::string envelope_to;
};

// Builds the message for `mail`, sent by `from` ("addr" or "Name <addr>", AUTHD_EMAIL_FROM)
// at wall time `now_us`. Returns nullopt and says why in `error` when the recipient or the
// sender is not a valid address, or the subject holds control characters or invalid UTF-8:
// only these three values reach header lines, so header injection cannot happen.
// A non-empty html_body makes a multipart/alternative message (text first, as RFC 2046 asks).
std::optional<MimeMessage> build_mime_message(const store::OutboxMail& mail, std::string_view from,
                                              int64_t now_us, std::string& error);

// Quoted-printable (RFC 2045 §6.7) with CRLF hard line breaks ("\n" and "\r\n" in `text`
// both end a line) and soft breaks keeping every line at most 76 characters.
std::string encode_quoted_printable(std::string_view text);

// Header text for a field whose name (with ": ") takes `used` characters: kept as it is when
// printable ASCII that fits, else RFC 2047 "=?UTF-8?B?...?=" words folded onto CRLF SP lines.
// nullopt for control characters (CR, LF, NUL, ...), invalid UTF-8 or more than 900 bytes.
std::optional<std::string> encode_header_text(std::string_view text, size_t used);

// "Sat, 22 Nov 2025 03:08:00 +0000" (RFC 5322 §3.3).
std::string format_mail_date(int64_t unix_seconds);

}  // namespace authd::auth
